"""Probes and metrics for the cluster: /healthz, /readyz and /metrics. None needs a login: a probe or
Prometheus has no session. /metrics has its own restriction (KB_METRICS_TOKEN, KB_METRICS_ALLOWED_IPS)."""

import ipaddress

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kb.ops.health import readiness_check
from kb.ops.metrics import metrics_exposition


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """The process is up and answers; the database is not asked (that is /readyz)."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_GET
def readyz(request):
    readiness = readiness_check()
    if not readiness.ready:
        return JsonResponse({"status": "not ready", "problem": readiness.problem}, status=503)
    return JsonResponse({"status": "ready"})


@login_not_required
@never_cache
@require_GET
def metrics(request):
    refusal = _metrics_refusal(request)
    if refusal is not None:
        return refusal
    body, content_type = metrics_exposition()
    return HttpResponse(body, content_type=content_type)


def _metrics_refusal(request) -> HttpResponse | None:
    networks = settings.KB_METRICS_ALLOWED_IPS
    if networks:
        try:
            client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            client = None
        if client is None or not any(client in network for network in networks):
            return HttpResponse(
                f"{request.META.get('REMOTE_ADDR') or 'this address'} is not in KB_METRICS_ALLOWED_IPS\n",
                status=403,
                content_type="text/plain",
            )
    token = settings.KB_METRICS_TOKEN
    if token:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not constant_time_compare(credentials.strip(), token):
            response = HttpResponse(
                "missing or wrong token: send Authorization: Bearer <KB_METRICS_TOKEN>\n",
                status=401,
                content_type="text/plain",
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return None
