import posixpath
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from kb.alerting.feedback import feedback_summary, runbooks_annotated, runbooks_mark_stale
from kb.alerting.history import incident_history
from kb.alerting.last_time import RunbookIncidents, last_time, runbook_incidents_read
from kb.alerting.links import labels_from_query, labels_query
from kb.alerting.placeholders import fill_placeholders
from kb.alerting.trends import Change, trend_line
from kb.entities.links import document_html_linked
from kb.entities.related import related_documents
from kb.gitsync.links import git_place_read
from kb.markdown.commands import first_command, mark_commands
from kb.markdown.html_parts import Part, split_sections, without_title
from kb.markdown.shown_once import without_card_repeats
from kb.models import (
    DOCUMENT_TEXTS,
    Document,
    DocumentKind,
    FollowUp,
    FollowUpStatus,
    Incident,
    Lesson,
    Note,
    PostMortem,
    ResolutionEntry,
    Runbook,
)
from kb.views.conditional import PAGE_SECONDS, Provenance, document_conditional, page_key
from kb.views.paging import offset_page

DOCUMENTS_PER_PAGE = 100
DocumentT = TypeVar("DocumentT", bound=Document)
# A new version is a new key; the old one ages out (or is culled, LocMemCache's MAX_ENTRIES).
LINKED_HTML_SECONDS = 3600


@require_safe
def runbook_list(request):
    runbooks = Runbook.objects.filter(archived=False).select_related("alert").defer(*DOCUMENT_TEXTS)
    page = offset_page(runbooks_annotated(runbooks), request, per_page=DOCUMENTS_PER_PAGE, order=Runbook.list_order())
    page.items = runbooks_mark_stale(page.items)
    return render(request, "kb/runbook_list.html", {"runbooks": page.items, "page": page})


@require_safe
def postmortem_list(request):
    # Counted per post-mortem of the page (subqueries), not grouped over every post-mortem before the page is cut.
    follow_ups = FollowUp.objects.filter(postmortem=OuterRef("pk")).order_by().values("postmortem")
    postmortems = (
        PostMortem.objects.filter(archived=False)
        .defer(*DOCUMENT_TEXTS)
        .annotate(
            follow_up_count=Coalesce(Subquery(follow_ups.annotate(n=Count("pk")).values("n")), 0),
            open_follow_up_count=Coalesce(
                Subquery(follow_ups.filter(status=FollowUpStatus.OPEN).annotate(n=Count("pk")).values("n")), 0
            ),
        )
    )
    page = offset_page(postmortems, request, per_page=DOCUMENTS_PER_PAGE, order=PostMortem.list_order())
    return render(request, "kb/postmortem_list.html", {"postmortems": page.items, "page": page})


@dataclass
class ResolutionHistory:
    """What the runbook page shows under the resolution history heading."""

    anchor: str
    trend: str | None
    incidents: list[tuple[str, Incident | None]]  # as written (`#236`), and the incident page if there is one


def _references(entries: list[ResolutionEntry]) -> list[str]:
    """The incidents a resolution history names, as written (`#236`), each once, in order."""
    return list(dict.fromkeys(ref for entry in entries for ref in entry.incidents))


def _resolution_history(
    sections, entries: list[ResolutionEntry], named: dict[str, Incident]
) -> ResolutionHistory | None:
    """`named`: the incidents of its references that the runbook names (kb.alerting.last_time.runbook_incidents_read)."""
    if not entries:
        return None
    headers = list(entries[0].cells)
    return ResolutionHistory(
        anchor=next((s["anchor"] for s in sections if "history" in s["heading"].lower()), ""),
        trend=trend_line(headers=headers, changes=[Change(e.old, e.new, e.date) for e in entries]),
        incidents=[(ref, named.get(ref)) for ref in _references(entries)],
    )


def _provenance(request, document: Document) -> Provenance:
    """What the page's footer shows, read with its ETag (kb.views.conditional); by two queries otherwise."""
    provenance = getattr(request, "kb_provenance", None)
    if provenance is None:
        provenance = Provenance(revision_count=document.revisions.count(), git=git_place_read(document))
    return provenance


def _counted(request, document: DocumentT) -> DocumentT:
    """The document with `revision_count`, as its footer shows it."""
    document.revision_count = _provenance(request, document).revision_count
    return document


def _sections(document: Document) -> list[dict]:
    """The outline ({"heading", "level", "anchor"} of each section, in order): kept with the document."""
    return document.outline or []


def _linked_html(request, document: Document) -> str:
    """The document's HTML with its entities linked and its commands marked: as stored with its mentions
    (kb.entities.links), else (a reference to a post-mortem by date) computed once per state of the
    documents (the ETag's document stamp: a new post-mortem can change which one it links) and per
    worker: the cache is the bounded LocMemCache of settings.CACHES."""
    if document.linked_html:
        return document.linked_html
    stamp = getattr(request, "kb_document_stamp", None) or document.updated_at.timestamp()
    key = f"kb:linked:{document.pk}:{document.version}:{stamp}"
    html = cache.get(key)
    if html is None:
        html = mark_commands(document_html_linked(document))
        cache.set(key, html, LINKED_HTML_SECONDS)
    return html


def _document_parts(document: Document, html: str) -> list[Part]:
    return without_title(split_sections(html), document.title)


def _document_context(request, document: Document) -> dict:
    """What every document page shows: its sections beside the outline, and related documents."""
    return {
        "document": document,
        "sections": _sections(document),
        "parts": _document_parts(document, _linked_html(request, document)),
        "related": related_documents(document=document),
        "git": _provenance(request, document).git,
    }


class RunbookPage:
    """What the runbook page shows, each part read the first time the template asks for it: a part
    found in the page cache (`{% cache %}` under `page_key`) is never read, nor are its queries run."""

    def __init__(self, request, slug: str) -> None:
        self.request, self.slug = request, slug
        self.labels = labels_from_query(request.GET)

    @cached_property
    def runbook(self) -> Runbook:
        # Its parts are read by simple queries as the template asks for them: an ORM prefetch of them, three
        # subqueries for its place in Git and the stale rules' annotations cost more to build than to run.
        # The tally is kept on the runbook; feedback_summary reads the stale rules' facts from the last answers.
        return _counted(self.request, get_object_or_404(Runbook.objects.select_related("alert"), slug=self.slug))

    @cached_property
    def filling(self):
        return fill_placeholders(_linked_html(self.request, self.runbook), self.labels)

    @cached_property
    def sections(self) -> list:
        return _sections(self.runbook)

    @cached_property
    def parts(self) -> list[Part]:
        return _document_parts(self.runbook, self.filling.html)

    @cached_property
    def entries(self) -> list[ResolutionEntry]:
        return list(ResolutionEntry.objects.filter(runbook=self.runbook).order_by("position"))

    @cached_property
    def incidents(self) -> RunbookIncidents:
        return runbook_incidents_read(runbook=self.runbook, references=_references(self.entries))

    @cached_property
    def history(self) -> ResolutionHistory | None:
        return _resolution_history(self.sections, self.entries, self.incidents.named)

    def context(self) -> dict:
        lazy = {
            "runbook": lambda: self.runbook,
            "document": lambda: self.runbook,
            "alert": lambda: self.runbook.alert,
            "filled": lambda: self.filling.filled,
            # The alert's labels that contradict this runbook's scope: it may be the wrong runbook.
            "scope_mismatch": lambda: {
                k: v for k, v in self.runbook.labels.items() if k in self.labels and self.labels[k] != str(v)
            },
            "sections": lambda: self.sections,
            "parts": lambda: self.parts,
            "first_command": lambda: first_command(self.parts),
            "history": lambda: self.history,
            "history_placed": lambda: (
                self.history is not None and any(p.anchor == self.history.anchor for p in self.parts if p.level)
            ),
            "incident_history": lambda: (
                incident_history(alert=self.runbook.alert, recent=self.incidents.alert_recent)
                if self.runbook.alert
                else None
            ),
            # What fixed its last incidents leads the page.
            "last_time": lambda: last_time(
                runbook=self.runbook, trend=self.history.trend if self.history else None, read=self.incidents.last_time
            ),
            "related": lambda: related_documents(document=self.runbook),
            "git": lambda: _provenance(self.request, self.runbook).git,
            "feedback": lambda: feedback_summary(self.runbook),
            # The file with many alerts this runbook is one section of.
            "part_of": lambda: (
                Document.objects.filter(identity=self.runbook.identity.partition("#")[0]).first()
                if self.runbook.part_anchor
                else None
            ),
        }
        return {name: SimpleLazyObject(read) for name, read in lazy.items()} | {
            "labels": self.labels,
            "labels_query": labels_query(self.labels),
            # Enough for the links every reader sees differently (edit buttons, the feedback form): no query.
            "address": Runbook(kind=DocumentKind.RUNBOOK, slug=self.slug),
        }


@require_safe
@document_conditional("runbook")
def runbook_detail(request, slug):
    page = RunbookPage(request, slug)
    key = page_key(request)
    if not key:
        page.runbook  # noqa: B018 -- no stamp: the runbook does not exist (404), or nothing is cached
    return render(
        request,
        "kb/runbook_detail.html",
        {**page.context(), "page_key": key, "page_seconds": PAGE_SECONDS if key else 0},
    )


class PostMortemPage:
    """What the post-mortem page shows, read the first time the template asks (see RunbookPage)."""

    def __init__(self, request, slug: str) -> None:
        self.request, self.slug = request, slug

    @cached_property
    def postmortem(self) -> PostMortem:
        # Its parts by simple queries, as the template asks for them (see RunbookPage.runbook).
        return _counted(self.request, get_object_or_404(PostMortem, slug=self.slug))

    @cached_property
    def fields(self) -> dict:
        fields = self.postmortem.metadata.get("fields")
        return {str(k): v for k, v in fields.items()} if isinstance(fields, dict) else {}

    @cached_property
    def body(self) -> dict:
        postmortem = self.postmortem
        context = _document_context(self.request, postmortem)
        # Each fact once: the body leaves out what the metadata, follow-up and lesson cards show.
        context["parts"], left_out = without_card_repeats(
            context["parts"],
            card_text=_card_text(postmortem, self.fields, self.follow_ups, self.lessons),
            pointers={
                "follow_ups": '<p class="shown-above">Shown above, in <a href="#follow-ups-title">Follow-ups</a>.</p>',
                "lessons": '<p class="shown-above">Shown above, in <a href="#lessons-title">Lessons</a>.</p>',
            },
        )
        context["sections"] = [s for s in context["sections"] if s["anchor"] not in left_out]
        return context

    @cached_property
    def follow_ups(self) -> list:
        return list(FollowUp.objects.filter(postmortem=self.postmortem).order_by("position"))

    @cached_property
    def lessons(self) -> list:
        return list(Lesson.objects.filter(postmortem=self.postmortem).order_by("position"))

    @cached_property
    def incidents_named(self) -> list[Incident]:
        # Only linked to (by reference, else title): a query of its own rather than the ORM's prefetch of the
        # relation, whose machinery cost more than the query on the first view of every post-mortem.
        return list(self.postmortem.incidents_named.only("reference", "title"))

    def context(self) -> dict:
        lazy = {
            "postmortem": lambda: self.postmortem,
            "document": lambda: self.postmortem,
            "sections": lambda: self.body["sections"],
            "parts": lambda: self.body["parts"],
            "related": lambda: self.body["related"],
            "git": lambda: self.body["git"],
            "follow_ups": lambda: self.follow_ups,
            "lessons": lambda: self.lessons,
            "incidents_named": lambda: self.incidents_named,
            "open_follow_ups": lambda: sum(1 for f in self.follow_ups if f.status == FollowUpStatus.OPEN),
            "overdue_follow_ups": lambda: sum(1 for f in self.follow_ups if f.overdue),
            "extra_fields": lambda: {key: value for key, value in self.fields.items() if key != "severity_note"},
            "severity_note": lambda: self.fields.get("severity_note", ""),
        }
        return {name: SimpleLazyObject(read) for name, read in lazy.items()} | {
            "address": PostMortem(kind=DocumentKind.POSTMORTEM, slug=self.slug)
        }


@require_safe
@document_conditional("postmortem")
def postmortem_detail(request, slug):
    page = PostMortemPage(request, slug)
    key = page_key(request)
    if not key:
        page.postmortem  # noqa: B018 -- no stamp: the post-mortem does not exist (404), or nothing is cached
    # The follow-ups carry a toggle and its CSRF token for those who may change them: never shared.
    may_change = request.user.has_perm("kb.change_postmortem")
    return render(
        request,
        "kb/postmortem_detail.html",
        {
            **page.context(),
            "page_key": key,
            "page_seconds": PAGE_SECONDS if key else 0,
            "follow_ups_seconds": PAGE_SECONDS if key and not may_change else 0,
            "may_change": may_change,
        },
    )


def _card_text(postmortem: PostMortem, fields: dict, follow_ups: list, lessons: list) -> str:
    """Everything the post-mortem page's cards show, as text."""
    shown = [postmortem.date.isoformat() if postmortem.date else "", postmortem.duration, postmortem.severity]
    shown += [postmortem.affected, postmortem.status, "Date Duration Severity Affected Status"]
    shown += [f"{key} {value}" for key, value in fields.items()]
    for follow_up in follow_ups:
        shown += [follow_up.text, follow_up.owner, follow_up.due.isoformat() if follow_up.due else ""]
    shown += [lesson.text for lesson in lessons]
    return "\n".join(str(text) for text in shown)


@require_safe
def note_list(request):
    notes = Note.objects.filter(archived=False).defer(*DOCUMENT_TEXTS)
    page = offset_page(notes, request, per_page=DOCUMENTS_PER_PAGE, order=Note.list_order())
    return render(request, "kb/note_list.html", {"notes": page.items, "page": page})


@require_safe
@document_conditional("note")
def note_detail(request, slug):
    note = _counted(request, get_object_or_404(Note, slug=slug))
    # A note's incidents are linked under it, as a post-mortem's are: what it names (reference and title).
    incidents_named = SimpleLazyObject(lambda: list(note.incidents_named.only("reference", "title")))
    return render(
        request,
        "kb/note_detail.html",
        {**_document_context(request, note), "note": note, "incidents_named": incidents_named},
    )


@require_safe
def resolve_reference(request):
    """Follows a Hugo `{{< ref "X.md" >}}` link written relative to the linking document."""
    target = request.GET.get("ref", "")
    origin = request.GET.get("from", "")
    if not target:
        raise Http404("no reference given")
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(origin), target)).lstrip("./")
    candidates = [joined, target.lstrip("./")]
    for candidate in candidates:
        document = Document.objects.filter(identity=candidate, archived=False).first()
        if document is None:
            stem = candidate.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            document = Document.objects.filter(identity__iendswith=f"/{stem}.md", archived=False).first() or (
                Document.objects.filter(identity__iexact=f"{stem}.md", archived=False).first()
            )
        if document is not None:
            return redirect(document.get_absolute_url())
    raise Http404(f"no document for {target}")
