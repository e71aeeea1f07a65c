"""Incidents created and edited by hand: /incidents/new/ and /incidents/<id>/edit/."""

from datetime import UTC, datetime

import pytest

from kb.models import Alert, Incident, PostMortem, Runbook
from tests.authoring_support import SEED_POSTMORTEM, SEED_RUNBOOK, form_data

pytestmark = pytest.mark.django_db


def test_it_creates_an_incident_with_its_alert_runbook_and_postmortem(editor_client, imported):
    data = form_data(editor_client.get(f"/incidents/new/?runbook={SEED_RUNBOOK}").content.decode(), "/incidents/new/")
    assert data["alert_name"] == "HomelabPodOOMKilled"
    assert data["runbook"] == str(Runbook.objects.get().pk)
    response = editor_client.post(
        "/incidents/new/",
        data
        | {
            "reference": "#250",
            "title": "Velero OOM again",
            "started_at": "2026-03-01T02:10",
            "resolved_at": "2026-03-01T02:40",
            "postmortem": str(PostMortem.objects.get().pk),
            "notes": "Raised to 2Gi.",
        },
    )
    incident = Incident.objects.get(reference="#250")
    assert response.status_code == 302 and response["Location"] == "/incidents/250/"
    assert (incident.alert.name, incident.runbook.slug, incident.postmortem.slug) == (
        "HomelabPodOOMKilled",
        SEED_RUNBOOK,
        SEED_POSTMORTEM,
    )
    assert incident.started_at == datetime(2026, 3, 1, 2, 10, tzinfo=UTC)
    assert incident.status == "resolved"


def test_a_new_alert_name_creates_the_alert(editor_client):
    editor_client.post("/incidents/new/", {"reference": "#1", "alert_name": "BrandNewAlert"})
    assert Incident.objects.get().alert == Alert.objects.get(name="BrandNewAlert")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"started_at": "2026-03-01T02:10", "resolved_at": "2026-03-01T01:00"},
            "resolved_at",
            "It cannot be resolved before it started.",
        ),
        ({"started_at": "yesterday"}, "started_at", "Write the time as YYYY-MM-DD HH:MM."),
        ({"alert_name": "not an alert"}, "alert_name", "An alert name is letters, digits"),
        ({"reference": "#236"}, "reference", "Incident #236 already exists; edit it instead."),
    ],
)
def test_a_bad_field_is_explained_next_to_it(editor_client, imported, values, field, message):
    response = editor_client.post("/incidents/new/", {"title": "x"} | values)
    html = response.content.decode().replace("&#x27;", "'")
    assert response.status_code == 200
    assert message in html.split(f'id="id_{field}_error">', 1)[1].split("</ul>", 1)[0]
    assert Incident.objects.filter(title="x").count() == 0


def test_it_edits_an_incident(editor_client, imported):
    incident = Incident.objects.get(reference="#236")
    url = "/incidents/236/edit/"
    data = form_data(editor_client.get(url).content.decode(), url)
    assert data["alert_name"] == "HomelabPodOOMKilled"
    assert editor_client.post(url, data | {"title": "Velero OOMKilled", "notes": "Limit 1Gi."}).status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.notes, incident.alert.name) == (
        "Velero OOMKilled",
        "Limit 1Gi.",
        "HomelabPodOOMKilled",
    )


def test_a_missing_incident_is_a_404(editor_client):
    assert editor_client.get("/incidents/999/edit/").status_code == 404
