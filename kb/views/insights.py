"""The insights page: what the post-mortems add up to, the top of each list, the runbooks that did not
help or are stale (and, for staff, how the last Git sync went); and each list whole, page by page."""

from django.http import Http404
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from kb.alerting.feedback import runbooks_answered_no, runbooks_stale
from kb.entities.insights import INSIGHT_LISTS, insights_gather
from kb.entities.recurring import recurring_details
from kb.models import GitSync, GitSyncAction
from kb.views.conditional import PAGE_SECONDS, site_stamps
from kb.views.paging import offset_page


@require_safe
def insights(request):
    git_sync = None
    if request.user.is_staff:
        git_sync = GitSync.objects.filter(action=GitSyncAction.SYNC).exclude(outcome="running").first()
    stamps = site_stamps()
    # Each list is read only when its part of the page is missing from the cache (under the stamp of what it
    # shows): an incident written reads again the recurring alerts alone (and the stale runbooks when its alert's
    # runbook was answered "no").
    return render(
        request,
        "kb/insights.html",
        {
            "insights": insights_gather(),
            "answered_no": SimpleLazyObject(runbooks_answered_no),
            "stale_runbooks": SimpleLazyObject(runbooks_stale),
            "git_sync": git_sync,
            "page_key": stamps.everything,
            "documents_key": stamps.documents,
            "stale_key": stamps.stale,
            "page_seconds": PAGE_SECONDS,
        },
    )


@require_safe
def insight_list(request, name):
    if name not in INSIGHT_LISTS:
        raise Http404(f"no insight list called {name}")
    title, rows = INSIGHT_LISTS[name]
    page = offset_page(rows(), request)
    if name == "recurring":
        page.items = recurring_details(page.items, resolutions=0)  # how many (the trend reads their dates), not which
    return render(request, "kb/insight_list.html", {"name": name, "title": title, "page": page})
