"""The home page, which is the search page: one box, live results, what changed lately."""

from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.views.decorators.http import require_safe

from kb.alerting.history import firing_now
from kb.models import DOCUMENT_TEXTS, Document, FollowUp, Incident
from kb.search import search
from kb.views.conditional import PAGE_SECONDS, site_stamps

RESULTS = 20
RECENT = 10


@require_safe
def home(request):
    """`/` and `/search/?q=`: the whole page, or only its results when htmx asks as the operator types."""
    query = request.GET.get("q", "").strip()
    context = {"query": query, "results": search(query=query, limit=RESULTS) if query else None}
    # A history restore (back button after a cache miss) asks for the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "kb/home.html#results", context)
    # Read only when the cached part of the page (under the stamp of what it shows) is missing: querysets
    # are lazy, and the template calls the functions once, in its `{% include … with %}`.
    context["documents"] = (
        Document.objects.filter(archived=False)
        .select_related("runbook__alert")
        # Titles and addresses are listed: ten documents' source and two renderings were read for nothing.
        .defer(*DOCUMENT_TEXTS)
        .order_by("-updated_at")[:RECENT]
    )
    context["firing_now"] = firing_now
    context["overdue_follow_ups"] = FollowUp.objects.overdue().count
    context["incidents"] = Incident.objects.select_related("alert").order_by(
        Coalesce("started_at", "created_at").desc()
    )[:RECENT]
    stamps = site_stamps()
    context.update(page_key=stamps.everything, documents_key=stamps.documents, page_seconds=PAGE_SECONDS)
    return render(request, "kb/home.html", context)
