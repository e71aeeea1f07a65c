"""Did the runbook help? One POST from the runbook page or the page of an incident it was used for."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kb.alerting.feedback import FeedbackError, feedback_record
from kb.models import Incident, Runbook


@login_required
@require_POST
def runbook_feedback(request, slug):
    runbook = get_object_or_404(Runbook, slug=slug, archived=False)
    incident = None
    if incident_id := request.POST.get("incident", "").strip():
        if not incident_id.isdigit():
            return HttpResponseBadRequest(
                f"incident: {incident_id!r} is not an incident number", content_type="text/plain"
            )
        incident = Incident.objects.filter(pk=int(incident_id)).first()
        if incident is None:
            return HttpResponseBadRequest(f"incident: no incident {incident_id}", content_type="text/plain")
    try:
        feedback = feedback_record(
            runbook=runbook,
            user=request.user,
            answer=request.POST.get("answer", ""),
            note=request.POST.get("note", ""),
            incident=incident,
        )
    except FeedbackError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain")
    messages.success(request, f"Thank you: “{feedback.get_answer_display()}” is recorded for {runbook.title}.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = runbook.get_absolute_url()
    return redirect(back.split("#")[0] + "#feedback")
