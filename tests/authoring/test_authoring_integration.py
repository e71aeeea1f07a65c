"""A post-mortem written in the form is found by search and shows on entity pages like an imported
one, and its preview links the entities the knowledge base knows."""

from io import StringIO

import pytest
from django.core.management import call_command

from kb.search import search
from tests.authoring_support import form_data

pytestmark = pytest.mark.django_db

SUMMARY = "The `HomelabPodOOMKilled` alert fired for container `velero` in namespace `velero`: kopia ran out of memory."


def write_postmortem(client) -> str:
    data = form_data(client.get("/postmortems/new/").content.decode(), "/postmortems/new/")
    response = client.post(
        "/postmortems/new/",
        data
        | {
            "title": "Kopia exhausted velero's memory",
            "date": "2026-06-02",
            "severity": "SEV3",
            "summary": SUMMARY,
        },
    )
    assert response.status_code == 302
    return response["Location"]


def test_a_postmortem_written_in_the_form_is_found_by_search(editor_client):
    url = write_postmortem(editor_client)
    hits = search(query="kopia memory").hits
    assert url in [hit.url.split("#")[0] for hit in hits]


def test_a_postmortem_written_in_the_form_shows_on_its_entities_pages(editor_client):
    write_postmortem(editor_client)
    page = editor_client.get("/entities/HomelabPodOOMKilled/")
    assert page.status_code == 200
    assert "Kopia exhausted velero&#x27;s memory" in page.content.decode()


def test_the_preview_links_the_entities_the_knowledge_base_knows(editor_client, seeds):
    call_command("import_docs", str(seeds), stdout=StringIO())
    data = form_data(editor_client.get("/postmortems/new/").content.decode(), "/postmortems/new/")
    html = editor_client.post(
        "/preview/postmortem/", data | {"title": "Kopia again", "summary": SUMMARY}
    ).content.decode()
    assert '<a class="entity" href="/entities/HomelabPodOOMKilled/"' in html
