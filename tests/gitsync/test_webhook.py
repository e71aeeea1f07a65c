"""POST /hooks/git/: a push signed by the forge syncs the repository; anything unsigned changes nothing."""

import hashlib
import hmac
import json

import pytest

from kb.models import Document, GitSync
from tests.gitsync.conftest import RUNBOOK

pytestmark = pytest.mark.django_db

SECRET = "a-webhook-secret-of-32-characters"
PUSH = json.dumps({"ref": "refs/heads/main", "after": "0" * 40}).encode()


def signed(forge: str, body: bytes, secret: str = SECRET) -> dict:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "gitea": {"HTTP_X_GITEA_SIGNATURE": digest, "HTTP_X_GITEA_EVENT": "push"},
        "forgejo": {"HTTP_X_FORGEJO_SIGNATURE": digest, "HTTP_X_FORGEJO_EVENT": "push"},
        "github": {"HTTP_X_HUB_SIGNATURE_256": f"sha256={digest}", "HTTP_X_GITHUB_EVENT": "push"},
        "gitlab": {"HTTP_X_GITLAB_TOKEN": secret, "HTTP_X_GITLAB_EVENT": "Push Hook"},
    }[forge]


def deliver(client, body: bytes = PUSH, **headers):
    return client.post("/hooks/git/", body, content_type="application/json", **headers)


@pytest.fixture
def hooked(upstream, settings):
    settings.KB_GIT_WEBHOOK_SECRET = SECRET
    return upstream


@pytest.mark.parametrize("forge", ["gitea", "forgejo", "github", "gitlab"])
def test_each_forge_s_signature_of_the_body_is_recognised(rf, forge):
    from kb.gitsync.webhook import webhook_forge

    request = rf.post("/hooks/git/", PUSH, content_type="application/json", **signed(forge, PUSH))
    assert webhook_forge(headers=request.headers, body=PUSH, secret=SECRET) == forge


def test_a_signed_push_syncs_the_repository(client, populated, settings):
    settings.KB_GIT_WEBHOOK_SECRET = SECRET
    response = deliver(client, **signed("forgejo", PUSH))
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 3
    assert GitSync.objects.get().trigger == "webhook (forgejo)"
    assert Document.objects.count() == 3


@pytest.mark.parametrize("forge", ["gitea", "forgejo", "github", "gitlab"])
def test_a_push_signed_with_another_secret_is_refused_and_changes_nothing(client, hooked, forge):
    response = deliver(client, **signed(forge, PUSH, secret="not-the-secret-at-all-0123456789"))
    assert response.status_code == 401
    assert "KB_GIT_WEBHOOK_SECRET" in response.json()["error"]
    assert not GitSync.objects.exists() and not Document.objects.exists()


def test_a_signature_of_another_body_is_refused(client, hooked):
    tampered = json.dumps({"ref": "refs/heads/main", "after": "1" * 40}).encode()
    assert deliver(client, tampered, **signed("github", PUSH)).status_code == 401


def test_an_unsigned_delivery_is_refused(client, hooked):
    assert deliver(client).status_code == 401
    assert not GitSync.objects.exists()


def test_the_webhook_is_off_until_its_secret_is_set(client, populated, settings):
    settings.KB_GIT_WEBHOOK_SECRET = ""
    response = deliver(client, **signed("github", PUSH))
    assert response.status_code == 503 and "KB_GIT_WEBHOOK_SECRET" in response.json()["error"]


def test_a_push_to_another_branch_or_a_ping_syncs_nothing(client, hooked):
    other = json.dumps({"ref": "refs/heads/feature"}).encode()
    assert "not a push to main" in deliver(client, other, **signed("gitea", other)).json()["ignored"]
    ping = json.dumps({"zen": "Keep it logically awesome."}).encode()
    assert deliver(client, ping, **{**signed("github", ping), "HTTP_X_GITHUB_EVENT": "ping"}).status_code == 200
    assert not GitSync.objects.exists()


def test_a_signed_body_that_is_not_a_push_is_a_400_naming_what_is_wrong(client, hooked):
    body = b"{not json"
    response = deliver(client, body, **signed("forgejo", body))
    assert response.status_code == 400 and "not JSON" in response.json()["error"]


def test_a_push_whose_fetch_fails_answers_502_with_git_s_reason(client, hooked, settings):
    settings.KB_GIT_URL = str(hooked.bare.with_name("gone.git"))
    response = deliver(client, **signed("gitlab", PUSH))
    assert response.status_code == 502 and "git fetch failed" in response.json()["message"]


def test_it_needs_no_csrf_token_or_login(hooked, settings):
    hooked.write("runbooks/DiskFull.md", RUNBOOK.format(alert="DiskFull"))
    hooked.commit("DiskFull")
    from django.test import Client

    settings.KB_LOGIN_REQUIRED = True
    assert deliver(Client(enforce_csrf_checks=True), **signed("github", PUSH)).status_code == 200


def test_a_push_while_a_sync_runs_is_answered_202_and_left_for_that_sync(client, hooked):
    from kb.gitsync.syncing import GitConfig, git_lock

    git_lock(action="sync", trigger="sync_git", config=GitConfig.from_settings())
    response = deliver(client, **signed("github", PUSH))
    assert response.status_code == 202 and "will fetch this push too" in response.json()["message"]
    assert GitSync.objects.filter(action="request", outcome="pending").count() == 1
