"""The insights page: what the post-mortems add up to, and the runbooks that did not help or are stale."""

from django.shortcuts import render

from kb.alerting.feedback import runbooks_answered_no, runbooks_stale
from kb.entities.insights import insights_gather


def insights(request):
    return render(
        request,
        "kb/insights.html",
        {"insights": insights_gather(), "answered_no": runbooks_answered_no(), "stale_runbooks": runbooks_stale()},
    )
