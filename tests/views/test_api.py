"""The JSON API: field names are a contract with users' scripts."""

import pytest

from kb.models import Alert, Entity, Runbook

pytestmark = pytest.mark.django_db


def scoped_runbook(slug: str, labels: dict, alert: str = "HomelabPodOOMKilled") -> Runbook:
    return Runbook.objects.create(
        kind="runbook",
        slug=slug,
        identity=slug,
        title=slug,
        source_text="x",
        content_hash="x",
        alert=Alert.objects.get_or_create(name=alert)[0],
        labels=labels,
    )


def test_the_lists_come_a_page_at_a_time_with_the_next_page_s_address(
    client, monkeypatch, django_assert_max_num_queries
):
    """An answer the size of the knowledge base took a second at 10,000 runbooks: each list is paged, and `next`
    is the next page's address, the request's other parameters kept, until the last page's null."""
    monkeypatch.setattr("kb.views.paging.API_PER_PAGE", 2)
    for n, alert in enumerate(["DiskFull", "BackupLate", "NodeDown", "CertExpiring", "ApiLatencyHigh"]):
        scoped_runbook(f"runbook-{n}", {"namespace": f"ns{n}"}, alert=alert)
    seen, url = [], "/api/runbooks"
    while url:
        with django_assert_max_num_queries(3):  # the page's keys, its runbooks, their stale answers
            answer = client.get(url).json()
        assert len(answer["results"]) <= 2
        seen += [runbook["alert"] for runbook in answer["results"]]
        url = answer["next"]
        assert url is None or url.startswith("http://testserver/api/runbooks?page=")
    assert seen == ["ApiLatencyHigh", "BackupLate", "CertExpiring", "DiskFull", "NodeDown"]
    last = client.get("/api/runbooks?page=3").json()
    assert [runbook["alert"] for runbook in last["results"]] == ["NodeDown"] and last["next"] is None
    assert client.get("/api/runbooks?page=9").json() == {"results": [], "next": None}
    for n, kind in enumerate(["alert", "host", "alert", "alert"]):
        Entity.objects.create(name=f"entity-{n}", kind=kind, document_count=1, implicated_in=n)
    entities = client.get("/api/entities?kind=alert").json()
    assert [entity["name"] for entity in entities["results"]] == ["entity-3", "entity-2"]
    assert entities["next"] == "http://testserver/api/entities?kind=alert&page=2"
    assert client.get(entities["next"]).json() == {
        "results": [
            {
                "name": "entity-0",
                "kind": "alert",
                "url": "http://testserver/entities/entity-0/",
                "implicated_in": 0,
                "has_runbook": False,
                "documents": 1,
            }
        ],
        "next": None,
    }


def test_it_lists_runbooks_and_postmortems(client, imported):
    runbooks = client.get("/api/runbooks").json()["results"]
    assert runbooks == [
        {
            "slug": "velero-oomkilled",
            "title": "Velero server OOMKilled (HomelabPodOOMKilled)",
            "url": "http://testserver/runbooks/velero-oomkilled/",
            "alert": "HomelabPodOOMKilled",
            "labels": {"container": "velero", "namespace": "velero"},
            "stale": False,
        }
    ]
    postmortems = client.get("/api/postmortems").json()["results"]
    assert [(p["title"], p["date"]) for p in postmortems] == [
        ("Post-Mortem: kured-sentinel-gate OOM loop while k8s-master waited for a reboot", "2026-05-31")
    ]


def test_a_runbook_has_its_sections_and_resolution_history(client, imported):
    data = client.get("/api/runbooks/velero-oomkilled").json()
    assert data["alert"] == "HomelabPodOOMKilled"
    assert data["labels"] == {"container": "velero", "namespace": "velero"}
    assert data["source_path"].endswith("velero-oomkilled.txt")
    assert (data["revision_count"], data["version"], data["warnings"]) == (1, 1, [])
    assert data["sections"][0] == {"heading": "Alert", "level": 2, "anchor": "alert"}
    assert len(data["sections"]) == 7
    assert data["resolution_history"] == [
        {
            "date": "2026-02-24",
            "incidents": ["#236", "#237"],
            "old": "512Mi",
            "new": "1Gi",
            "notes": "Killed twice near the end of the nightly kopia run, ~3.5 days after a restart",
            "cells": {
                "Date": "2026-02-24",
                "Incident": "#236, #237",
                "Old Limit": "512Mi",
                "New Limit": "1Gi",
                "Notes": "Killed twice near the end of the nightly kopia run, ~3.5 days after a restart",
            },
        }
    ]


def test_a_postmortem_has_its_metadata_follow_ups_and_lessons(client, imported):
    data = client.get("/api/postmortems/kured-gate-oom").json()
    assert (data["date"], data["severity"]) == ("2026-05-31", "SEV4")
    assert data["affected"] == "kured-sentinel-gate on k8s-master, no other pod"
    assert [s["heading"] for s in data["sections"]][0] == "Summary"
    assert [f["status"] for f in data["follow_ups"]] == ["open", "open"]
    assert len(data["lessons"]) == 3
    assert data["warnings"][0].startswith("structure reconstructed")
    assert data["summary"].startswith("An operator looking over cluster health")


def test_a_missing_document_is_a_json_404(client):
    response = client.get("/api/runbooks/nope")
    assert response.status_code == 404
    assert response.json() == {"error": "No Runbook matches the given query."}


def test_the_alert_lookup_is_case_insensitive_and_picks_the_runbook_for_the_labels(client, imported):
    data = client.get("/api/alerts/homelabpodoomkilled?namespace=velero&container=velero&pod=velero-abc").json()
    assert data["alert"] == "HomelabPodOOMKilled"
    assert data["runbook"]["slug"] == "velero-oomkilled"
    assert data["labels"] == {"namespace": "velero", "container": "velero", "pod": "velero-abc"}


def test_the_most_specific_runbook_wins_and_a_scope_that_does_not_fit_is_left_out(client, imported):
    scoped_runbook("velero-generic", {"namespace": "velero"})
    scoped_runbook("other-namespace", {"namespace": "media", "container": "velero"})
    data = client.get("/api/alerts/HomelabPodOOMKilled?namespace=velero&container=velero").json()
    assert data["runbook"]["slug"] == "velero-oomkilled"
    generic = client.get("/api/alerts/HomelabPodOOMKilled?namespace=velero&container=restic").json()
    assert generic["runbook"]["slug"] == "velero-generic"
    assert {r["slug"] for r in generic["runbooks"]} == {"velero-oomkilled", "velero-generic", "other-namespace"}


def test_the_labels_are_read_as_the_alert_link_reads_them(client, imported):
    data = client.get("/api/alerts/HomelabPodOOMKilled?namespace=velero&container=velero&pod=&bad-name=x").json()
    assert data["labels"] == {"namespace": "velero", "container": "velero"}
    assert data["runbook"]["slug"] == "velero-oomkilled"


def test_no_runbook_fits_gives_null(client, imported):
    data = client.get("/api/alerts/HomelabPodOOMKilled?namespace=media").json()
    assert data["runbook"] is None


def test_two_equally_specific_runbooks_give_null_and_both_are_listed(client):
    scoped_runbook("by-namespace", {"namespace": "db"}, alert="DiskFull")
    scoped_runbook("by-pod", {"pod": "db-0"}, alert="DiskFull")
    one = client.get("/api/alerts/DiskFull?namespace=db&pod=db-1").json()
    assert one["runbook"]["slug"] == "by-namespace"
    tie = client.get("/api/alerts/DiskFull?namespace=db&pod=db-0").json()
    assert tie["runbook"] is None
    assert {r["slug"] for r in tie["runbooks"]} == {"by-namespace", "by-pod"}


def test_the_alert_lists_its_incidents(client, imported):
    data = client.get("/api/alerts/HomelabPodOOMKilled").json()
    assert sorted(i["reference"] for i in data["incidents"]) == ["#236", "#237"]


def test_an_unknown_alert_is_a_json_404(client):
    response = client.get("/api/alerts/NoSuchAlert")
    assert response.status_code == 404
    assert "NoSuchAlert" in response.json()["error"]


def test_the_api_is_read_only(client, imported):
    assert client.post("/api/runbooks").status_code == 405
