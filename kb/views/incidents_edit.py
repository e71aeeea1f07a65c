"""Creating and editing incidents by hand (Alertmanager creates its own)."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kb.alerting.forms import IncidentForm
from kb.models import Incident, Runbook


@login_required
@permission_required("kb.change_incident", raise_exception=True)
@require_http_methods(["GET", "POST"])
def incident_new(request):
    runbook = Runbook.objects.select_related("alert").filter(slug=request.GET.get("runbook", "")).first()
    alert = request.GET.get("alert") or (runbook.alert.name if runbook and runbook.alert else "")
    return _incident_form(request, Incident(), initial={"alert_name": alert, "runbook": runbook})


@login_required
@permission_required("kb.change_incident", raise_exception=True)
@require_http_methods(["GET", "POST"])
def incident_edit(request, key=None, pk=None):
    incident = Incident.objects.at_url(key=key, pk=pk).select_related("alert").first()
    if incident is None:
        raise Http404("No such incident")
    return _incident_form(request, incident, initial={})


def _incident_form(request, incident: Incident, *, initial: dict):
    form = IncidentForm(request.POST or None, instance=incident, initial=initial)
    if request.method == "POST" and form.is_valid():
        return redirect(form.save())
    return render(request, "kb/incident_form.html", {"form": form, "incident": incident if incident.pk else None})
