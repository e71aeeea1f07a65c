"""The insights page: what the post-mortems add up to."""

from django.shortcuts import render

from kb.entities.insights import insights_gather


def insights(request):
    return render(request, "kb/insights.html", {"insights": insights_gather()})
