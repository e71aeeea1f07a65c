"""The entity and insights API, and the entities of a document in the document API."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from kb.entities import curation
from kb.models import Entity

pytestmark = pytest.mark.django_db

KURED_PM = Path(__file__).parents[1] / "fixtures" / "entities" / "2026-05-16-kured-reboot-backlog.md"


@pytest.fixture
def imported(seeds):
    call_command("import_docs", str(seeds), str(KURED_PM), stdout=StringIO())


def test_an_entity_found_by_an_alias_has_the_same_counts(client, imported):
    curation.entity_alias_add(entity=Entity.objects.get(name="KuredRebootBacklog"), alias="kured backlog alert")
    data = client.get("/api/entities/Kured%20Backlog%20Alert").json()
    assert (data["name"], data["aliases"], data["implicated_in"], data["has_runbook"]) == (
        "KuredRebootBacklog",
        ["kured backlog alert"],
        2,
        False,
    )
    response = client.get("/entities/kured%20backlog%20alert/")
    assert (response.status_code, response["Location"]) == (301, "/entities/KuredRebootBacklog/")


def test_an_entity_says_where_it_is_implicated(client, imported, django_assert_num_queries):
    # entity, aliases, mentions with their documents, the first id of the latest incidents, incidents, open follow-ups
    with django_assert_num_queries(6):
        data = client.get("/api/entities/KuredRebootBacklog").json()
    assert (data["name"], data["kind"], data["aliases"]) == ("KuredRebootBacklog", "alert", [])
    assert (data["implicated_in"], data["has_runbook"]) == (2, False)
    assert [(p["date"], p["title"]) for p in data["postmortems"]] == [
        ("2026-05-31", "Post-Mortem: kured-sentinel-gate OOM loop while k8s-master waited for a reboot"),
        ("2026-05-16", "Post-Mortem: kured stopped rebooting the cluster for five days"),
    ]
    assert data["postmortems"][0]["snippet"].startswith("The 2026-05-16 PM found the same gap")
    assert data["postmortems"][0]["url"] == "http://testserver/postmortems/kured-gate-oom/#why-hard-to-spot"
    assert (data["runbooks"], data["incidents"]) == ([], [])
    assert [f["text"] for f in data["follow_ups"]] == [
        "Add the KuredRebootBacklog alert: max by (node) (kured_reboot_required) == 1 for 24h (deferred)"
    ]


def test_an_alert_with_a_runbook_lists_it_and_its_incidents(client, imported):
    data = client.get("/api/entities/homelabpodoomkilled").json()
    assert data["has_runbook"] is True
    assert [(r["title"], r["for_it"]) for r in data["runbooks"]] == [
        ("Velero server OOMKilled (HomelabPodOOMKilled)", True)
    ]
    assert sorted(i["reference"] for i in data["incidents"]) == ["#236", "#237"]


def test_an_incident_and_a_path_are_entities_too(client, imported):
    assert client.get("/api/entities/%23236").json()["kind"] == "incident"
    assert client.get("/api/entities/stacks/kured/main.tf").json()["implicated_in"] == 2


def test_an_unknown_entity_is_a_json_404(client, imported):
    response = client.get("/api/entities/NoSuchThing")
    assert response.status_code == 404
    assert response.json() == {"error": "no entity named NoSuchThing"}


def test_entities_are_listed_by_kind(client, imported, django_assert_num_queries):
    with django_assert_num_queries(2):  # the page's keys, then its entities
        alerts = client.get("/api/entities?kind=alert").json()["results"]
    assert alerts[0] == {
        "name": "KuredRebootBacklog",
        "kind": "alert",
        "url": "http://testserver/entities/KuredRebootBacklog/",
        "implicated_in": 2,
        "has_runbook": False,
        "documents": 2,
    }
    assert {a["kind"] for a in alerts} == {"alert"}
    assert "HomelabPodOOMKilled" in {a["name"] for a in alerts}


def test_an_unknown_kind_is_a_400_naming_the_field(client):
    response = client.get("/api/entities?kind=planet")
    assert response.status_code == 400
    assert response.json()["error"].startswith("kind: 'planet' is not one of alert, metric")


def test_documents_list_their_entities(client, imported):
    postmortem = client.get("/api/postmortems/kured-gate-oom").json()
    assert {"name": "KuredRebootBacklog", "kind": "alert"} in postmortem["entities"]
    assert {"name": "k8s-master", "kind": "host"} in postmortem["entities"]
    runbook = client.get("/api/runbooks/velero-oomkilled").json()
    assert {"name": "velero", "kind": "namespace"} in runbook["entities"]


def test_insights_want_a_runbook_for_the_alert_implicated_twice(client, imported, django_assert_num_queries):
    # wanted, most implicated, open follow-ups (their ids in order, then those rows), without follow-ups, recurring
    # alerts (alerts, resolutions, incidents), the runbooks answered "no" most, the stale runbooks, how many
    # follow-ups are open and overdue
    with django_assert_num_queries(11):
        data = client.get("/api/insights").json()
    assert data["wanted_alerts"][0] == {
        "name": "KuredRebootBacklog",
        "url": "http://testserver/entities/KuredRebootBacklog/",
        "implicated_in": 2,
    }
    assert "HomelabPodOOMKilled" not in {a["name"] for a in data["wanted_alerts"]}
    assert data["most_implicated"][0]["implicated_in"] == 2
    assert [f["postmortem"]["date"] for f in data["open_follow_ups"]] == [
        "2026-05-16",
        "2026-05-16",
        "2026-05-31",
        "2026-05-31",
    ]
    assert data["recurring_alerts"] == [
        {
            "name": "HomelabPodOOMKilled",
            "url": "http://testserver/alerts/HomelabPodOOMKilled/",
            "incidents": 2,
            "resolutions": [
                {
                    "date": "2026-02-24",
                    "old": "512Mi",
                    "new": "1Gi",
                    "notes": "Killed twice near the end of the nightly kopia run, ~3.5 days after a restart",
                }
            ],
            "trend": "one date on record",
        }
    ]
    assert data["postmortems_without_follow_ups"] == []
