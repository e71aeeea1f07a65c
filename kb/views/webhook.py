"""POST /api/alertmanager/: Alertmanager's webhook receiver. An API: a bearer token, no session, no CSRF."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from kb.alerting.webhook import PayloadError, WebhookPayload, parse_webhook, webhook_store
from kb.ops.metrics import webhook_delivery_observe
from kb.ops.unavailable import database_away

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
NOT_CONFIGURED = (
    "the Alertmanager webhook is off: set KB_ALERTMANAGER_TOKEN (16 characters or more) in this app's "
    "environment, and the same value in alertmanager.yml under the receiver's webhook_configs: "
    "http_config: {authorization: {credentials: <token>}}"
)


@csrf_exempt
@login_not_required
@require_POST
def alertmanager(request):
    try:
        response, payload = _receive(request)
    except Exception as exc:
        # Django answers 500 (503 while the database is away: kb.ops.unavailable); the delivery is
        # counted so that KnowledgeBaseWebhookErrors sees it.
        webhook_delivery_observe(status=503 if database_away(exc) else 500)
        raise
    webhook_delivery_observe(
        status=response.status_code, alert_statuses=[alert.status for alert in payload.alerts] if payload else ()
    )
    return response


# An error report (the 500 page with DEBUG, the mail to ADMINS) shows each frame's variables: not the token.
@sensitive_variables("token")
def _receive(request) -> tuple[JsonResponse, WebhookPayload | None]:
    """The answer, and the payload when the delivery was accepted."""
    token = settings.KB_ALERTMANAGER_TOKEN
    if not token:
        return JsonResponse({"error": NOT_CONFIGURED}, status=503), None
    if not _bearer_token_matches(request, token):
        response = JsonResponse(
            {"error": "missing or wrong token: send Authorization: Bearer <KB_ALERTMANAGER_TOKEN>"}, status=401
        )
        response["WWW-Authenticate"] = 'Bearer realm="alertmanager webhook"'
        return response, None
    body = _body_within_limit(request)
    if body is None:
        return JsonResponse({"error": f"the body is over {MAX_BODY_BYTES} bytes"}, status=413), None
    try:
        payload = parse_webhook(body)
    except PayloadError as exc:
        return JsonResponse({"error": str(exc)}, status=400), None
    result = webhook_store(payload=payload)
    if payload.truncated_alerts:
        logger.warning(
            "Alertmanager left %d alerts out of a group of %d (the receiver's max_alerts): they have no incident",
            payload.truncated_alerts,
            len(payload.alerts) + payload.truncated_alerts,
        )
    return JsonResponse(
        {"alerts": len(payload.alerts), "truncated_alerts": payload.truncated_alerts, **result.as_dict()}
    ), payload


@sensitive_variables()
def _bearer_token_matches(request, token: str) -> bool:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and constant_time_compare(credentials.strip(), token)


def _body_within_limit(request) -> bytes | None:
    """The body, read without ever holding more than the limit; None when it is over."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return None
    body = request.read(MAX_BODY_BYTES + 1)
    return None if len(body) > MAX_BODY_BYTES else body
