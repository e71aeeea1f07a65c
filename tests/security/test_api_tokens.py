"""Personal API tokens: a script reads the JSON API with KB_LOGIN_REQUIRED on; only a hash is
stored; a revoked or unknown token is refused; a token reads unless granted write."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from kb.models import ApiToken
from kb.models.tokens import token_digest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def login_required(settings):
    settings.KB_LOGIN_REQUIRED = True


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_token_reads_the_api_when_login_is_required(reader, imported):
    assert Client().get("/api/runbooks").status_code == 302
    _record, token = ApiToken.issue(user=reader, name="grafana")
    response = bearer(token).get("/api/runbooks")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_only_a_hash_of_the_token_is_stored(reader):
    record, token = ApiToken.issue(user=reader, name="bot")
    record.refresh_from_db()
    stored = [str(value) for value in record.__dict__.values()]
    assert token not in stored
    assert record.digest == token_digest(token)
    assert record.shown == token[:8]


def test_an_unknown_or_revoked_token_is_a_401_naming_the_reason(reader):
    record, token = ApiToken.issue(user=reader, name="bot")
    assert bearer(token + "x").get("/api/runbooks").status_code == 401
    record.revoke()
    response = bearer(token).get("/api/runbooks")
    assert response.status_code == 401
    assert response.json() == {"error": "unknown or revoked API token"}
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_token_of_a_deactivated_user_no_longer_works(reader):
    _record, token = ApiToken.issue(user=reader, name="bot")
    reader.is_active = False
    reader.save()
    assert bearer(token).get("/api/runbooks").status_code == 401


def test_a_read_only_token_cannot_write_and_a_write_token_is_not_refused_for_it(reader):
    _record, read_only = ApiToken.issue(user=reader, name="reader")
    _record, writer = ApiToken.issue(user=reader, name="writer", can_write=True)
    response = bearer(read_only).post("/api/search", {})
    assert response.status_code == 403
    assert response.json() == {"error": "this API token may only read"}
    assert bearer(writer).post("/api/search", {}).status_code == 405  # the API itself only reads


def test_a_token_opens_only_the_api_not_the_pages(reader, imported):
    _record, token = ApiToken.issue(user=reader, name="bot")
    assert bearer(token).get("/runbooks/").status_code == 302


def test_last_use_is_recorded_at_most_once_a_minute(reader):
    record, token = ApiToken.issue(user=reader, name="bot")
    assert record.last_used_at is None
    bearer(token).get("/api/runbooks")
    record.refresh_from_db()
    first = record.last_used_at
    assert first is not None
    bearer(token).get("/api/runbooks")
    record.refresh_from_db()
    assert record.last_used_at == first
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now() - timedelta(minutes=5))
    bearer(token).get("/api/runbooks")
    record.refresh_from_db()
    assert record.last_used_at > first


def test_the_webhook_keeps_its_own_token(settings, reader):
    settings.KB_ALERTMANAGER_TOKEN = "webhook-token-0123456789"
    _record, token = ApiToken.issue(user=reader, name="bot")
    assert bearer(token).post("/api/alertmanager/", "{}", content_type="application/json").status_code == 401


def test_the_page_makes_a_token_shown_once_and_revokes_it(reader):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reader)
    page = browser.get("/accounts/tokens/")
    csrf = page.cookies["csrftoken"].value
    made = browser.post("/accounts/tokens/", {"name": "chat bot", "csrfmiddlewaretoken": csrf})
    html = made.content.decode()
    record = ApiToken.objects.get(user=reader)
    token = html.split('<code id="new-token">')[1].split("</code>")[0]
    assert token_digest(token) == record.digest and not record.can_write
    assert token not in browser.get("/accounts/tokens/").content.decode()
    assert bearer(token).get("/api/runbooks").status_code == 200
    assert browser.post(f"/accounts/tokens/{record.pk}/revoke/").status_code == 403  # no CSRF token
    browser.post(f"/accounts/tokens/{record.pk}/revoke/", {"csrfmiddlewaretoken": csrf})
    assert bearer(token).get("/api/runbooks").status_code == 401


def test_nobody_revokes_another_users_token(reader, editor_client):
    record, token = ApiToken.issue(user=reader, name="bot")
    assert editor_client.post(f"/accounts/tokens/{record.pk}/revoke/").status_code == 404
    assert bearer(token).get("/api/runbooks").status_code == 200


def test_the_page_needs_a_login():
    assert Client().get("/accounts/tokens/").status_code == 302


def test_the_command_creates_lists_and_revokes(reader):
    out = StringIO()
    call_command("api_token", "create", "rita", "--name", "annotate_rules", stdout=out)
    token = out.getvalue().strip()
    assert bearer(token).get("/api/runbooks").status_code == 200
    out = StringIO()
    call_command("api_token", "list", "rita", stdout=out)
    record = ApiToken.objects.get()
    assert f"{record.pk}\t{token[:8]}…\tannotate_rules\tread\tlast used" in out.getvalue()
    assert token not in out.getvalue()
    call_command("api_token", "revoke", str(record.pk), stdout=StringIO())
    assert bearer(token).get("/api/runbooks").status_code == 401
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("api_token", "create", "nobody", "--name", "x")
