"""The HTML pages of imported documents."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_a_runbook_page_shows_the_rendered_document(client, imported):
    response = client.get("/runbooks/000_2c0d5e53b423be66/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h2 id="investigation-steps">Investigation Steps</h2>' in html
    assert "HomelabPodOOMKilled" in html


def test_a_postmortem_page_warns_that_its_structure_was_reconstructed(client, imported):
    html = client.get("/postmortems/004_3c076beea237fb3e/").content.decode()
    assert "structure was reconstructed" in html
    assert "SEV4" in html


def test_a_missing_document_is_a_404(client):
    assert client.get("/runbooks/nope/").status_code == 404


def test_a_hugo_ref_link_leads_to_the_referenced_runbook(client, corpus):
    call_command("import_docs", str(corpus / "runbooks"), stdout=StringIO())
    response = client.get("/resolve/", {"ref": "./NodeRAIDDegraded.md", "from": "prometheus-operator/node/NodeRAIDDiskFailure.md"})
    assert response.status_code == 302
    assert response["Location"] == "/runbooks/noderaiddegraded/"


def test_a_hugo_ref_to_a_document_not_imported_is_a_404(client):
    assert client.get("/resolve/", {"ref": "./Nope.md", "from": "x/y.md"}).status_code == 404
