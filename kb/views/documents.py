import posixpath
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.db.models.functions import Lower
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from kb.alerting.history import incident_history
from kb.alerting.links import labels_from_query, labels_query
from kb.alerting.placeholders import fill_placeholders
from kb.alerting.trends import Change, trend_line
from kb.entities.insights import related_documents
from kb.entities.links import document_html_linked
from kb.markdown.commands import first_command, mark_commands
from kb.markdown.html_parts import Part, split_sections, without_title
from kb.models import Document, FollowUpStatus, Incident, Note, PostMortem, ResolutionEntry, Runbook


@require_safe
def runbook_list(request):
    runbooks = (
        Runbook.objects.filter(archived=False)
        .select_related("alert")
        .order_by(Lower("alert__name").asc(nulls_last=True), "title")
    )
    return render(request, "kb/runbook_list.html", {"runbooks": runbooks})


@require_safe
def postmortem_list(request):
    postmortems = (
        PostMortem.objects.filter(archived=False)
        .annotate(
            follow_up_count=Count("follow_ups"),
            open_follow_up_count=Count("follow_ups", filter=Q(follow_ups__status=FollowUpStatus.OPEN)),
        )
        .order_by(F("date").desc(nulls_last=True), "title")
    )
    return render(request, "kb/postmortem_list.html", {"postmortems": postmortems})


@dataclass
class ResolutionHistory:
    """What the runbook page shows under the resolution history heading."""

    anchor: str
    trend: str | None
    incidents: list[tuple[str, Incident | None]]  # as written (`#236`), and the incident page if there is one


def _resolution_history(runbook: Runbook, sections, entries: list[ResolutionEntry]) -> ResolutionHistory | None:
    if not entries:
        return None
    headers = list(entries[0].cells)
    named = {incident.reference: incident for incident in runbook.incidents_named.all()}
    references = dict.fromkeys(ref for entry in entries for ref in entry.incidents)
    return ResolutionHistory(
        anchor=next((s.anchor for s in sections if "history" in s.heading.lower()), ""),
        trend=trend_line(headers=headers, changes=[Change(e.old, e.new, e.date) for e in entries]),
        incidents=[(ref, named.get(ref)) for ref in references],
    )


def _document_parts(document: Document, html: str) -> list[Part]:
    return without_title(split_sections(html), document.title)


def _document_context(document: Document) -> dict:
    """What every document page shows: its sections beside the outline, and related documents."""
    return {
        "document": document,
        "sections": list(document.sections.all()),
        "parts": _document_parts(document, mark_commands(document_html_linked(document))),
        "related": related_documents(document=document),
    }


@require_safe
def runbook_detail(request, slug):
    runbook = get_object_or_404(
        Runbook.objects.select_related("alert")
        .annotate(revision_count=Count("revisions"))
        .prefetch_related("sections", "resolution_entries", "incidents_named"),
        slug=slug,
    )
    labels = labels_from_query(request.GET)
    filling = fill_placeholders(mark_commands(document_html_linked(runbook)), labels)
    sections = list(runbook.sections.all())
    history = _resolution_history(runbook, sections, list(runbook.resolution_entries.all()))
    parts = _document_parts(runbook, filling.html)
    return render(
        request,
        "kb/runbook_detail.html",
        {
            "runbook": runbook,
            "document": runbook,
            "alert": runbook.alert,
            "labels": labels,
            "labels_query": labels_query(labels),
            "filled": filling.filled,
            # The alert's labels that contradict this runbook's scope: it may be the wrong runbook.
            "scope_mismatch": {k: v for k, v in runbook.labels.items() if k in labels and labels[k] != str(v)},
            "sections": sections,
            "parts": parts,
            "first_command": first_command(parts),
            "history": history,
            "history_placed": history is not None and any(p.anchor == history.anchor for p in parts if p.level),
            "incident_history": incident_history(alert=runbook.alert) if runbook.alert else None,
            "related": related_documents(document=runbook),
            # The file with many alerts this runbook is one section of.
            "part_of": Document.objects.filter(identity=runbook.identity.partition("#")[0]).first()
            if runbook.part_anchor
            else None,
        },
    )


@require_safe
def postmortem_detail(request, slug):
    postmortem = get_object_or_404(
        PostMortem.objects.annotate(revision_count=Count("revisions")).prefetch_related(
            "sections", "follow_ups", "lessons", "incidents_named"
        ),
        slug=slug,
    )
    follow_ups = list(postmortem.follow_ups.all())
    fields = postmortem.metadata.get("fields")
    fields = {str(k): v for k, v in fields.items()} if isinstance(fields, dict) else {}
    return render(
        request,
        "kb/postmortem_detail.html",
        {
            **_document_context(postmortem),
            "postmortem": postmortem,
            "follow_ups": follow_ups,
            "lessons": list(postmortem.lessons.all()),
            "open_follow_ups": sum(1 for f in follow_ups if f.status == FollowUpStatus.OPEN),
            "extra_fields": {key: value for key, value in fields.items() if key != "severity_note"},
            "severity_note": fields.get("severity_note", ""),
        },
    )


@require_safe
def note_list(request):
    notes = Note.objects.filter(archived=False).order_by(Lower("title"))
    return render(request, "kb/note_list.html", {"notes": notes})


@require_safe
def note_detail(request, slug):
    note = get_object_or_404(
        Note.objects.annotate(revision_count=Count("revisions")).prefetch_related("sections", "incidents_named"),
        slug=slug,
    )
    return render(request, "kb/note_detail.html", {**_document_context(note), "note": note})


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
