"""Runbooks on the web: edit, new for an alert, add resolution; follow-up toggles on post-mortems."""

import re

import pytest
from django.test import Client
from django.utils.html import escape

from kb.models import PostMortem, Runbook
from tests.authoring_support import SEED_POSTMORTEM, SEED_RUNBOOK, form_data

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
EDIT = f"/runbooks/{SEED_RUNBOOK}/edit/"


def test_the_edit_page_holds_the_markdown_and_its_preview(editor_client, imported, seed_runbook):
    html = editor_client.get(EDIT).content.decode()
    data = form_data(html, EDIT)
    assert data["text"] == seed_runbook.read_text()
    assert data["version"] == "1"
    assert '<h2 id="investigation-steps">Investigation Steps</h2>' in html.split('id="preview"', 1)[1]


def test_saving_an_edited_runbook_adds_a_revision_by_its_author(editor_client, editor, imported):
    data = form_data(editor_client.get(EDIT).content.decode(), EDIT)
    text = data["text"].replace("still get OOM-killed at 1Gi", "still get OOM-killed at 2Gi")
    response = editor_client.post(EDIT, data | {"text": text.replace("\n", "\r\n"), "reason": "2Gi now"})
    assert response.status_code == 302 and response["Location"] == f"/runbooks/{SEED_RUNBOOK}/"
    runbook = Runbook.objects.get()
    assert "OOM-killed at 2Gi" in runbook.source_text and "\r" not in runbook.source_text
    revision = runbook.revisions.order_by("-number").first()
    assert (revision.number, revision.author, revision.reason) == (2, editor, "2Gi now")
    api = editor_client.get(f"/api/runbooks/{SEED_RUNBOOK}").json()
    assert (api["alert"], api["version"], len(api["resolution_history"])) == ("HomelabPodOOMKilled", 2, 1)


def test_markdown_that_would_not_import_is_refused_with_its_line(editor_client, imported):
    data = form_data(editor_client.get(EDIT).content.decode(), EDIT)
    response = editor_client.post(EDIT, data | {"text": "---\ntitle: [unclosed\n---\n# Velero\n"})
    assert response.status_code == 200
    assert "line 3: invalid YAML front matter" in response.content.decode()
    assert Runbook.objects.get().version == 1


def test_a_runbook_edited_into_a_postmortem_is_refused(editor_client, imported, seed_postmortem):
    data = form_data(editor_client.get(EDIT).content.decode(), EDIT)
    response = editor_client.post(EDIT, data | {"text": seed_postmortem.read_text()})
    assert "reads as a post-mortem" in response.content.decode()
    assert Runbook.objects.get().version == 1


def test_a_stale_runbook_save_shows_both_versions_and_keeps_the_text(editor_client, other_editor, imported):
    mine = form_data(editor_client.get(EDIT).content.decode(), EDIT)
    other = Client()
    other.force_login(other_editor)
    theirs = form_data(other.get(EDIT).content.decode(), EDIT)
    other.post(EDIT, theirs | {"text": theirs["text"] + "\n## Escalation\n\nPage Oscar.\n"})
    response = editor_client.post(EDIT, mine | {"text": mine["text"].replace("Go to 2Gi", "Go to 4Gi")})
    assert response.status_code == 409
    html = response.content.decode()
    assert '<span class="diff-removed">-Page Oscar.</span>' in html
    assert '<span class="diff-added">+1. Go to 4Gi and watch a week of backups</span>' in html
    kept = form_data(html, EDIT)
    assert "Go to 4Gi" in kept["text"] and kept["version"] == "2"
    assert "Page Oscar." in Runbook.objects.get().source_text


def test_a_stale_save_shows_the_text_it_tried_to_write_as_yours(editor_client, other_editor, imported):
    mine = form_data(editor_client.get(EDIT).content.decode(), EDIT)
    other = Client()
    other.force_login(other_editor)
    other.post(EDIT, mine | {"text": mine["text"] + "\n## Escalation\n\nPage Oscar.\n"})
    # As a browser sends a textarea: CRLF line ends, no final newline.
    typed = mine["text"].replace("Go to 2Gi", "Go to 4Gi").rstrip("\n").replace("\n", "\r\n")
    html = editor_client.post(EDIT, mine | {"text": typed}).content.decode()
    changed = re.findall(r'<span class="diff-(?:added|removed)">(.*?)</span>', html)
    assert changed == [
        "-1. Go to 2Gi and watch a week of backups",
        "+1. Go to 4Gi and watch a week of backups",
        "-",
        "-## Escalation",
        "-",
        "-Page Oscar.",
    ]
    assert f'<pre class="source">{escape(typed.replace(chr(13), "") + chr(10))}</pre>' in html


def test_a_new_runbook_for_an_alert_without_one(editor_client):
    data = form_data(editor_client.get("/runbooks/new/?alert=KubeQuotaExceeded").content.decode(), "/runbooks/new/")
    assert data["text"].startswith("# KubeQuotaExceeded\n\n## Alert\n\n`KubeQuotaExceeded` fires when")
    response = editor_client.post("/runbooks/new/?alert=KubeQuotaExceeded", data)
    assert response.status_code == 302 and response["Location"] == "/runbooks/kubequotaexceeded/"
    runbook = Runbook.objects.get()
    assert (runbook.identity, runbook.alert.name, runbook.warnings) == (
        "runbooks/KubeQuotaExceeded.md",
        "KubeQuotaExceeded",
        [],
    )
    assert editor_client.get("/api/alerts/KubeQuotaExceeded").json()["runbook"]["slug"] == "kubequotaexceeded"


def test_a_new_runbook_ignores_an_alert_parameter_that_is_no_alert_name(editor_client):
    data = form_data(editor_client.get("/runbooks/new/?alert=<b>x</b>").content.decode(), "/runbooks/new/")
    assert data["text"].startswith("# New runbook\n")


def test_adding_a_resolution_appends_a_row_to_the_history(editor_client, editor, imported):
    url = f"/runbooks/{SEED_RUNBOOK}/resolutions/new/"
    assert editor_client.get(url).status_code == 200
    response = editor_client.post(
        url, {"date": "2026-03-01", "incidents": "#240 241", "old": "1Gi", "new": "2Gi", "notes": "OOM again"}
    )
    assert response.status_code == 302 and response["Location"] == f"/runbooks/{SEED_RUNBOOK}/#resolution-history"
    history = editor_client.get(f"/api/runbooks/{SEED_RUNBOOK}").json()["resolution_history"]
    assert history[-1] | {"cells": None} == {
        "date": "2026-03-01",
        "incidents": ["#240", "#241"],
        "old": "1Gi",
        "new": "2Gi",
        "notes": "OOM again",
        "cells": None,
    }
    runbook = Runbook.objects.get()
    assert runbook.source_text.endswith("| 2026-03-01 | #240, #241 | 1Gi | 2Gi | OOM again |\n")
    assert sorted(runbook.incidents_named.values_list("reference", flat=True)) == ["#236", "#237", "#240", "#241"]
    assert runbook.revisions.order_by("-number").first().author == editor


def test_a_resolution_needs_something_resolved_and_a_real_date(editor_client, imported):
    url = f"/runbooks/{SEED_RUNBOOK}/resolutions/new/"
    html = editor_client.post(url, {"date": "yesterday"}).content.decode()
    assert "Write the date as YYYY-MM-DD" in html
    assert "Say what was resolved" in html
    assert Runbook.objects.get().version == 1


def test_a_follow_up_is_marked_done_in_place_and_in_the_markdown(editor_client, imported):
    postmortem = PostMortem.objects.get()
    follow_up = postmortem.follow_ups.get(position=1)
    url = f"/postmortems/{SEED_POSTMORTEM}/follow-ups/1/status/"
    response = editor_client.post(url, {"text": follow_up.text, "status": "done"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<li class="follow-up done" id="follow-up-1">')
    assert 'aria-pressed="true"' in html
    api = editor_client.get(f"/api/postmortems/{SEED_POSTMORTEM}").json()
    assert [f["status"] for f in api["follow_ups"]] == ["open", "done"]
    assert "- [x] **Offsite Synology NAS 96% full**" in PostMortem.objects.get().source_text


def test_toggling_a_follow_up_changed_meanwhile_is_refused_with_a_reason(editor_client, imported):
    url = f"/postmortems/{SEED_POSTMORTEM}/follow-ups/1/status/"
    response = editor_client.post(url, {"text": "a follow-up nobody wrote", "status": "done"}, **HTMX)
    assert "changed or removed meanwhile" in response.content.decode()
    without_htmx = editor_client.post(url, {"text": "a follow-up nobody wrote", "status": "done"})
    assert without_htmx.status_code == 409
    assert PostMortem.objects.get().version == 1


def test_the_postmortem_page_shows_the_toggles_to_editors_only(client, editor_client, imported):
    page = f"/postmortems/{SEED_POSTMORTEM}/"
    assert 'aria-label="Mark done: ' in editor_client.get(page).content.decode()
    assert 'aria-label="Mark done: ' not in Client().get(page).content.decode()


def test_the_document_pages_link_to_edit_history_and_markdown(editor_client, imported):
    html = editor_client.get(f"/runbooks/{SEED_RUNBOOK}/").content.decode()
    for href in (
        f"/runbooks/{SEED_RUNBOOK}/edit/",
        f"/runbooks/{SEED_RUNBOOK}/history/",
        f"/runbooks/{SEED_RUNBOOK}.md",
        f"/runbooks/{SEED_RUNBOOK}/resolutions/new/",
    ):
        assert f'href="{href}"' in html


def test_a_new_runbook_with_an_id_in_front_matter_is_named_by_it_as_an_import_would(editor_client, tmp_path):
    text = "---\nid: kubelet-down\n---\n# Kubelet down (KubeletDown)\n\n## Fix\n\nRestart it.\n"
    data = form_data(editor_client.get("/runbooks/new/").content.decode(), "/runbooks/new/")
    assert editor_client.post("/runbooks/new/", data | {"text": text})["Location"] == "/runbooks/kubelet-down/"
    assert Runbook.objects.get().identity == "id:kubelet-down"
    again = editor_client.post("/runbooks/new/", data | {"text": text.replace("Restart it.", "Reboot.")})
    assert "front matter id: kubelet-down is already the id of “Kubelet down (KubeletDown)”" in again.content.decode()
    assert Runbook.objects.count() == 1
