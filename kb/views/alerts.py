"""The alert link, `/alerts/<name>/?label=value…`: what goes into every alert's `runbook_url` annotation.

It must lead somewhere whatever Alertmanager (or a person) puts in it: the best runbook for
the labels, the runbooks to choose from, or a page that says none exists and offers to write one.
"""

from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from kb.alerting.history import incident_history
from kb.alerting.links import MAX_ALERT_NAME_LENGTH, alert_name_from_path, labels_from_query, labels_query
from kb.alerting.unanswered import unanswered_alert
from kb.models import DOCUMENT_TEXTS, Alert, Runbook


@require_safe
def alert_runbook(request, name):
    labels = labels_from_query(request.GET)
    alert_name = alert_name_from_path(name)
    # Its runbooks as the choice reads them (scope, stub) and the page lists them: not their texts.
    runbooks = Prefetch("runbooks", queryset=Runbook.objects.defer(*DOCUMENT_TEXTS))
    alert = Alert.objects.prefetch_related(runbooks).named(alert_name) if alert_name else None
    others: list = []
    if alert is not None:
        best, tied = alert.runbook_choice(labels)
        if best is not None:
            return redirect(best.get_absolute_url() + labels_query(labels))
        others = [runbook for runbook in alert.runbooks.all() if not runbook.archived]  # by title
        if tied:
            return render(
                request,
                "kb/alert_overview.html",
                {
                    "alert": alert,
                    "labels": labels,
                    "query": labels_query(labels),
                    "tied": tied,
                    "others": [r for r in others if r not in tied],
                    "incident_history": incident_history(alert=alert),
                },
            )
    shown = alert_name or name.replace("\x00", "").strip("/")[:MAX_ALERT_NAME_LENGTH]
    unanswered = unanswered_alert(name=shown, alert=alert, labels=labels, others=others)
    return render(
        request,
        "kb/alert_missing.html",
        {
            "unanswered": unanswered,
            "name": unanswered.name,
            "alert": alert,
            "labels": labels,
            "query": labels_query(labels),
            "incident_history": unanswered.incident_history,
        },
        # Runbooks for other labels are a page to choose from; nothing at all is a 404.
        status=200 if others else 404,
    )
