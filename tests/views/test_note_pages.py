"""Operations notes on the web and in the API: /notes/, /notes/<slug>/, /api/notes, /api/notes/<slug>."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from kb.models import Note, PostMortem, Runbook
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

KINDS = Path(__file__).resolve().parents[1] / "fixtures" / "kinds"


@pytest.fixture
def kinds():
    call_command("import_docs", str(KINDS), stdout=StringIO(), stderr=StringIO())


def test_the_note_list_shows_every_note_and_only_notes(client, kinds, django_assert_num_queries):
    with django_assert_num_queries(2):  # the page's keys, then its notes
        page = client.get("/notes/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<a href="/notes/rotate-tls-certificates/">Rotating the ingress TLS certificates</a>' in html
    assert '<a href="/notes/index/">Platform operations</a>' in html
    assert "Checkout latency spike" not in html
    assert '<a href="/notes/"' in html  # in the main navigation


def test_a_note_page_shows_its_sections_without_alert_or_edit_form(client, kinds):
    page = client.get("/notes/rotate-tls-certificates/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Operations note" in html
    assert 'id="prerequisites"' in html and "kubectl -n ingress rollout restart" in html
    assert "/notes/rotate-tls-certificates/history/" in html
    assert "/notes/rotate-tls-certificates/edit/" not in html  # notes are edited in their files
    assert client.get("/notes/rotate-tls-certificates/history/").status_code == 200
    assert client.get("/notes/rotate-tls-certificates.md").content.startswith(b"# Rotating the ingress TLS")


def test_a_missing_note_is_a_404(client, kinds):
    assert client.get("/notes/no-such-note/").status_code == 404
    assert client.get("/api/notes/no-such-note").json() == {"error": "No Note matches the given query."}


def test_the_api_lists_notes_and_gives_each_with_its_source_and_sections(client, kinds):
    listed = client.get("/api/notes").json()["results"]
    assert [n["title"] for n in listed] == ["Platform operations", "Rotating the ingress TLS certificates"]
    note = client.get("/api/notes/rotate-tls-certificates").json()
    assert note["kind"] == "note"
    assert note["url"] == "http://testserver/notes/rotate-tls-certificates/"
    assert note["source_path"].endswith("ops/rotate-tls-certificates.md")
    assert [s["heading"] for s in note["sections"]] == ["Prerequisites", "Steps", "Verification"]
    assert note["revision_count"] == 1 and note["version"] == 1
    assert "alert" not in note


def test_postmortem_and_runbook_details_say_their_kind_and_where_they_came_from(client, kinds):
    postmortem = PostMortem.objects.get(title="Login failures for users in the EU region")
    detail = client.get(f"/api/postmortems/{postmortem.slug}").json()
    assert detail["kind"] == "postmortem"
    assert detail["source_path"].endswith("postmortems/login-failures-eu.md")
    runbook = Runbook.objects.get(alert__name="KubeJobFailed")
    detail = client.get(f"/api/runbooks/{runbook.slug}").json()
    assert (detail["kind"], detail["source_path"].endswith("ops/alerts/KubeJobFailed.md")) == ("runbook", True)


def test_search_results_show_a_note_as_a_note(client, kinds):
    results = client.get("/api/search?q=rotating+ingress+certificates").json()["results"]
    assert results[0]["kind"] == "note"
    assert "/notes/rotate-tls-certificates/" in results[0]["url"]
    page = client.get("/search/?q=rotating+ingress+certificates").content.decode()
    assert '<span class="badge kind-note">Note</span>' in page
    assert Note.objects.count() == 2


def test_a_note_page_reads_a_fixed_number_of_queries(client, kinds, django_assert_num_queries):
    # The ETag with its revision count and place in Git (kb/views/conditional.py), the note, the incidents it
    # names, related documents (its links and its outline are stored with it).
    with django_assert_num_queries(4):
        client.get("/notes/rotate-tls-certificates/")


def test_a_note_links_the_incidents_it_names(client):
    note = save_document(
        """
        ---
        kind: note
        ---
        # Failing over the primary database

        We did this by hand during incident #412 and again in #415; see those for the timings.
        """,
        identity="ops/failover.md",
    )
    assert isinstance(note, Note)
    html = client.get(note.get_absolute_url()).content.decode()
    named = html.split('id="incidents-named-title"')[1].split("</section>")[0]
    assert '<a href="/incidents/412/">#412</a>' in named and '<a href="/incidents/415/">#415</a>' in named


def test_a_note_naming_no_incident_has_no_incidents_panel(client, kinds):
    assert 'id="incidents-named-title"' not in client.get("/notes/rotate-tls-certificates/").content.decode()
