"""Every way an incident is written goes through `kb.alerting.incidents`, so search finds it at once:
the incident form, the admin, the Alertmanager webhook and the importer (incidents a document names)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from kb.models import Incident
from kb.search import search

pytestmark = pytest.mark.django_db

TOKEN = "incident-save-token-0123456789"

RUNBOOK = """# Tape library jammed (TapeLibraryJammed)

## Alert
`TapeLibraryJammed` fires when the backup robot stops moving cartridges.

## Fix
Open the library door, free the cartridge, close the door.

## Resolution History

| Date | Incident | Notes |
|------|----------|-------|
| 2026-04-02 | #901 | cartridge stuck in slot 7 |
"""


def found(query: str) -> list[str]:
    return [hit.url for hit in search(query=query).hits]


def test_it_finds_an_incident_written_in_the_incident_form(editor_client):
    response = editor_client.post(
        "/incidents/new/", {"reference": "#910", "title": "Walrus gateway stalled", "alert_name": "WalrusGatewayDown"}
    )
    incident = Incident.objects.get(reference="#910")
    assert response.status_code == 302
    assert found("walrus gateway stalled") == [incident.get_absolute_url()]


def test_it_finds_an_incident_written_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/kb/incident/add/",
        {
            "reference": "#920",
            "title": "Narwhal queue backlog",
            "status": "unknown",
            "labels": "{}",
            "annotations": "{}",
        },
    )
    incident = Incident.objects.get(reference="#920")
    assert response.status_code == 302, response.content.decode()[:2000]
    assert found("narwhal queue backlog") == [incident.get_absolute_url()]


def test_it_finds_an_incident_received_from_alertmanager(client, settings):
    settings.KB_ALERTMANAGER_TOKEN = TOKEN
    alert = {
        "status": "firing",
        "labels": {"alertname": "PelicanCacheEvictions", "instance": "pelican-0:9100"},
        "annotations": {"summary": "Pelican cache eviction storm"},
        "startsAt": "2026-11-21T07:11:20Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": "0123456789abcdef",
    }
    response = client.post(
        "/api/alertmanager/",
        json.dumps({"version": "4", "status": "firing", "receiver": "kb", "alerts": [alert]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
    )
    incident = Incident.objects.get(fingerprint="0123456789abcdef")
    assert response.status_code == 200 and response.json()["created"] == 1
    assert found("pelican cache eviction storm") == [incident.get_absolute_url()]


def test_it_finds_an_incident_named_in_an_imported_runbook(tmp_path):
    (tmp_path / "tape-library-jammed.md").write_text(RUNBOOK)
    call_command("import_docs", str(tmp_path), stdout=StringIO())
    incident = Incident.objects.get(reference="#901")
    # The runbook names it too; the incident must be a hit of its own.
    assert incident.get_absolute_url() in found("#901")
