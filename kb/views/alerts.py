"""The alert link, `/alerts/<name>/?label=value…`: what goes into every alert's `runbook_url` annotation.

It must lead somewhere whatever Alertmanager (or a person) puts in it: the best runbook for
the labels, the runbooks to choose from, or a page that says none exists and offers to write one.
"""

import difflib
from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from kb.alerting.history import incident_history
from kb.alerting.links import MAX_ALERT_NAME_LENGTH, alert_name_from_path, labels_from_query, labels_query
from kb.models import Alert


@require_safe
def alert_runbook(request, name):
    labels = labels_from_query(request.GET)
    alert_name = alert_name_from_path(name)
    alert = Alert.objects.prefetch_related("runbooks").filter(name__iexact=alert_name).first() if alert_name else None
    if alert is not None:
        best, tied = alert.runbook_choice(labels)
        if best is not None:
            return redirect(best.get_absolute_url() + labels_query(labels))
        runbooks = [runbook for runbook in alert.runbooks.all() if not runbook.archived]  # by title
        if runbooks:
            return render(
                request,
                "kb/alert_overview.html",
                {
                    "alert": alert,
                    "labels": labels,
                    "query": labels_query(labels),
                    "tied": tied,
                    "others": [r for r in runbooks if r not in tied],
                    "incident_history": incident_history(alert=alert),
                },
            )
    shown = alert_name or name.replace("\x00", "").strip("/")[:MAX_ALERT_NAME_LENGTH]
    return _alert_without_runbook(request, shown, alert, labels)


def _alert_without_runbook(request, name: str, alert: Alert | None, labels: dict):
    names = Alert.objects.filter(runbooks__archived=False).values_list("name", flat=True).distinct()
    known = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(known), n=5, cutoff=0.6)
    suggestions = [known[c] for c in close if known[c] != (alert.name if alert else None)]
    return render(
        request,
        "kb/alert_missing.html",
        {
            "name": alert.name if alert else name,
            "alert": alert,
            "labels": labels,
            "query": labels_query(labels),
            "suggestions": suggestions,
            "new_runbook_url": "/runbooks/new/?" + urlencode({"alert": alert.name if alert else name}),
            "incident_history": incident_history(alert=alert) if alert else None,
        },
        status=404,
    )
