"""Did the runbook help? The one write path of an answer (`feedback_record`), the tally and last answers
a page shows, and when a runbook is stale.

A runbook is stale when
- its alert fired since it was last edited and its last answers (since that edit) were "no": it was
  tried and it did not help, and nobody has changed it since; or
- its review date has passed: front matter `last_reviewed_on` plus `review_in` ("6 months", "90d"),
  else KB_RUNBOOK_REVIEW_DAYS after that review or, without one, after its last edit.

Lists read the tally and the facts the rules need as annotations of their one query (`runbooks_annotated`),
so that a list costs the same whatever the number of runbooks and answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from kb.markdown.dates import after_period
from kb.models import FeedbackAnswer, Incident, Runbook, RunbookFeedback
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
        if incident is not None:
            feedback, _ = RunbookFeedback.objects.update_or_create(
                runbook=runbook,
                incident=incident,
                user=user,
                defaults={"answer": answer, "note": note, "created_at": timezone.now()},
            )
            return feedback
        return RunbookFeedback.objects.create(runbook=runbook, user=user, answer=answer, note=note)


def _answers_of(runbook_ref) -> QuerySet[RunbookFeedback]:
    return RunbookFeedback.objects.filter(runbook=runbook_ref).order_by("-created_at", "-pk")


def _count(answer: str | None = None) -> Coalesce:
    answers = RunbookFeedback.objects.filter(runbook=OuterRef("pk"))
    if answer is not None:
        answers = answers.filter(answer=answer)
    counted = answers.order_by().values("runbook").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def runbooks_annotated(runbooks: QuerySet[Runbook]) -> QuerySet[Runbook]:
    """`runbooks` with what the tally and the stale rules read, as subqueries of the same query
    (not joins, so that other annotations such as a revision count are not multiplied)."""
    since_edit = _answers_of(OuterRef("pk")).filter(created_at__gt=OuterRef("updated_at"))
    return runbooks.annotate(
        feedback_yes=_count(FeedbackAnswer.YES),
        feedback_partly=_count(FeedbackAnswer.PARTLY),
        feedback_no=_count(FeedbackAnswer.NO),
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
    today = today or timezone.localdate()
    reasons = []
    last_answers = [a for n in range(LAST_ANSWERS) if (a := getattr(runbook, f"last_answer_{n}"))]
    if runbook.fired_since_edit and last_answers and all(a == FeedbackAnswer.NO for a in last_answers):
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
    """The tally, last answers and stale flag of an annotated runbook: one query (the last answers)."""
    last = list(_answers_of(runbook).select_related("user", "incident")[:LAST_SHOWN])
    return RunbookFeedbackSummary(
        yes=runbook.feedback_yes,
        partly=runbook.feedback_partly,
        no=runbook.feedback_no,
        last=last,
        stale=stale_reasons(runbook),
        review_due=review_due(runbook),
    )


def runbooks_answered_no(*, limit: int = MOST_ANSWERED_NO) -> list[Runbook]:
    """The runbooks answered "no" most, annotated: one query."""
    answered_no = RunbookFeedback.objects.filter(answer=FeedbackAnswer.NO).values("runbook_id")
    # Only the runbooks answered "no" are counted: the answers' index, not a subquery per runbook.
    runbooks = Runbook.objects.filter(archived=False, pk__in=answered_no).select_related("alert")
    return list(runbooks_annotated(runbooks).order_by("-feedback_no", "title")[:limit])


def runbooks_with_stale(runbooks: QuerySet[Runbook]) -> list[Runbook]:
    """`runbooks` (one query), each with `stale`: the reasons it is stale, [] when it is not."""
    return runbooks_mark_stale(list(runbooks_annotated(runbooks)))


def runbooks_mark_stale(runbooks: list[Runbook]) -> list[Runbook]:
    """Runbooks read through `runbooks_annotated`, each given `stale`: its reasons, [] when it is not."""
    today = timezone.localdate()
    for runbook in runbooks:
        runbook.stale = stale_reasons(runbook, today=today)
    return runbooks


STALE_LISTED = 25


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
    candidates = Runbook.objects.filter(archived=False).filter(_may_be_stale(today)).select_related("alert")
    runbooks = runbooks_annotated(candidates.order_by("title"))
    for runbook in runbooks.iterator(chunk_size=200):
        runbook.stale = stale_reasons(runbook, today=today)
        if runbook.stale:
            stale.append(runbook)
            if len(stale) == limit:
                break
    return stale
