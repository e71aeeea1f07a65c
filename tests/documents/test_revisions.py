"""Revision history: list, diff between any two revisions, one revision, restore."""

import pytest
from django.test import Client

from kb.models import Runbook
from tests.authoring_support import SEED_RUNBOOK, form_data

pytestmark = pytest.mark.django_db

HISTORY = f"/runbooks/{SEED_RUNBOOK}/history/"
EDIT = f"/runbooks/{SEED_RUNBOOK}/edit/"


@pytest.fixture
def three_revisions(editor_client, imported):
    for limit in ("2Gi", "4Gi"):
        data = form_data(editor_client.get(EDIT).content.decode(), EDIT)
        text = data["text"].replace("memory: 1Gi  # 512Mi until", f"memory: {limit}  # 512Mi until")
        text = text.replace("memory: 2Gi  # 512Mi until", f"memory: {limit}  # 512Mi until")
        assert editor_client.post(EDIT, data | {"text": text, "reason": f"limit {limit}"}).status_code == 302
    return Runbook.objects.get()


def test_it_lists_revisions_and_shows_the_latest_change(three_revisions):
    html = Client().get(HISTORY).content.decode()
    assert html.count("<tr>") == 4  # the header and three revisions
    assert "limit 4Gi" in html and "erin" in html and "import" in html
    assert "Revision 2 → revision 3" in html
    assert '<span class="diff-removed">-    memory: 2Gi  # 512Mi until 2026-02-24</span>' in html
    assert '<span class="diff-added">+    memory: 4Gi  # 512Mi until 2026-02-24</span>' in html


def test_it_diffs_any_two_revisions_and_htmx_gets_just_the_diff(client, three_revisions):
    response = client.get(HISTORY, {"from": "1", "to": "3"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="diff"')
    assert '<span class="diff-removed">-    memory: 1Gi  # 512Mi until 2026-02-24</span>' in html
    assert "<html" not in html


def test_an_unknown_revision_is_a_404(client, three_revisions):
    assert client.get(HISTORY, {"from": "9", "to": "3"}).status_code == 404
    assert client.get(f"{HISTORY}9/").status_code == 404
    assert client.get("/runbooks/nope/history/").status_code == 404


def test_restoring_makes_a_new_revision_with_the_old_text(editor_client, editor, three_revisions, seed_runbook):
    page = editor_client.get(f"{HISTORY}1/").content.decode()
    assert "Restore this revision" in page
    response = editor_client.post(
        f"{HISTORY}1/restore/", form_data(page, f"/runbooks/{SEED_RUNBOOK}/history/1/restore/")
    )
    assert response.status_code == 302
    runbook = Runbook.objects.get()
    latest = runbook.revisions.order_by("-number").first()
    assert (latest.number, latest.reason, latest.author) == (4, "restored revision 1", editor)
    assert runbook.source_text == seed_runbook.read_text()
    assert runbook.version == 4


def test_restoring_from_a_stale_page_is_refused(editor_client, three_revisions):
    page = editor_client.get(f"{HISTORY}1/").content.decode()
    data = form_data(page, f"/runbooks/{SEED_RUNBOOK}/history/1/restore/")
    editor_client.post(f"{HISTORY}2/restore/", {"version": "3"})
    response = editor_client.post(f"{HISTORY}1/restore/", data)
    assert response.status_code == 409
    assert "Not restored" in response.content.decode()
    assert Runbook.objects.get().revisions.order_by("-number").first().reason == "restored revision 2"


def test_restoring_needs_the_change_permission(client, reader, three_revisions):
    client.force_login(reader)
    assert client.post(f"{HISTORY}1/restore/", {"version": "3"}).status_code == 403
    assert "Restore this revision" not in client.get(f"{HISTORY}1/").content.decode()
    assert Client().post(f"{HISTORY}1/restore/", {"version": "3"})["Location"].startswith("/accounts/login/")
    assert Runbook.objects.get().version == 3


def test_the_history_page_makes_a_pinned_number_of_queries(three_revisions, django_assert_num_queries):
    anonymous = Client()
    # the document, its revisions with their authors (not their texts), the two texts compared
    with django_assert_num_queries(3):
        assert anonymous.get(HISTORY).status_code == 200


def test_a_revision_page_makes_a_pinned_number_of_queries(three_revisions, django_assert_num_queries):
    # the document, the revision with its author
    with django_assert_num_queries(2):
        html = Client().get(f"{HISTORY}1/").content.decode()
    assert f'href="{HISTORY}?from=1&amp;to=3"' in html
    assert "Restore this revision" not in html and "Log in to restore this revision" in html


def test_the_current_revision_offers_no_restore(editor_client, three_revisions):
    html = editor_client.get(f"{HISTORY}3/").content.decode()
    assert "This is the current text." in html and "Restore this revision" not in html
