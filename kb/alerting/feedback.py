"""Did the runbook help? The one write path of an answer (`feedback_record`), the tally and last answers
a page shows, and when a runbook is stale.

A runbook is stale when
- its alert fired since it was last edited and its last answers (since that edit) were "no": it was
  tried and it did not help, and nobody has changed it since; or
- its review date has passed: front matter `last_reviewed_on` plus `review_in` ("6 months", "90d"),
  else KB_RUNBOOK_REVIEW_DAYS after that review or, without one, after its last edit.

The tally is kept on the runbook as answers are written (`feedback_yes`, `feedback_partly`, `feedback_no`);
lists read the facts the rules need as annotations of their one query (`runbooks_annotated`), so that a list
costs the same whatever the number of runbooks and answers, and a runbook's page reads them from its last
answers (`feedback_summary`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from kb.markdown.dates import after_period
from kb.models import DOCUMENT_TEXTS, DocumentKind, FeedbackAnswer, Incident, Runbook, RunbookFeedback
from kb.models.feedback import NOTE_MAX_LENGTH

# How many of the latest answers must all be "no" (fewer when fewer were given) for a fired alert to make
# its runbook stale: one "no" among "yes" answers is an opinion, the last answers all "no" a pattern.
LAST_ANSWERS = 2
LAST_SHOWN = 5
MOST_ANSWERED_NO = 10


class FeedbackError(ValueError):
    """An answer that cannot be recorded; the message names the field."""


def feedback_record(
    *, runbook: Runbook, user, answer: str, note: str = "", incident: Incident | None = None
) -> RunbookFeedback:
    """Records `user`'s answer. Answered again about the same incident, the answer and note change."""
    if answer not in FeedbackAnswer.values:
        raise FeedbackError(f"answer: {answer!r} is not one of {', '.join(FeedbackAnswer.values)}")
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise FeedbackError(f"note: {len(note)} characters, at most {NOTE_MAX_LENGTH}")
    if incident is not None and incident.runbook_id not in (None, runbook.pk):
        raise FeedbackError(f"incident: {incident} was handled with another runbook")
    with transaction.atomic():
        previous = None
        if incident is not None:
            feedback = (
                RunbookFeedback.objects.select_for_update()
                .filter(runbook=runbook, incident=incident, user=user)
                .first()
            )
            if feedback is not None:
                previous = feedback.answer
                feedback.answer, feedback.note, feedback.created_at = answer, note, timezone.now()
                feedback.save(update_fields=["answer", "note", "created_at"])
        if previous is None:
            feedback = RunbookFeedback.objects.create(
                runbook=runbook, incident=incident, user=user, answer=answer, note=note
            )
        if previous != answer:
            counts = {_TALLY[answer]: F(_TALLY[answer]) + 1}
            if previous is not None:
                counts[_TALLY[previous]] = F(_TALLY[previous]) - 1
            Runbook.objects.filter(pk=runbook.pk).update(**counts)
        return feedback


_TALLY = {
    FeedbackAnswer.YES: "feedback_yes",
    FeedbackAnswer.PARTLY: "feedback_partly",
    FeedbackAnswer.NO: "feedback_no",
}


def feedback_recount(*, runbook_ids) -> None:
    """Counts the tallies of these runbooks again from their answers (after answers were deleted in the admin)."""
    runbooks = Runbook.objects.filter(pk__in=list(runbook_ids))
    runbooks.update(
        **{
            field: Coalesce(
                Subquery(
                    RunbookFeedback.objects.filter(runbook=OuterRef("pk"), answer=answer)
                    .order_by()
                    .values("runbook")
                    .annotate(n=Count("pk"))
                    .values("n")
                ),
                0,
            )
            for answer, field in _TALLY.items()
        }
    )


def _answers_of(runbook_ref) -> QuerySet[RunbookFeedback]:
    return RunbookFeedback.objects.filter(runbook=runbook_ref).order_by("-created_at", "-pk")


def runbooks_annotated(runbooks: QuerySet[Runbook]) -> QuerySet[Runbook]:
    """`runbooks` with what the stale rules read, as subqueries of the same query (not joins, so that other
    annotations such as a revision count are not multiplied)."""
    since_edit = _answers_of(OuterRef("pk")).filter(created_at__gt=OuterRef("updated_at"))
    return runbooks.annotate(
        # The last answers given since the edit, newest first (None where fewer were given).
        **{f"last_answer_{n}": Subquery(since_edit.values("answer")[n : n + 1]) for n in range(LAST_ANSWERS)},
        fired_since_edit=Exists(
            Incident.objects.filter(alert_id=OuterRef("alert_id"), started_at__gt=OuterRef("updated_at"))
        ),
    )


def review_due(runbook: Runbook) -> date:
    """When the runbook is next due for review."""
    reviewed = runbook.last_reviewed_on or timezone.localtime(runbook.updated_at).date()
    if runbook.review_in:
        due = after_period(reviewed, runbook.review_in)
        if due is not None:
            return due
    return reviewed + timedelta(days=settings.KB_RUNBOOK_REVIEW_DAYS)


def stale_reasons(runbook: Runbook, *, today: date | None = None) -> list[str]:
    """Why an annotated runbook (`runbooks_annotated`) is stale: [] when it is not."""
    last_answers = [a for n in range(LAST_ANSWERS) if (a := getattr(runbook, f"last_answer_{n}"))]
    return _stale_reasons(runbook, last_answers, lambda: runbook.fired_since_edit, today=today)


def _stale_reasons(
    runbook: Runbook, last_answers: list[str], fired_since_edit, *, today: date | None = None
) -> list[str]:
    """Why `runbook` is stale, given its last answers since its edit (newest first, LAST_ANSWERS at most) and
    `fired_since_edit`, asked only when those answers were all "no"."""
    today = today or timezone.localdate()
    reasons = []
    if last_answers and all(a == FeedbackAnswer.NO for a in last_answers) and fired_since_edit():
        last = "the last answer was" if len(last_answers) == 1 else f"the last {len(last_answers)} answers were"
        reasons.append(f"its alert fired since it was last edited and {last} that it did not help")
    due = review_due(runbook)
    if due < today:
        reasons.append(f"its review was due on {due:%Y-%m-%d}")
    return reasons


@dataclass
class RunbookFeedbackSummary:
    yes: int
    partly: int
    no: int
    last: list[RunbookFeedback]  # newest first, with their user and incident
    stale: list[str]  # the reasons, [] when it is not stale
    review_due: date

    @property
    def total(self) -> int:
        return self.yes + self.partly + self.no


def feedback_summary(runbook: Runbook) -> RunbookFeedbackSummary:
    """The tally, last answers and stale flag of a runbook: one query (the last answers) when it has any, and
    one more when its last answers since its edit were all "no" (has its alert fired since?)."""
    # The tally is kept on write (feedback_record, feedback_recount): a runbook nobody answered about, most of
    # them, has no answers to read.
    answered = runbook.feedback_yes + runbook.feedback_partly + runbook.feedback_no
    last = list(_answers_of(runbook).select_related("user", "incident")[:LAST_SHOWN]) if answered else []
    # The answers since the edit are the newest: the first of the last ones.
    since_edit = [a.answer for a in last if a.created_at > runbook.updated_at][:LAST_ANSWERS]

    def fired_since_edit() -> bool:
        if hasattr(runbook, "fired_since_edit"):  # read through runbooks_annotated
            return runbook.fired_since_edit
        return runbook.alert_id is not None and (
            Incident.objects.filter(alert_id=runbook.alert_id, started_at__gt=runbook.updated_at).exists()
        )

    return RunbookFeedbackSummary(
        yes=runbook.feedback_yes,
        partly=runbook.feedback_partly,
        no=runbook.feedback_no,
        last=last,
        stale=_stale_reasons(runbook, since_edit, fired_since_edit),
        review_due=review_due(runbook),
    )


def runbooks_answered_no(*, limit: int = MOST_ANSWERED_NO) -> list[Runbook]:
    """The runbooks answered "no" most, annotated: one query."""
    answered_no = RunbookFeedback.objects.filter(answer=FeedbackAnswer.NO).values("runbook_id")
    # Only the runbooks answered "no" are counted: the answers' index, not a subquery per runbook.
    runbooks = Runbook.objects.filter(archived=False, pk__in=answered_no).select_related("alert").defer(*DOCUMENT_TEXTS)
    return list(runbooks_annotated(runbooks).order_by("-feedback_no", "title")[:limit])


def runbooks_mark_stale(runbooks: list[Runbook]) -> list[Runbook]:
    """Runbooks read through `runbooks_annotated`, each given `stale`: its reasons, [] when it is not."""
    today = timezone.localdate()
    for runbook in runbooks:
        runbook.stale = stale_reasons(runbook, today=today)
    return runbooks


STALE_LISTED = 25
STALE_CHUNK = 50  # runbooks annotated at a time: most of those past their review date are stale


def _may_be_stale(today: date) -> Q:
    """What every stale runbook satisfies, in columns a query can test: its review date (or, without one,
    its last edit) far enough in the past for some review period to have run out, or answered "no" since
    its last edit. Most runbooks of a large knowledge base are neither, and are never annotated."""

    def reviewed_before(day: date) -> Q:
        # A datetime, not `updated_at__date`: SQLite would call a Python function on every row.
        midnight = timezone.make_aware(datetime.combine(day, time.min))
        return Q(last_reviewed_on__lt=day) | Q(last_reviewed_on__isnull=True, updated_at__lt=midnight)

    default_due = today - timedelta(days=settings.KB_RUNBOOK_REVIEW_DAYS)
    answered_no_since_edit = RunbookFeedback.objects.filter(
        runbook=OuterRef("pk"), answer=FeedbackAnswer.NO, created_at__gt=OuterRef("updated_at")
    )
    # The column tests first: the answers are looked up only for the runbooks they leave.
    return (
        (Q(review_in="") & reviewed_before(default_due))
        | (~Q(review_in="") & reviewed_before(today))
        | Exists(answered_no_since_edit)
    )


def runbooks_stale(*, limit: int = STALE_LISTED) -> list[Runbook]:
    """The first `limit` stale runbooks not archived, by title, with their reasons in `stale`: one query over
    the runbooks that may be stale (`_may_be_stale`), read in chunks until `limit` are found (a review
    period is words, "6 months", that only `stale_reasons` reads)."""
    today, stale = timezone.localdate(), []
    # By kind and title, the order of an index (migration 0020): sorted otherwise, every candidate was read and
    # sorted before the first chunk (PostgreSQL, 10,833 runbooks past their review: 58 ms in the database; 12 so).
    candidates = (
        Runbook.objects.filter(kind=DocumentKind.RUNBOOK, archived=False)
        .filter(_may_be_stale(today))
        .order_by("title", "id")
    )
    for start in itertools.count(0, STALE_CHUNK):
        # The chunk's runbooks picked by title in a subquery, then annotated: annotated and sorted whole, every
        # candidate's subqueries ran before the first row (100 ms with 10,000 runbooks past their review).
        chunk = candidates.values("pk")[start : start + STALE_CHUNK]
        runbooks = list(
            runbooks_annotated(
                Runbook.objects.filter(pk__in=Subquery(chunk)).select_related("alert").defer(*DOCUMENT_TEXTS)
            ).order_by("title", "pk")
        )
        for runbook in runbooks:
            runbook.stale = stale_reasons(runbook, today=today)
            if runbook.stale:
                stale.append(runbook)
                if len(stale) == limit:
                    return stale
        if len(runbooks) < STALE_CHUNK:
            return stale
    return stale
