"""Every URL of kb/urls.py, walked: each that takes a POST refuses anonymous users, users without
the permission, requests without the CSRF token and other methods; reads follow
KB_LOGIN_REQUIRED. A new URL joins the matrix by itself. Also: the webhook token never shows in
logs, pages or error reports, and admin actions are logged."""

import re
import secrets

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import URLPattern, URLResolver
from django.views.debug import ExceptionReporter

from kb import urls
from kb.alerting.incidents import incident_save
from kb.models import ApiToken, Incident
from tests.authoring_support import SEED_POSTMORTEM, SEED_RUNBOOK

pytestmark = pytest.mark.django_db

# Every URL that takes a POST. Any other answers it 405, as it answers PUT or DELETE: a page that reads
# never takes a POST for a GET (require_safe), so a form posted to the wrong address fails loudly.
WRITES = {
    "/accounts/tokens/",
    "/accounts/tokens/{pk}/revoke/",
    "/postmortems/new/",
    f"/postmortems/{SEED_POSTMORTEM}/edit/",
    f"/postmortems/{SEED_POSTMORTEM}/follow-ups/0/status/",
    "/runbooks/new/",
    f"/runbooks/{SEED_RUNBOOK}/edit/",
    f"/runbooks/{SEED_RUNBOOK}/resolutions/new/",
    f"/runbooks/{SEED_RUNBOOK}/feedback/",
    "/preview/postmortem/",
    "/preview/runbook/",
    "/incidents/new/",
    "/incidents/received/{pk}/edit/",
    "/incidents/{key}/edit/",
    f"/runbooks/{SEED_RUNBOOK}/history/1/restore/",
    "/api/alertmanager/",
    "/api/alertmanager",
    "/hooks/git/",
}
# Writes open to any logged-in user: a preview writes nothing; a user's own API tokens; whether a runbook helped.
ANY_USER = {
    "/preview/postmortem/",
    "/preview/runbook/",
    "/accounts/tokens/",
    "/accounts/tokens/{pk}/revoke/",
    f"/runbooks/{SEED_RUNBOOK}/feedback/",
}
# Open without a login, by design: probes, and the webhooks with their own token or signature.
OPEN = {"/healthz", "/readyz", "/metrics", "/api/alertmanager/", "/api/alertmanager", "/hooks/git/"}
VALUES = {
    "slug": SEED_RUNBOOK,
    "name": "HomelabPodOOMKilled",
    "number": "1",
    "position": "0",
    "pk": "{pk}",
    "key": "{key}",
}


def patterns(entries=None, prefix=""):
    for entry in urls.urlpatterns if entries is None else entries:
        if isinstance(entry, URLResolver):
            if getattr(entry.urlconf_name, "__name__", entry.urlconf_name) != "django.contrib.auth.urls":
                yield from patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry, prefix + str(entry.pattern)


def concrete(pattern: URLPattern, route: str) -> str:
    """A URL the pattern matches, naming the seed documents."""
    url = re.sub(r"\(\?P<kind>[^)]*\)", "runbook", route.lstrip("^").rstrip("$"))
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: VALUES.get(m[1], "x"), url)
    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: VALUES.get(m[1], "x"), url).replace("/?", "/")
    if url.startswith("postmortems/") or pattern.default_args.get("kind") == "postmortem":
        url = url.replace(SEED_RUNBOOK, SEED_POSTMORTEM)
    if pattern.default_args.get("kind") == "note":
        url = url.replace(SEED_RUNBOOK, "x")
    return "/" + url


URLS = [concrete(pattern, route) for pattern, route in patterns()]


class Matrix:
    """A client on the seed documents that fills each `{pk}`/`{key}` with the incident or token it names:
    `received/{pk}` an incident received without a reference, `{key}` one a document names (`#236`)."""

    def __init__(self, client: Client, incident: Incident, received: Incident, token: int):
        self.client, self.incident, self.received, self.token = client, incident, received, token

    def real(self, url: str) -> str:
        return (
            url.replace("incidents/received/{pk}", f"incidents/received/{self.received.pk}")
            .replace("incidents/{key}", f"incidents/{self.incident.url_key}")
            .replace("tokens/{pk}", f"tokens/{self.token}")
        )

    def ask(self, client: Client, method: str, url: str, *args):
        return getattr(client, method)(self.real(url), *args)


@pytest.fixture
def world(imported, admin_user, reader) -> Matrix:
    """The seed documents (with their incidents) and an API token of the admin's."""
    token, _secret = ApiToken.issue(user=admin_user, name="admin's")
    admin = Client()
    admin.force_login(admin_user)
    named = Incident.objects.exclude(reference="").order_by("pk").first()
    received = incident_save(incident=Incident(title="Received without a reference"))
    return Matrix(admin, named, received, token.pk)


def writes(world: Matrix) -> list[str]:
    """The URLs that answer a POST (the admin's, without CSRF checks) other than 405."""
    return [url for url in URLS if world.ask(world.client, "post", url).status_code != 405]


def test_only_the_writes_take_a_post_and_every_read_answers_it_405(world):
    reads = [url for url in URLS if url not in WRITES]
    assert len(reads) >= 30, reads
    statuses = {url: world.ask(world.client, "post", url).status_code for url in reads}
    # A new read: decorate its view with require_safe. A new write: name it in WRITES.
    assert {url for url, status in statuses.items() if status != 405} == set(), statuses
    assert set(writes(world)) == WRITES


def test_anonymous_writes_are_refused(world):
    refused = {}
    for url in writes(world):
        response = world.ask(Client(), "post", url, {"text": "# x"})
        refused[url] = response.status_code in (401, 403, 503) or response.get("Location", "").startswith(
            "/accounts/login/"
        )
    assert all(refused.values()), [url for url, ok in refused.items() if not ok]


def test_writes_need_the_permission(world, reader):
    browser = Client()
    browser.force_login(reader)
    statuses = {
        url: world.ask(browser, "post", url, {"text": "# x"}).status_code
        for url in writes(world)
        if url not in ANY_USER
    }
    statuses = {url: status for url, status in statuses.items() if url not in OPEN}
    assert statuses and set(statuses.values()) == {403}, statuses


def test_writes_need_the_csrf_token(world, admin_user, settings):
    settings.KB_ALERTMANAGER_TOKEN = "webhook-token-0123456789abcdef"
    settings.KB_GIT_WEBHOOK_SECRET = "git-webhook-secret-0123456789"
    settings.KB_GIT_URL = "https://git.example.org/ops/runbooks.git"
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    statuses = {url: world.ask(browser, "post", url, {"text": "# x"}).status_code for url in writes(world)}
    # The webhook has no session to forge: its bearer token is its check (401 without it).
    assert statuses.pop("/api/alertmanager/") == statuses.pop("/api/alertmanager") == 401
    # The Git push webhook neither: the forge's signature is its check (401 without it).
    assert statuses.pop("/hooks/git/") == 401
    assert set(statuses.values()) == {403}, statuses


def test_writes_refuse_other_methods(world):
    statuses = {
        (url, method): world.ask(world.client, method, url).status_code
        for url in writes(world)
        for method in ("put", "delete", "patch")
    }
    assert set(statuses.values()) == {405}, {k: v for k, v in statuses.items() if v != 405}


@pytest.mark.parametrize("required", [True, False])
def test_reads_follow_login_required(world, settings, required):
    settings.KB_LOGIN_REQUIRED = required
    sent_to_login = {}
    for url in URLS:
        response = world.ask(Client(), "get", url)
        sent_to_login[url] = response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    write_forms = {url for url in writes(world) if url not in OPEN}
    for url, redirected in sent_to_login.items():
        if url in OPEN:
            assert not redirected, url
        elif required or url in write_forms:
            assert redirected, url
        else:
            assert not redirected, url


def _store_fails(**kwargs):
    raise RuntimeError("database went away")


def test_the_webhook_token_shows_in_no_log_page_or_error_report(settings, caplog, monkeypatch, client):
    token = "webhook-" + secrets.token_hex(16)
    settings.KB_ALERTMANAGER_TOKEN = token
    settings.DEBUG = False
    monkeypatch.setattr("kb.views.webhook.webhook_store", _store_fails)
    body = '{"version": "4", "status": "firing", "alerts": [], "groupKey": "g", "receiver": "kb"}'
    browser = Client(raise_request_exception=False)
    failed = browser.post(
        "/api/alertmanager/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    wrong = browser.post(
        "/api/alertmanager/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}x"
    )
    assert failed.status_code == 500 and wrong.status_code == 401
    assert token not in failed.content.decode() + wrong.content.decode()
    assert token not in caplog.text
    records = [r for r in caplog.records if getattr(r, "request", None) is not None and r.exc_info]
    assert records, "the 500 was logged with its request"
    report = ExceptionReporter(records[0].request, *records[0].exc_info)
    assert token not in report.get_traceback_text() and token not in report.get_traceback_html()


def test_admin_changes_and_actions_are_logged(admin_client, imported, admin_user):
    incident = Incident.objects.first()
    page = admin_client.get(f"/admin/kb/incident/{incident.pk}/change/")
    assert page.status_code == 200
    record, _token = ApiToken.issue(user=admin_user, name="old")
    admin_client.post("/admin/kb/apitoken/", {"action": "revoke", "_selected_action": [record.pk], "index": 0})
    entry = LogEntry.objects.get(object_id=str(record.pk))
    assert entry.user == admin_user and "Revoked" in entry.get_change_message()
