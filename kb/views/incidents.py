"""Incidents: the list, newest first, and one incident with the documents that name it."""

from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kb.alerting.history import incident_alerting
from kb.alerting.links import labels_query
from kb.models import DOCUMENT_TEXTS, Incident, ResolutionEntry
from kb.views.paging import keyset_page

INCIDENTS_PER_PAGE = 50


@require_safe
def incident_list(request):
    incidents = (
        Incident.objects.select_related("alert", "runbook", "postmortem")
        .defer(*(f"{document}__{text}" for document in ("runbook", "postmortem") for text in DOCUMENT_TEXTS))
        .annotate(newest=Coalesce("started_at", "created_at"))
        .order_by(Coalesce("started_at", "created_at").desc(), F("pk").desc())
    )
    page = keyset_page(incidents, request, key="newest", per_page=INCIDENTS_PER_PAGE)
    return render(request, "kb/incident_list.html", {"page": page, "incidents": page.items})


def _get_incident_or_404(*, key: str | None, pk: int | None) -> Incident:
    found = Incident.objects.at_url(key=key, pk=pk).select_related("alert", "runbook", "postmortem").first()
    if found is None:
        raise Http404("No such incident")
    return found


@require_safe
def incident_detail(request, key=None, pk=None):
    incident = _get_incident_or_404(key=key, pk=pk)
    # Sorted: PostgreSQL's jsonb keeps keys in its own order, SQLite in the order written.
    labels = incident.labels if isinstance(incident.labels, dict) else {}
    labels = dict(sorted((str(k), str(v)) for k, v in labels.items()))
    documents = sorted(incident.documents.all(), key=lambda d: (d.kind, d.title))
    # The rows of the runbooks' resolution histories that name this incident: what was done about it.
    resolutions = [
        entry
        for entry in ResolutionEntry.objects.filter(runbook_id__in=[d.pk for d in documents]).select_related("runbook")
        if incident.reference and incident.reference in entry.incidents
    ]
    return render(
        request,
        "kb/incident_detail.html",
        {
            "incident": incident,
            "alert": incident.alert,
            "labels": labels,
            "labels_query": labels_query(labels),
            "alert_link": f"{incident.alert.get_absolute_url()}{labels_query(labels)}" if incident.alert else "",
            "documents": documents,
            "resolutions": resolutions,
            "incident_alerting": incident_alerting(incident=incident),
            "incident_feedback": incident.runbook_feedback.select_related("user") if incident.runbook else None,
        },
    )
