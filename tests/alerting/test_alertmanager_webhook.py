"""POST /api/alertmanager/: the webhook's behaviour, on Alertmanager bodies the project owns.

tests/fixtures/alertmanager holds hand-written deliveries in Alertmanager's webhook format version 4,
as Alertmanager 0.25 writes them (field order, nanosecond timestamps, year-1 endsAt while firing,
fingerprints as Alertmanager computes them from the labels, `&` written `\\u0026`): a test alert firing
(01) and resolved (04); a group of two HomelabPodOOMKilled firing (02), still firing with one alert
resolved (03), and all resolved (05). The header that matters, the bearer token, is set here.

One corpus test replays every delivery captured from a real Alertmanager in
../shared/corpus/alertmanager with its headers, so real output stays covered."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.models import Alert, Incident, Runbook
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

TOKEN = "test-token-0123456789abcdef"
URL = "/api/alertmanager/"
BODIES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"
USER_AGENT = "Alertmanager/0.25.0"

TEST_ALERT = "KnowledgeBaseTestAlert"
# The two alerts of the HomelabPodOOMKilled group, by pod: the first stays firing longest.
STAYS, GOES = "node-agent-m4q9d", "node-agent-x7k2p"


@pytest.fixture(autouse=True)
def token(settings):
    settings.KB_ALERTMANAGER_TOKEN = TOKEN


@pytest.fixture
def bodies():
    """One of the project's deliveries in tests/fixtures/alertmanager, by its number."""

    def read(number: str) -> bytes:
        (path,) = BODIES.glob(f"{number}-*.json")
        return path.read_bytes()

    return read


def deliver(client, body: bytes, *, token: str | None = TOKEN, url: str = URL, **headers):
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(url, body, content_type="application/json", **headers)


def replay(client, bodies, number: str):
    response = deliver(client, bodies(number), HTTP_USER_AGENT=USER_AGENT)
    assert response.status_code == 200, response.content
    return response.json()


def incidents() -> dict[str, Incident]:
    return {i.labels.get("pod", i.labels["alertname"]): i for i in Incident.objects.select_related("alert", "runbook")}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def oom_runbook(**labels) -> Runbook:
    return Runbook.objects.create(
        kind="runbook",
        slug="oom-" + "-".join(labels.values()) if labels else "oom",
        identity=str(labels),
        title=f"OOMKilled {labels}",
        source_text="x",
        content_hash="x",
        alert=Alert.objects.get_or_create(name="HomelabPodOOMKilled")[0],
        labels=labels,
    )


def test_it_creates_a_firing_incident_from_an_amtool_alert(client, bodies):
    assert replay(client, bodies, "01") == {
        "alerts": 1,
        "truncated_alerts": 0,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }
    incident = incidents()[TEST_ALERT]
    assert incident.status == "firing"
    assert incident.alert.name == TEST_ALERT
    assert incident.title == "Test alert sent with amtool to check the kb webhook."
    assert incident.fingerprint == "9d20c8ac61ffe4ee"
    # Nanoseconds are cut (not rounded) to the microsecond; endsAt of year 1 means it has not ended.
    assert incident.started_at == at("2026-12-01T21:04:05.304518Z")
    assert incident.resolved_at is None
    assert incident.generator_url == ""
    assert incident.labels == {"alertname": TEST_ALERT, "namespace": "kb", "severity": "info"}


def test_each_alert_of_a_group_is_an_incident_with_the_best_runbook_for_its_labels(client, bodies):
    oom_runbook()
    velero = oom_runbook(namespace="velero")
    oom_runbook(namespace="immich")
    oom_runbook(namespace="velero", container="velero")  # more labels, but not these pods' container
    replay(client, bodies, "02")
    both = incidents()
    assert set(both) == {STAYS, GOES}
    for incident in both.values():
        assert (incident.status, incident.runbook, incident.title) == ("firing", velero, "A container was OOMKilled.")
        # Its own URL space: never the URL of a `#N` some document names
        assert (incident.origin, incident.get_absolute_url()) == ("alertmanager", f"/incidents/received/{incident.pk}/")
        assert incident.annotations["runbook_url"] == "https://kb.homelab.lan/alerts/HomelabPodOOMKilled/"
        description = f"Container node-agent of velero/{incident.labels['pod']} was OOMKilled and restarted."
        assert incident.annotations["description"] == description
        assert incident.generator_url.startswith("http://prometheus.homelab.lan:9090/graph?g0.expr=increase%28")
        assert incident.generator_url.endswith("%7D&g0.tab=1")
    assert both[STAYS].started_at == at("2026-12-01T02:44:52.071936Z")
    assert both[GOES].started_at == at("2026-12-01T02:42:07.518204Z")
    assert Alert.objects.filter(name__iexact="HomelabPodOOMKilled").count() == 1


def test_a_redelivered_body_changes_nothing(client, bodies):
    replay(client, bodies, "02")
    before = list(Incident.objects.order_by("pk").values())
    assert replay(client, bodies, "02") == {
        "alerts": 2,
        "truncated_alerts": 0,
        "created": 0,
        "updated": 0,
        "unchanged": 2,
    }
    assert list(Incident.objects.order_by("pk").values()) == before


def test_alerts_left_out_of_a_group_are_counted_in_the_answer_and_logged(client, bodies, caplog):
    data = json.loads(bodies("02")) | {"truncatedAlerts": 3}
    response = deliver(client, json.dumps(data).encode())
    assert response.json() == {"alerts": 2, "truncated_alerts": 3, "created": 2, "updated": 0, "unchanged": 0}
    assert "Alertmanager left 3 alerts out of a group of 5" in caplog.text


def test_group_fields_nothing_reads_do_not_cost_the_delivery(client, bodies):
    data = json.loads(bodies("01")) | {"receiver": 7, "status": None, "groupKey": {"a": 1}, "externalURL": ["x"]}
    assert deliver(client, json.dumps(data).encode()).status_code == 200
    assert Incident.objects.count() == 1


def test_one_resolved_alert_in_a_firing_group_resolves_only_its_incident(client, bodies):
    replay(client, bodies, "02")
    assert replay(client, bodies, "03") == {
        "alerts": 2,
        "truncated_alerts": 0,
        "created": 0,
        "updated": 1,
        "unchanged": 1,
    }
    now = incidents()
    assert (now[STAYS].status, now[STAYS].resolved_at) == ("firing", None)
    resolved = now[GOES]
    assert (resolved.status, resolved.resolved_at) == ("resolved", at("2026-12-01T04:31:52.086913Z"))


def test_all_resolved_resolves_every_incident_and_the_first_resolution_time_stands(client, bodies):
    for number in ("02", "03", "05", "05"):
        replay(client, bodies, number)
    now = incidents()
    assert now[STAYS].resolved_at == at("2026-12-01T04:38:19.640275Z")
    assert now[GOES].resolved_at == at("2026-12-01T04:31:52.086913Z")
    assert {i.status for i in now.values()} == {"resolved"}


def test_a_late_firing_delivery_does_not_reopen_a_resolved_incident(client, bodies):
    replay(client, bodies, "01")
    replay(client, bodies, "04")
    assert replay(client, bodies, "01")["unchanged"] == 1
    assert incidents()[TEST_ALERT].status == "resolved"


def test_a_resolved_alert_never_seen_firing_is_stored_resolved(client, bodies):
    replay(client, bodies, "04")
    incident = incidents()[TEST_ALERT]
    assert (incident.status, incident.resolved_at) == ("resolved", at("2026-12-01T21:09:05.000412Z"))
    assert incident.started_at == at("2026-12-01T21:04:05.304518Z")


def test_the_same_alert_firing_again_later_is_a_new_incident(client, bodies):
    replay(client, bodies, "01")
    data = json.loads(bodies("01"))
    data["alerts"][0]["startsAt"] = "2026-12-01T23:00:00Z"
    assert deliver(client, json.dumps(data).encode()).json()["created"] == 1
    assert Incident.objects.filter(fingerprint="9d20c8ac61ffe4ee").count() == 2


def test_a_runbook_written_after_the_alert_fired_is_attached_on_the_next_delivery(client, bodies):
    replay(client, bodies, "02")
    assert {i.runbook for i in incidents().values()} == {None}
    runbook = oom_runbook()
    assert replay(client, bodies, "02")["updated"] == 2
    assert {i.runbook for i in incidents().values()} == {runbook}


def test_it_answers_without_the_trailing_slash_and_without_csrf_or_session(client, bodies):
    client.handler.enforce_csrf_checks = True
    response = deliver(client, bodies("01"), url="/api/alertmanager", HTTP_USER_AGENT=USER_AGENT)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"],
    ids=["missing", "wrong", "other-scheme", "longer", "empty"],
)
def test_a_missing_or_wrong_token_is_401(client, bodies, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = deliver(client, bodies("01"), token=None, **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Incident.objects.count() == 0


def test_without_a_configured_token_it_refuses_and_says_how_to_configure_it(client, bodies, settings):
    settings.KB_ALERTMANAGER_TOKEN = ""
    response = deliver(client, bodies("01"), token="")
    assert response.status_code == 503
    assert "KB_ALERTMANAGER_TOKEN" in response.json()["error"]
    assert "authorization" in response.json()["error"]
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    "body, reason",
    [
        (b'{"version": "4", "alerts": [', "the body is not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "JSON list, not an Alertmanager webhook"),
        (b'{"alerts": []}', "`version` is missing"),
        (b'{"version": "3", "alerts": []}', "`version` is '3'"),
        (b'{"version": "4"}', "`alerts` must be a list"),
        (b'{"version": "4", "alerts": [{"status": "firing"}]}', "alerts[0].fingerprint is missing"),
    ],
)
def test_a_body_that_is_not_a_webhook_payload_is_400_with_the_reason(client, body, reason):
    response = deliver(client, body)
    assert response.status_code == 400
    assert reason in response.json()["error"]


def test_a_bad_alert_is_400_naming_its_field_and_nothing_of_the_group_is_stored(client, bodies):
    data = json.loads(bodies("02"))
    data["alerts"][1]["startsAt"] = "yesterday"
    response = deliver(client, json.dumps(data).encode())
    assert response.status_code == 400
    assert response.json()["error"] == "alerts[1].startsAt is 'yesterday', not an RFC 3339 time"
    assert Incident.objects.count() == 0


def test_a_body_over_one_megabyte_is_413(client, bodies):
    body = bodies("01").rstrip()
    padded = body[:-1] + b', "padding": "' + b"x" * (1024 * 1024) + b'"}'
    response = deliver(client, padded)
    assert response.status_code == 413
    assert Incident.objects.count() == 0


def test_a_get_is_405(client):
    assert client.get(URL).status_code == 405


def a_group(size: int) -> bytes:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "NodeDown", "instance": f"node-{n}:9100", "job": "node"},
            "annotations": {"summary": f"node-{n} is down"},
            "startsAt": "2026-11-21T07:11:20.123456789Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": f"{n:016x}",
        }
        for n in range(size)
    ]
    return json.dumps({"version": "4", "status": "firing", "receiver": "kb", "alerts": alerts}).encode()


def test_a_group_of_1000_alerts_is_stored_in_a_few_queries(client):
    body = a_group(1000)
    with CaptureQueriesContext(connection) as first:
        assert deliver(client, body).json()["created"] == 1000
    with CaptureQueriesContext(connection) as again:
        assert deliver(client, body).json()["unchanged"] == 1000
    # Fixed: savepoint and release; alerts (read, create, read again with their runbooks); documents
    # naming the new alert (to link them); incidents (read, read back after the insert); the alerts' incident
    # counts (one UPDATE); search index (words of the rows replaced, delete). Then the inserts in batches: SQLite takes at most 999
    # parameters a statement; the search index writes 200 rows a batch and its words 500 a batch.
    insert_batches = 1 if connection.vendor == "postgresql" else 1000 // (999 // 21) + 1
    index_batches = (1000 // 200 if connection.vendor == "postgresql" else 1000 // (999 // 13) + 1) + 3
    assert len(first) <= 12 + insert_batches + index_batches, [q["sql"][:80] for q in first]
    assert len(again) <= 6
    assert Incident.objects.filter(status="firing").count() == 1000


@pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's")
def test_a_group_stored_already_is_found_key_by_key_in_the_unique_index(client):
    """Alertmanager sends a firing group again every few minutes: its alerts are looked up by (fingerprint, start)
    pairs, each in the unique index, not by reading every incident or trying every start with every fingerprint
    (a 1,000-alert group took 0.85 s into 140,000 incidents, 0.45 s into none)."""
    body = a_group(300)
    deliver(client, body)
    with CaptureQueriesContext(connection) as again:
        assert deliver(client, body).json()["unchanged"] == 300
    plans = []
    with connection.cursor() as cursor:
        for query in again.captured_queries:
            if query["sql"].startswith("SELECT") and '"kb_incident"' in query["sql"]:
                cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
                plans.append([detail for *_, detail in cursor.fetchall()])
    assert plans
    for plan in plans:
        assert not [step for step in plan if step.startswith("SCAN") and "kb_incident" in step], plan
        assert any(
            "USING COVERING INDEX incident_fingerprint_start_unique (fingerprint=? AND started_at=?)" in step
            for step in plan
        ), plan


def test_a_postmortem_written_before_the_alert_first_fired_is_linked_to_it_when_it_fires(client):
    save_document(
        "---\nkind: postmortem\n---\n# Rack power loss\n\n**Date:** 2026-03-02\n\n## Summary\n\nNodeDown paged twice before anyone looked.\n",
        identity="rack-power.md",
    )
    assert client.get("/api/alerts/NodeDown").status_code == 404
    assert deliver(client, a_group(1)).status_code == 200
    assert [p["slug"] for p in client.get("/api/alerts/NodeDown").json()["postmortems"]] == ["rack-power"]
    assert "Rack power loss" in client.get("/entities/NodeDown/").content.decode()


@pytest.mark.corpus
def test_every_delivery_captured_from_a_real_alertmanager_is_accepted_and_stored(client, corpus):
    """The captures of ../shared/corpus/alertmanager replayed in order with their headers (and the token):
    each is answered 200 and each of its alerts is an incident with its labels and its own status."""
    captures = sorted((corpus / "alertmanager").glob("[0-9][0-9]-*.json"))
    assert len(captures) >= 5, captures
    for path in captures:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
        for line in filter(None, path.with_name(path.stem + ".headers.txt").read_text().splitlines()[1:]):
            name, _, value = line.partition(":")
            if name.lower() not in ("host", "content-length", "content-type"):
                headers["HTTP_" + name.upper().replace("-", "_")] = value.strip()
        data = json.loads(path.read_bytes())
        response = client.post(URL, path.read_bytes(), content_type="application/json", **headers)
        assert response.status_code == 200, (path.name, response.content)
        assert response.json()["alerts"] == len(data["alerts"]) > 0, path.name
        for alert in data["alerts"]:
            incident = Incident.objects.get(fingerprint=alert["fingerprint"], started_at=at(alert["startsAt"]))
            stored = (incident.alert.name, incident.labels, incident.status)
            assert stored == (alert["labels"]["alertname"], alert["labels"], alert["status"]), path.name
