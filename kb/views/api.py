"""The JSON API. Its field names are a contract: users' scripts and the other pages read them."""

from functools import partial, wraps

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from kb.alerting.feedback import (
    feedback_summary,
    runbooks_annotated,
    runbooks_answered_no,
    runbooks_mark_stale,
    runbooks_stale,
)
from kb.alerting.history import postmortems_implicating
from kb.alerting.links import labels_from_query
from kb.entities.insights import document_entities, entities_annotated, entity_named, entity_profile, insights_gather
from kb.models import DOCUMENT_TEXTS, Alert, EntityKind, Incident, Note, PostMortem, Runbook
from kb.search import MAX_LIMIT, search
from kb.views.api_feedback import feedback_counts_json, feedback_json
from kb.views.paging import api_page


def api_view(view):
    """GET only, and a missing object answers JSON rather than the HTML 404 page."""

    @require_GET
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return JsonResponse({"error": str(exc) or "not found"}, status=404)

    return wrapper


def _url(request, obj) -> str:
    return request.build_absolute_uri(obj.get_absolute_url())


def _sections(document) -> list[dict]:
    return [{"heading": s.heading, "level": s.level, "anchor": s.anchor} for s in document.sections.all()]


def _incident(request, incident: Incident) -> dict:
    """An incident with what its documents or Alertmanager say: select its alert, runbook and post-mortem."""
    runbook, postmortem = incident.runbook, incident.postmortem
    return {
        "reference": incident.reference,
        "title": incident.title,
        "status": incident.status,
        "origin": incident.origin,
        "alert": incident.alert.name if incident.alert else None,
        "labels": incident.labels,
        "started_at": incident.started_at.isoformat() if incident.started_at else None,
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "severity": incident.severity,
        "fix": incident.fix,
        "change": {"from": incident.change_from, "to": incident.change_to} if incident.change else None,
        "runbook": {"slug": runbook.slug, "title": runbook.title, "url": _url(request, runbook)} if runbook else None,
        "postmortem": _postmortem_summary(request, postmortem) if postmortem else None,
        "url": _url(request, incident),
    }


def _runbook_summary(request, runbook: Runbook) -> dict:
    return {
        "slug": runbook.slug,
        "title": runbook.title,
        "url": _url(request, runbook),
        "alert": runbook.alert.name if runbook.alert else None,
        "labels": runbook.labels,
    }


def _postmortem_summary(request, postmortem: PostMortem) -> dict:
    return {
        "slug": postmortem.slug,
        "title": postmortem.title,
        "url": _url(request, postmortem),
        "date": postmortem.date.isoformat() if postmortem.date else None,
    }


@api_view
def runbook_list(request):
    runbooks = Runbook.objects.filter(archived=False).select_related("alert").defer(*DOCUMENT_TEXTS)
    runbooks, after = api_page(runbooks_annotated(runbooks), request, order=Runbook.list_order())
    return JsonResponse(
        {
            "results": [
                {**_runbook_summary(request, r), "stale": bool(r.stale)} for r in runbooks_mark_stale(runbooks)
            ],
            "next": after,
        }
    )


@api_view
def postmortem_list(request):
    postmortems = PostMortem.objects.filter(archived=False).defer(*DOCUMENT_TEXTS)
    postmortems, after = api_page(postmortems, request, order=PostMortem.list_order())
    return JsonResponse({"results": [_postmortem_summary(request, p) for p in postmortems], "next": after})


@api_view
def runbook_detail(request, slug):
    runbook = get_object_or_404(
        runbooks_annotated(Runbook.objects.select_related("alert")).prefetch_related(
            "sections", "resolution_entries", "incidents_named"
        ),
        slug=slug,
    )
    feedback = feedback_summary(runbook)
    return JsonResponse(
        {
            **_runbook_summary(request, runbook),
            "kind": runbook.kind,
            "source_path": runbook.source_path,
            "stub_of": runbook.stub_of or None,
            "anchor": runbook.part_anchor or None,
            "last_reviewed_on": runbook.last_reviewed_on.isoformat() if runbook.last_reviewed_on else None,
            "review_in": runbook.review_in or None,
            "revision_count": runbook.revisions.count(),
            "version": runbook.version,
            "archived": runbook.archived,
            "warnings": runbook.warnings,
            "sections": _sections(runbook),
            "resolution_history": [
                {
                    "date": r.date.isoformat() if r.date else None,
                    "incidents": r.incidents,
                    "old": r.old,
                    "new": r.new,
                    "notes": r.notes,
                    "cells": r.cells,
                }
                for r in runbook.resolution_entries.all()
            ],
            "incidents": sorted(i.reference for i in runbook.incidents_named.all()),
            "entities": document_entities(runbook),
            "feedback": feedback_json(feedback, url=partial(_url, request)),
            "stale": bool(feedback.stale),
            "stale_reasons": feedback.stale,
            "review_due": feedback.review_due.isoformat(),
        }
    )


@api_view
def postmortem_detail(request, slug):
    postmortem = get_object_or_404(
        PostMortem.objects.prefetch_related("sections", "follow_ups", "lessons", "incidents_named"), slug=slug
    )
    return JsonResponse(
        {
            **_postmortem_summary(request, postmortem),
            "date_source": postmortem.date_source or None,
            "kind": postmortem.kind,
            "source_path": postmortem.source_path,
            "duration": postmortem.duration,
            "severity": postmortem.severity,
            "affected": postmortem.affected,
            "status": postmortem.status,
            "summary": postmortem.summary,
            "sections": _sections(postmortem),
            "follow_ups": [
                {
                    "text": f.text,
                    "status": f.status,
                    "owner": f.owner,
                    "due": f.due.isoformat() if f.due else None,
                    "overdue": f.overdue,
                }
                for f in postmortem.follow_ups.all()
            ],
            "lessons": [lesson.text for lesson in postmortem.lessons.all()],
            "incidents": sorted(i.reference for i in postmortem.incidents_named.all()),
            "revision_count": postmortem.revisions.count(),
            "version": postmortem.version,
            "archived": postmortem.archived,
            "warnings": postmortem.warnings,
            "entities": document_entities(postmortem),
        }
    )


def _note_summary(request, note: Note) -> dict:
    return {"slug": note.slug, "title": note.title, "url": _url(request, note)}


@api_view
def note_list(request):
    notes, after = api_page(
        Note.objects.filter(archived=False).defer(*DOCUMENT_TEXTS), request, order=Note.list_order()
    )
    return JsonResponse({"results": [_note_summary(request, n) for n in notes], "next": after})


@api_view
def note_detail(request, slug):
    note = get_object_or_404(Note.objects.prefetch_related("sections", "incidents_named"), slug=slug)
    return JsonResponse(
        {
            **_note_summary(request, note),
            "kind": note.kind,
            "source_path": note.source_path,
            "sections": _sections(note),
            "incidents": sorted(i.reference for i in note.incidents_named.all()),
            "revision_count": note.revisions.count(),
            "version": note.version,
            "archived": note.archived,
            "warnings": note.warnings,
            "entities": document_entities(note),
        }
    )


@api_view
def alert_detail(request, name):
    alert = Alert.objects.prefetch_related("runbooks").named(name)
    if alert is None:
        raise Http404(f"no alert named {name}")
    labels = labels_from_query(request.GET)
    best = alert.best_runbook(labels)
    runbooks = [runbook for runbook in alert.runbooks.all() if not runbook.archived]  # by title
    incidents = alert.incidents.select_related("alert", "runbook", "postmortem").order_by("-started_at", "-created_at")[
        :50
    ]
    postmortems = postmortems_implicating(alert=alert).order_by("-date")
    return JsonResponse(
        {
            "alert": alert.name,
            "labels": labels,
            "runbook": _runbook_summary(request, best) if best else None,
            # A stub ("Same as X") says which alert it sends the reader to.
            "runbooks": [{**_runbook_summary(request, r), "stub_of": r.stub_of or None} for r in runbooks],
            "incidents": [_incident(request, i) for i in incidents],
            "postmortems": [_postmortem_summary(request, p) for p in postmortems],
        }
    )


@api_view
def search_results(request):
    """`?q=…&limit=…`: runbooks, post-mortems, notes and incidents, best first; `corrected` when a typo was fixed."""
    query = request.GET.get("q", "").strip()
    if not query:
        return JsonResponse({"error": "q: give the words to search for, e.g. ?q=etcd+no+leader"}, status=400)
    raw_limit = request.GET.get("limit", "20")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        return JsonResponse({"error": f"limit: {raw_limit!r} is not a whole number from 1 to {MAX_LIMIT}"}, status=400)
    results = search(query=query, limit=int(raw_limit))
    return JsonResponse(
        {
            "query": results.query,
            "corrected": results.corrected,
            "results": [
                {
                    "kind": hit.kind,
                    "title": hit.title,
                    "alert": hit.alert or None,
                    "url": request.build_absolute_uri(hit.url),
                    "section": hit.section or None,
                    "snippet": str(hit.snippet),
                    "score": hit.score,
                }
                for hit in results.hits
            ],
        }
    )


def _entity_summary(request, entity) -> dict:
    return {
        "name": entity.name,
        "kind": entity.kind,
        "url": _url(request, entity),
        "implicated_in": entity.implicated_in,
        "has_runbook": entity.has_runbook,
    }


def _appearance(request, appearance) -> dict:
    return {
        "title": appearance.document.title,
        "url": request.build_absolute_uri(appearance.url),
        "snippet": appearance.snippet,
    }


@api_view
def entity_list(request):
    kind = request.GET.get("kind", "")
    if kind and kind not in EntityKind.values:
        return JsonResponse({"error": f"kind: {kind!r} is not one of {', '.join(EntityKind.values)}"}, status=400)
    entities = entities_annotated().filter(documents__gt=0)
    if kind:
        entities = entities.filter(kind=kind)
    entities, after = api_page(entities.order_by("-implicated_in", "name"), request)
    return JsonResponse(
        {"results": [{**_entity_summary(request, e), "documents": e.documents} for e in entities], "next": after}
    )


@api_view
def entity_detail(request, name):
    entity, _by_alias = entity_named(name)
    if entity is None or entity.ignored:
        raise Http404(f"no entity named {name}")
    profile = entity_profile(entity)
    return JsonResponse(
        {
            "name": entity.name,
            "kind": entity.kind,
            "aliases": [alias.name for alias in entity.aliases.all()],
            "url": _url(request, entity),
            "implicated_in": entity.implicated_in,
            "has_runbook": entity.has_runbook,
            "headline": profile.headline,
            "postmortems": [
                {**_appearance(request, a), "date": a.document.date.isoformat() if a.document.date else None}
                for a in profile.postmortems
            ],
            "runbooks": [
                {**_appearance(request, a), "for_it": a.subject}
                for a in profile.runbooks_for + profile.runbooks_mentioning
            ],
            "incidents": [_incident(request, i) for i in profile.incidents],
            "follow_ups": [
                {
                    "text": f.text,
                    "status": f.status,
                    "owner": f.owner,
                    "due": f.due.isoformat() if f.due else None,
                    "postmortem": _postmortem_summary(request, f.postmortem),
                }
                for f in profile.follow_ups
            ],
            "referenced_postmortems": [_postmortem_summary(request, p) for p in profile.referenced],
        }
    )


@api_view
def insights(request):
    gathered = insights_gather(resolutions=None)  # each recurring alert's every resolution
    return JsonResponse(
        {
            "wanted_alerts": [
                {"name": e.name, "url": _url(request, e), "implicated_in": e.implicated_in}
                for e in gathered.wanted_alerts
            ],
            "most_implicated": [_entity_summary(request, e) for e in gathered.most_implicated],
            "open_follow_ups": [
                {
                    "text": f.text,
                    "owner": f.owner,
                    "due": f.due.isoformat() if f.due else None,
                    "overdue": f.overdue,
                    "postmortem": _postmortem_summary(request, f.postmortem),
                }
                for f in gathered.open_follow_ups
            ],
            "overdue_follow_ups": gathered.overdue_follow_ups,
            "recurring_alerts": [
                {
                    "name": r.alert.name,
                    "url": request.build_absolute_uri(r.url),
                    "incidents": r.incident_count,
                    "resolutions": [
                        {"date": e.date.isoformat() if e.date else None, "old": e.old, "new": e.new, "notes": e.notes}
                        for e in r.resolutions
                    ],
                    "trend": r.trend,
                }
                for r in gathered.recurring_alerts
            ],
            "postmortems_without_follow_ups": [
                _postmortem_summary(request, p) for p in gathered.postmortems_without_follow_ups
            ],
            "runbooks_answered_no": [
                {**_runbook_summary(request, r), "feedback": feedback_counts_json(r)} for r in runbooks_answered_no()
            ],
            "stale_runbooks": [{**_runbook_summary(request, r), "stale_reasons": r.stale} for r in runbooks_stale()],
        }
    )
