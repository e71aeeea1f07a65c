"""The insights page: what the post-mortems add up to (and, for staff, how the last Git sync went)."""

from django.shortcuts import render

from kb.entities.insights import insights_gather
from kb.models import GitSync, GitSyncAction


def insights(request):
    git_sync = None
    if request.user.is_staff:
        git_sync = GitSync.objects.filter(action=GitSyncAction.SYNC).exclude(outcome="running").first()
    return render(request, "kb/insights.html", {"insights": insights_gather(), "git_sync": git_sync})
