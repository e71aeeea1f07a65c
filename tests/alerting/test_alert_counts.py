"""Each alert keeps the count of its incidents, written by kb.alerting.incidents (the one write path of
incidents) whoever writes them, so that the insights rank recurring alerts without counting incidents."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from kb.alerting.incidents import alerts_recount, incident_save
from kb.models import Alert, Incident, IncidentStatus
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

TOKEN = "test-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def token(settings):
    settings.KB_ALERTMANAGER_TOKEN = TOKEN


def count(name: str) -> int:
    return Alert.objects.get(name=name).incident_count


def deliver(client, alerts: list[tuple[str, str, datetime]]) -> None:
    """One Alertmanager notification of these (alert name, fingerprint, start) firing."""
    body = {
        "version": "4",
        "groupKey": "{}:{}",
        "status": "firing",
        "receiver": "kb",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": name, "namespace": "shop"},
                "annotations": {},
                "startsAt": start.isoformat().replace("+00:00", "Z"),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": fingerprint,
            }
            for name, fingerprint, start in alerts
        ],
    }
    response = client.post(
        "/api/alertmanager/", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert response.status_code == 200, response.content


def test_incidents_received_count_once_however_often_they_are_delivered(client):
    start = datetime(2026, 9, 1, 8, tzinfo=UTC)
    deliver(client, [("CartLatencyHigh", "a1", start), ("CartLatencyHigh", "a2", start), ("QueueStuck", "b1", start)])
    deliver(client, [("CartLatencyHigh", "a1", start), ("CartLatencyHigh", "a1", start + timedelta(days=1))])
    assert (count("CartLatencyHigh"), count("QueueStuck")) == (3, 1)


def test_an_incident_moved_to_another_alert_by_hand_moves_its_count(client):
    deliver(client, [("CartLatencyHigh", "a1", datetime(2026, 9, 1, tzinfo=UTC))])
    incident = Incident.objects.get()
    incident.alert = Alert.objects.for_name("CartErrorsHigh")
    incident_save(incident=incident)
    assert (count("CartLatencyHigh"), count("CartErrorsHigh")) == (0, 1)
    incident_save(incident=Incident(title="by hand", alert=incident.alert, status=IncidentStatus.RESOLVED))
    assert count("CartErrorsHigh") == 2


def test_incidents_a_resolution_history_names_count_for_its_alert_and_leave_it_when_taken_out():
    runbook = """
        ---
        alert: CartLatencyHigh
        ---
        # Cart latency

        ## Resolution History

        | Date | Incident | Old | New |
        |---|---|---|---|
        | 2026-08-01 | #701 | 2 | 4 |
        | 2026-08-09 | #702 | 4 | 6 |
        """
    save_document(runbook, identity="cart.md")
    assert count("CartLatencyHigh") == 2
    save_document(runbook.replace("| 2026-08-09 | #702 | 4 | 6 |", ""), identity="cart.md")
    assert Incident.objects.get(reference="#702").alert is None
    assert count("CartLatencyHigh") == 1


def test_incidents_deleted_in_the_admin_leave_the_count(admin_client, client):
    start = datetime(2026, 9, 1, tzinfo=UTC)
    deliver(client, [("CartLatencyHigh", "a1", start), ("CartLatencyHigh", "a2", start)])
    first, second = Incident.objects.order_by("pk")
    assert admin_client.post(f"/admin/kb/incident/{first.pk}/delete/", {"post": "yes"}).status_code == 302
    assert count("CartLatencyHigh") == 1
    admin_client.post(
        "/admin/kb/incident/", {"action": "delete_selected", "_selected_action": [second.pk], "post": "yes"}
    )
    assert count("CartLatencyHigh") == 0


def test_a_recount_mends_what_was_counted_twice(client):
    deliver(client, [("CartLatencyHigh", "a1", datetime(2026, 9, 1, tzinfo=UTC))])
    Alert.objects.update(incident_count=2)
    alerts_recount()
    assert count("CartLatencyHigh") == 1


def test_the_insights_rank_recurring_alerts_by_the_kept_count(client):
    start = datetime(2026, 9, 1, tzinfo=UTC)
    deliver(client, [("QueueStuck", f"b{n}", start + timedelta(days=n)) for n in range(2)])
    deliver(client, [("CartLatencyHigh", f"a{n}", start + timedelta(days=n)) for n in range(3)])
    recurring = client.get("/api/insights").json()["recurring_alerts"]
    assert [(r["name"], r["incidents"]) for r in recurring] == [("CartLatencyHigh", 3), ("QueueStuck", 2)]
    assert recurring[0]["trend"] == "3 dates, every 1 days on average; steady"


@pytest.mark.django_db(transaction=True)
def test_a_backup_of_an_earlier_version_restores_with_its_counts_tallies_and_links(client, reader, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from kb.alerting.feedback import feedback_record
    from kb.models import Document, Runbook

    start = datetime(2026, 9, 1, tzinfo=UTC)
    deliver(client, [("CartLatencyHigh", f"a{n}", start + timedelta(days=n)) for n in range(2)])
    runbook = save_document(
        "---\nalert: CartLatencyHigh\n---\n# Cart latency\n\nRestart the `cart-api` pod.\n", identity="c.md"
    )
    feedback_record(runbook=runbook, user=reader, answer="no")
    call_command("backup", str(tmp_path), stdout=StringIO())
    # What this version keeps on write, missing as from a backup written before it.
    data = tmp_path / "data.json"
    records = json.loads(data.read_text())
    for record in records:
        for name in ("incident_count", "feedback_yes", "feedback_partly", "feedback_no", "linked_html"):
            record["fields"].pop(name, None)
    data.write_text(json.dumps(records))
    call_command("flush", interactive=False, verbosity=0)
    call_command("restore", str(tmp_path), stdout=StringIO())
    assert count("CartLatencyHigh") == 2
    assert Runbook.objects.get().feedback_no == 1
    assert 'href="/entities/cart-api/"' in Document.objects.get().linked_html
