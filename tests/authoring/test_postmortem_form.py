"""The post-mortem form: /postmortems/new/ and /postmortems/<slug>/edit/."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command

from kb.models import Alert, Incident, PostMortem
from tests.authoring_support import SEED_POSTMORTEM, form_data

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def new_form(client, url="/postmortems/new/") -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200
    return form_data(response.content.decode(), url if url.endswith("/") else None)


def filled(data: dict, **values) -> dict:
    return (
        data
        | {
            "title": "Velero OOMKilled during the nightly backup",
            "date": "2026-06-02",
            "duration": "02:10 to 02:50 UTC",
            "severity": "SEV3",
            "affected": "`velero` in namespace `velero`",
            "status": "Resolved",
            "summary": "Velero was OOM-killed by the kernel during the kopia backup (#301).",
            "sections-0-markdown": "Kopia keeps every **chunk index** in memory.",
            "sections-1-markdown": "The pod restarted quietly.",
            "sections-2-markdown": "Raised the limit to 2Gi.",
            "follow_ups-TOTAL_FORMS": "2",
            "follow_ups-0-text": "Alert on restarts of `velero`",
            "follow_ups-0-status": "open",
            "follow_ups-0-owner": "erin",
            "follow_ups-0-due": "2026-07-01",
            "follow_ups-1-text": "Raise the limit",
            "follow_ups-1-status": "done",
            "follow_ups-1-owner": "",
            "follow_ups-1-due": "",
            "lessons-TOTAL_FORMS": "1",
            "lessons-0-text": "Memory grows with the number of **repositories**.",
        }
        | values
    )


def test_a_new_form_starts_from_the_structure_of_the_seed_postmortem(editor_client):
    data = new_form(editor_client)
    assert [data[f"sections-{i}-heading"] for i in range(3)] == ["Root cause", "Why it was hard to spot", "Fix"]
    assert data["follow_ups_heading"] == "Contributing items"
    assert data["lessons_heading"] == "Lessons"
    assert data["version"] == "0"


def test_a_postmortem_written_in_the_form_reads_in_the_api_like_an_imported_one(editor_client, editor, tmp_path):
    response = editor_client.post("/postmortems/new/", filled(new_form(editor_client)))
    assert response.status_code == 302
    assert response["Location"] == "/postmortems/velero-oomkilled-during-the-nightly-backup/"
    written = editor_client.get("/api/postmortems/velero-oomkilled-during-the-nightly-backup").json()
    assert (written["date"], written["severity"], written["status"]) == ("2026-06-02", "SEV3", "Resolved")
    assert written["affected"] == "velero in namespace velero"
    assert [s["heading"] for s in written["sections"]] == [
        "Summary",
        "Root cause",
        "Why it was hard to spot",
        "Fix",
        "Contributing items",
        "Lessons",
    ]
    assert written["follow_ups"] == [
        {
            "text": "Alert on restarts of velero",
            "status": "open",
            "owner": "erin",
            "due": "2026-07-01",
            "overdue": True,
        },
        {"text": "Raise the limit", "status": "done", "owner": "", "due": None, "overdue": False},
    ]
    assert written["lessons"] == ["Memory grows with the number of repositories."]
    assert written["incidents"] == ["#301"]
    assert (written["version"], written["revision_count"]) == (1, 1)
    document = PostMortem.objects.get()
    assert document.edited_on_web and document.revisions.get().author == editor

    # The same text imported from a file gives the same document.
    (tmp_path / "imported.md").write_text(document.source_text)
    call_command("import_docs", str(tmp_path / "imported.md"), stdout=StringIO())
    imported_one = editor_client.get("/api/postmortems/imported").json()
    different = {"slug", "url", "source_path"}
    assert {k: v for k, v in imported_one.items() if k not in different} == {
        k: v for k, v in written.items() if k not in different
    }


def test_an_incident_prefills_the_form_and_is_linked_to_the_postmortem(editor_client):
    incident = Incident.objects.create(
        reference="#301",
        title="Velero OOMKilled",
        alert=Alert.objects.create(name="HomelabPodOOMKilled"),
        started_at=datetime(2026, 6, 2, 2, 10, tzinfo=UTC),
        labels={"namespace": "velero", "pod": "velero-1"},
    )
    data = new_form(editor_client, f"/postmortems/new/?incident={incident.pk}")
    assert (data["date"], data["title"], data["incident"]) == ("2026-06-02", "Velero OOMKilled", str(incident.pk))
    assert data["affected"] == "HomelabPodOOMKilled (namespace=velero, pod=velero-1)"
    assert data["other_fields"] == "Incident: #301"
    response = editor_client.post(
        f"/postmortems/new/?incident={incident.pk}", data | {"summary": "It ran out of memory."}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    postmortem = PostMortem.objects.get()
    assert incident.postmortem == postmortem
    assert list(postmortem.incidents_named.values_list("reference", flat=True)) == ["#301"]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"title": " "}, "title", "A post-mortem needs a title."),
        ({"date": "31/05/2026"}, "date", "Write the date as YYYY-MM-DD, for example 2026-05-31."),
        ({"severity": "SEV9"}, "severity", "Unknown severity “SEV9”: choose SEV1 (the worst) to SEV5."),
        ({"follow_ups-1-due": "soon"}, "follow_ups-1-due", "Write the date as YYYY-MM-DD"),
        ({"other_fields": "Priority: P1"}, "other_fields", "“Priority” is read as the severity"),
        ({"sections-0-heading": ""}, "sections-0-heading", "A section needs a heading."),
    ],
)
def test_a_bad_field_is_explained_next_to_it_and_nothing_is_saved(editor_client, values, field, message):
    response = editor_client.post("/postmortems/new/", filled(new_form(editor_client), **values))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<ul class="errorlist" id="id_{field}_error">' in html
    error_list = html.split(f'id="id_{field}_error">', 1)[1].split("</ul>", 1)[0]
    assert message in error_list.replace("&#x27;", "'")
    assert "Not saved yet" in html
    assert PostMortem.objects.count() == 0


def test_what_was_typed_is_kept_when_the_form_is_refused(editor_client):
    response = editor_client.post("/postmortems/new/", filled(new_form(editor_client), date="nope"))
    data = form_data(response.content.decode(), "/postmortems/new/")
    assert data["summary"] == "Velero was OOM-killed by the kernel during the kopia backup (#301)."
    assert data["follow_ups-0-text"] == "Alert on restarts of `velero`"


def test_a_follow_up_that_would_read_back_as_done_is_refused_on_the_heading(editor_client):
    data = filled(
        new_form(editor_client),
        **{"follow_ups-0-text": "Done: nothing yet", "follow_ups-0-owner": "", "follow_ups-0-due": ""},
    )
    response = editor_client.post("/postmortems/new/", data)
    assert response.status_code == 200
    assert 'id="id_follow_ups_heading_error"' in response.content.decode()
    assert PostMortem.objects.count() == 0


def test_it_adds_and_removes_follow_ups_in_place_with_htmx(editor_client):
    data = filled(new_form(editor_client))
    response = editor_client.post("/postmortems/new/", data | {"action": "add:follow_ups"}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<fieldset id="follow-ups"')
    assert "<html" not in html
    rows = form_data(f"<form>{html}</form>")
    assert rows["follow_ups-TOTAL_FORMS"] == "3"
    assert rows["follow_ups-2-text"] == "" and rows["follow_ups-2-status"] == "open"
    assert rows["follow_ups-1-text"] == "Raise the limit"

    response = editor_client.post("/postmortems/new/", data | {"action": "remove:follow_ups:0"}, **HTMX)
    html = response.content.decode()
    rows = form_data(f"<form>{html}</form>")
    assert rows["follow_ups-TOTAL_FORMS"] == "1"
    assert (rows["follow_ups-0-text"], rows["follow_ups-0-status"]) == ("Raise the limit", "done")
    # The preview follows, swapped out of band.
    preview = html.split('<div id="preview" hx-swap-oob="innerHTML">', 1)[1]
    assert "Raise the limit" in preview and "Alert on restarts" not in preview
    assert PostMortem.objects.count() == 0


def test_without_javascript_the_buttons_redraw_the_whole_form_keeping_what_was_typed(editor_client):
    data = filled(new_form(editor_client))
    response = editor_client.post("/postmortems/new/", data | {"action": "remove:sections:1"})
    page = form_data(response.content.decode(), "/postmortems/new/")
    assert [page[f"sections-{i}-heading"] for i in range(2)] == ["Root cause", "Fix"]
    assert page["summary"] == data["summary"]
    response = editor_client.post("/postmortems/new/", data | {"action": "up:sections:2"})
    page = form_data(response.content.decode(), "/postmortems/new/")
    assert [page[f"sections-{i}-heading"] for i in range(3)] == ["Root cause", "Fix", "Why it was hard to spot"]


def test_the_preview_is_the_import_pipelines_sanitised_html(editor_client):
    data = filled(
        new_form(editor_client), summary='Look: <script>alert(1)</script> **bold** <a href="javascript:x">x</a>'
    )
    response = editor_client.post("/preview/postmortem/", data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script" not in html and "javascript:" not in html
    assert "<strong>bold</strong>" in html
    assert "<td><strong>Severity</strong></td>" in html
    assert '<h1 id="velero-oomkilled-during-the-nightly-backup">' in html


def test_the_preview_still_shows_while_a_field_is_invalid(editor_client):
    data = filled(new_form(editor_client), title="", date="not a date")
    html = editor_client.post("/preview/postmortem/", data, **HTMX).content.decode()
    assert "Untitled post-mortem" in html and "Kopia keeps every" in html


def test_editing_the_seed_and_saving_unchanged_keeps_every_field(editor_client, imported):
    before = editor_client.get(f"/api/postmortems/{SEED_POSTMORTEM}").json()
    data = form_data(
        editor_client.get(f"/postmortems/{SEED_POSTMORTEM}/edit/").content.decode(),
        f"/postmortems/{SEED_POSTMORTEM}/edit/",
    )
    assert data["version"] == "1" and data["severity"] == "SEV4"
    response = editor_client.post(f"/postmortems/{SEED_POSTMORTEM}/edit/", data)
    assert response.status_code == 302
    after = editor_client.get(f"/api/postmortems/{SEED_POSTMORTEM}").json()
    changed = {"version", "revision_count", "warnings"}
    assert {k: v for k, v in after.items() if k not in changed} == {k: v for k, v in before.items() if k not in changed}
    # Saved in the canonical layout, its structure is no longer a reconstruction.
    assert (after["version"], after["revision_count"], after["warnings"]) == (2, 2, [])


def test_a_stale_save_is_refused_and_nothing_is_lost(editor_client, other_editor, imported, client):
    url = f"/postmortems/{SEED_POSTMORTEM}/edit/"
    mine = form_data(editor_client.get(url).content.decode(), url)

    # Someone else saves first.
    from django.test import Client

    other = Client()
    other.force_login(other_editor)
    theirs = form_data(other.get(url).content.decode(), url)
    assert other.post(url, theirs | {"status": "Closed by Oscar"}).status_code == 302

    response = editor_client.post(url, mine | {"summary": "My careful rewrite of the summary."})
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed while you were editing" in html
    assert "oscar" in html and "saved version 2" in html
    assert '<span class="diff-removed">-| **Status** | Closed by Oscar |</span>' in html
    assert '<span class="diff-added">+My careful rewrite of the summary.</span>' in html
    kept = form_data(html, url)
    assert kept["summary"] == "My careful rewrite of the summary."
    assert kept["version"] == "2"

    stored = editor_client.get(f"/api/postmortems/{SEED_POSTMORTEM}").json()
    assert stored["status"] == "Closed by Oscar" and stored["version"] == 2

    # Merged and saved again from the conflict page, it goes through.
    assert editor_client.post(url, kept | {"status": "Closed by Oscar"}).status_code == 302
    merged = editor_client.get(f"/api/postmortems/{SEED_POSTMORTEM}").json()
    assert (merged["status"], merged["summary"], merged["version"]) == (
        "Closed by Oscar",
        "My careful rewrite of the summary.",
        3,
    )


def test_the_edit_form_keeps_a_severity_imported_in_another_scale(editor_client, tmp_path):
    (tmp_path / "pm.md").write_text(
        "# Post-mortem: db\n\n| Field | Value |\n|---|---|\n| Date | 2026-01-02 |\n| Severity | P1 |\n\n## Summary\n\nx\n"
    )
    call_command("import_docs", str(tmp_path), stdout=StringIO())
    data = form_data(editor_client.get("/postmortems/pm/edit/").content.decode(), "/postmortems/pm/edit/")
    assert data["severity"] == "P1"
    assert editor_client.post("/postmortems/pm/edit/", data | {"status": "Done"}).status_code == 302
    assert editor_client.get("/api/postmortems/pm").json()["severity"] == "P1"


def test_a_save_keeps_the_front_matter_and_link_definitions_the_form_does_not_show(editor_client, tmp_path):
    (tmp_path / "pm.md").write_text(
        "---\nid: pm-9\ntags: [db]\n---\n# Post-mortem: db\n\n## Summary\n\nx\n\n"
        "## Action items\n\n- [ ] Read [the guide][g]\n\n[g]: https://example.org/guide\n"
    )
    call_command("import_docs", str(tmp_path), stdout=StringIO())
    data = form_data(editor_client.get("/postmortems/pm-9/edit/").content.decode(), "/postmortems/pm-9/edit/")
    assert editor_client.post("/postmortems/pm-9/edit/", data | {"status": "Done"}).status_code == 302
    saved = editor_client.get("/postmortems/pm-9.md").content.decode()
    assert saved.startswith("---\nid: pm-9\ntags: [db]\n---\n")
    assert saved.endswith("- [ ] Read [the guide][g]\n\n[g]: https://example.org/guide\n")
    assert 'href="https://example.org/guide"' in editor_client.get("/postmortems/pm-9/").content.decode()


def test_a_flattened_postmortem_keeps_its_front_matter_through_the_form(editor_client, tmp_path, seed_postmortem):
    (tmp_path / "pm.md").write_text("---\nid: pm-flat\ntags: [backup]\n---\n" + seed_postmortem.read_text())
    call_command("import_docs", str(tmp_path), stdout=StringIO())
    data = form_data(editor_client.get("/postmortems/pm-flat/edit/").content.decode(), "/postmortems/pm-flat/edit/")
    assert editor_client.post("/postmortems/pm-flat/edit/", data | {"status": "Closed"}).status_code == 302
    assert (
        editor_client.get("/postmortems/pm-flat.md")
        .content.decode()
        .startswith("---\nid: pm-flat\ntags: [backup]\n---\n# ")
    )
    saved = PostMortem.objects.get()
    assert (saved.identity, saved.metadata["tags"], saved.status) == ("id:pm-flat", ["backup"], "Closed")


def test_the_form_page_makes_a_pinned_number_of_queries(editor_client, imported, django_assert_num_queries):
    # session, user, the user's permissions, their groups' permissions, the post-mortem; for the
    # preview's entity links: the vocabulary (alert names, curated entities), the known entities and
    # the post-mortems of the days it references ("the 2026-05-16 PM"), as the saved page links them
    with django_assert_num_queries(9):
        assert editor_client.get(f"/postmortems/{SEED_POSTMORTEM}/edit/").status_code == 200
