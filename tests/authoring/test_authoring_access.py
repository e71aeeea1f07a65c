"""Who may write: anonymous users are sent to log in, users without the permission are refused,
and every write needs CSRF. Reading follows KB_LOGIN_REQUIRED."""

import pytest
from django.test import Client

from kb.models import Document, Incident, Revision
from tests.authoring_support import SEED_POSTMORTEM, SEED_RUNBOOK, form_data

pytestmark = pytest.mark.django_db

WRITES = [
    ("get", "/postmortems/new/"),
    ("post", "/postmortems/new/"),
    ("get", f"/postmortems/{SEED_POSTMORTEM}/edit/"),
    ("post", f"/postmortems/{SEED_POSTMORTEM}/edit/"),
    ("post", f"/postmortems/{SEED_POSTMORTEM}/follow-ups/0/status/"),
    ("get", "/runbooks/new/"),
    ("post", "/runbooks/new/"),
    ("get", f"/runbooks/{SEED_RUNBOOK}/edit/"),
    ("post", f"/runbooks/{SEED_RUNBOOK}/edit/"),
    ("get", f"/runbooks/{SEED_RUNBOOK}/resolutions/new/"),
    ("post", f"/runbooks/{SEED_RUNBOOK}/resolutions/new/"),
    ("post", f"/runbooks/{SEED_RUNBOOK}/history/1/restore/"),
    ("get", "/incidents/new/"),
    ("post", "/incidents/new/"),
]


def nothing_written() -> bool:
    return Revision.objects.count() == 2 and Incident.objects.count() == 2 and Document.objects.count() == 2


@pytest.mark.parametrize(("method", "url"), WRITES)
def test_anonymous_writes_are_sent_to_log_in_and_change_nothing(client, imported, method, url):
    response = getattr(client, method)(url, {"text": "# x", "status": "done", "version": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"/accounts/login/?next={url}")
    assert nothing_written()


@pytest.mark.parametrize(("method", "url"), WRITES)
def test_a_user_without_the_change_permission_is_refused(client, reader, imported, method, url):
    client.force_login(reader)
    assert getattr(client, method)(url, {"text": "# x", "status": "done", "version": "1"}).status_code == 403
    assert nothing_written()


def test_previews_need_a_login(client):
    for url in ("/preview/postmortem/", "/preview/runbook/"):
        assert client.post(url, {"text": "# x"}).status_code == 302


def test_every_write_needs_the_csrf_token(editor, imported):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    url = f"/runbooks/{SEED_RUNBOOK}/edit/"
    data = form_data(browser.get(url).content.decode(), url)
    without = {k: v for k, v in data.items() if k != "csrfmiddlewaretoken"}
    assert browser.post(url, without | {"text": data["text"] + "\nMore.\n"}).status_code == 403
    assert nothing_written()
    assert browser.post(url, data | {"text": data["text"] + "\nMore.\n"}).status_code == 302


def test_logging_in_and_out_with_djangos_auth(editor):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/accounts/login/?next=/postmortems/new/")
    data = form_data(page.content.decode(), "/accounts/login/")
    response = browser.post("/accounts/login/", data | {"username": "erin", "password": "pw-erin-123"})
    assert response["Location"] == "/postmortems/new/"
    assert browser.get("/postmortems/new/").status_code == 200
    home = browser.get("/").content.decode()
    assert "erin" in home and "Log out" in home
    logout = form_data(home, "/accounts/logout/")
    assert browser.post("/accounts/logout/", logout).status_code == 302
    assert browser.get("/postmortems/new/").status_code == 302


def test_a_wrong_password_is_refused_with_a_message(editor, client):
    response = client.post("/accounts/login/", {"username": "erin", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_reading_is_open_unless_kb_login_required(client, imported, settings):
    pages = [
        "/",
        f"/runbooks/{SEED_RUNBOOK}/",
        f"/api/runbooks/{SEED_RUNBOOK}",
        f"/runbooks/{SEED_RUNBOOK}.md",
        f"/runbooks/{SEED_RUNBOOK}/history/",
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    settings.KB_LOGIN_REQUIRED = True
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url
    assert client.get("/accounts/login/").status_code == 200
