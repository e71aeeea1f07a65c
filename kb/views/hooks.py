"""POST /hooks/git/: a forge's push webhook, which syncs the repository. A signature, no session, no CSRF.

The sync runs in the request, under the lock every sync takes: an incremental sync of a push takes
about a second, and the forge's delivery log then shows its outcome. A push that arrives while a sync
runs is recorded as a request, which that sync takes up before it lets go of the lock (202).
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kb.gitsync.syncing import git_sync
from kb.gitsync.webhook import PushError, pushed_branch, webhook_forge
from kb.models import GitSyncOutcome

# Under Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB); a push of a few hundred commits is far less.
MAX_BODY_BYTES = 2 * 1024 * 1024
NOT_CONFIGURED = (
    "the Git webhook is off: set KB_GIT_URL and KB_GIT_WEBHOOK_SECRET (16 characters or more) in this app's "
    "environment, and the same secret in the forge's webhook settings"
)


@csrf_exempt
@login_not_required
@require_POST
def git_push(request):
    if not (settings.KB_GIT_WEBHOOK_SECRET and settings.KB_GIT_URL):
        return JsonResponse({"error": NOT_CONFIGURED}, status=503)
    if _declared_length(request) > MAX_BODY_BYTES:
        return JsonResponse({"error": f"the body is over {MAX_BODY_BYTES} bytes"}, status=413)
    body = request.body
    forge = webhook_forge(headers=request.headers, body=body, secret=settings.KB_GIT_WEBHOOK_SECRET)
    if forge is None:
        return JsonResponse(
            {
                "error": "missing or wrong signature: set the webhook's secret to KB_GIT_WEBHOOK_SECRET "
                "(X-Gitea-Signature, X-Forgejo-Signature, X-Hub-Signature-256 or X-Gitlab-Token)"
            },
            status=401,
        )
    try:
        branch = pushed_branch(headers=request.headers, body=body)
    except PushError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    if branch != settings.KB_GIT_BRANCH:
        return JsonResponse({"ignored": f"not a push to {settings.KB_GIT_BRANCH} (KB_GIT_BRANCH)"})
    record = git_sync(trigger=f"webhook ({forge})")
    answer = {"outcome": record.outcome, "commit": record.commit, "message": record.message}
    if record.outcome == GitSyncOutcome.PENDING:
        return JsonResponse({**answer, "message": "a sync is running: it will fetch this push too"}, status=202)
    counts = {name: getattr(record, name) for name in ("created", "updated", "renamed", "archived", "failed")}
    return JsonResponse({**answer, **counts}, status=200 if record.outcome == GitSyncOutcome.SUCCEEDED else 502)


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
