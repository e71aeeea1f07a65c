"""POST /api/alertmanager/: bodies captured from a real Alertmanager 0.25, replayed with their headers.

The captures live in ../shared/corpus/alertmanager, so the tests replaying them are in the corpus suite."""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.models import Alert, Incident, Runbook
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

TOKEN = "test-token-0123456789abcdef"
URL = "/api/alertmanager/"


@pytest.fixture(autouse=True)
def token(settings):
    settings.KB_ALERTMANAGER_TOKEN = TOKEN


@pytest.fixture
def captured(corpus):
    """A captured delivery by its number: (body, headers as the test client takes them)."""
    folder = corpus / "alertmanager"

    def read(number: str) -> tuple[bytes, dict]:
        body_path = next(folder.glob(f"{number}-*.json"))
        lines = body_path.with_name(body_path.name.replace(".json", ".headers.txt")).read_text().splitlines()[1:]
        headers = {}
        for line in filter(None, lines):
            name, _, value = line.partition(":")
            if name.lower() not in ("host", "content-length", "content-type"):
                headers["HTTP_" + name.upper().replace("-", "_")] = value.strip()
        return body_path.read_bytes(), headers

    return read


def deliver(client, body: bytes, *, token: str | None = TOKEN, url: str = URL, **headers):
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(url, body, content_type="application/json", **headers)


def replay(client, captured, number: str):
    body, headers = captured(number)
    response = deliver(client, body, **headers)
    assert response.status_code == 200, response.content
    return response.json()


def incidents() -> dict[str, Incident]:
    return {i.labels.get("pod", i.labels["alertname"]): i for i in Incident.objects.select_related("alert", "runbook")}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def crash_looping_runbook(**labels) -> Runbook:
    return Runbook.objects.create(
        kind="runbook",
        slug="crash-" + "-".join(labels.values()) if labels else "crash",
        identity=str(labels),
        title=f"Crash looping {labels}",
        source_text="x",
        content_hash="x",
        alert=Alert.objects.get_or_create(name="KubePodCrashLooping")[0],
        labels=labels,
    )


@pytest.mark.corpus
def test_it_creates_a_firing_incident_from_an_amtool_alert(client, captured):
    assert replay(client, captured, "01") == {
        "alerts": 1,
        "truncated_alerts": 0,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }
    incident = incidents()["TestAlert"]
    assert incident.status == "firing"
    assert incident.alert.name == "TestAlert"
    assert incident.fingerprint == "aecb3ffbbb70cb79"
    # Nanoseconds are cut to the microsecond; endsAt of year 1 means it has not ended.
    assert incident.started_at == at("2026-11-21T07:11:12.122947Z")
    assert incident.resolved_at is None
    assert incident.labels == {"alertname": "TestAlert", "severity": "warning"}


@pytest.mark.corpus
def test_each_alert_of_a_group_is_an_incident_with_the_best_runbook_for_its_labels(client, captured):
    crash_looping_runbook()
    payments = crash_looping_runbook(namespace="payments")
    crash_looping_runbook(namespace="media")
    replay(client, captured, "02")
    both = incidents()
    assert set(both) == {"api-7d9f8c-q8w1z", "api-7d9f8c-x2k4p"}
    for incident in both.values():
        assert (incident.status, incident.runbook, incident.title) == ("firing", payments, "Pod is crash looping.")
        assert incident.annotations["runbook_url"].endswith("/kubepodcrashlooping")
        assert incident.generator_url.startswith("http://prometheus.example.internal:9090/graph?")
    assert Alert.objects.filter(name__iexact="KubePodCrashLooping").count() == 1


@pytest.mark.corpus
def test_a_redelivered_body_changes_nothing(client, captured):
    replay(client, captured, "02")
    before = list(Incident.objects.order_by("pk").values())
    assert replay(client, captured, "02") == {
        "alerts": 2,
        "truncated_alerts": 0,
        "created": 0,
        "updated": 0,
        "unchanged": 2,
    }
    assert list(Incident.objects.order_by("pk").values()) == before


@pytest.mark.corpus
def test_alerts_left_out_of_a_group_are_counted_in_the_answer_and_logged(client, captured, caplog):
    body, headers = captured("02")
    data = json.loads(body) | {"truncatedAlerts": 3}
    response = deliver(client, json.dumps(data).encode(), **headers)
    assert response.json() == {"alerts": 2, "truncated_alerts": 3, "created": 2, "updated": 0, "unchanged": 0}
    assert "Alertmanager left 3 alerts out of a group of 5" in caplog.text


@pytest.mark.corpus
def test_group_fields_nothing_reads_do_not_cost_the_delivery(client, captured):
    body, headers = captured("01")
    data = json.loads(body) | {"receiver": 7, "status": None, "groupKey": {"a": 1}, "externalURL": ["x"]}
    assert deliver(client, json.dumps(data).encode(), **headers).status_code == 200
    assert Incident.objects.count() == 1


@pytest.mark.corpus
def test_one_resolved_alert_in_a_firing_group_resolves_only_its_incident(client, captured):
    replay(client, captured, "02")
    assert replay(client, captured, "03") == {
        "alerts": 2,
        "truncated_alerts": 0,
        "created": 0,
        "updated": 1,
        "unchanged": 1,
    }
    now = incidents()
    assert (now["api-7d9f8c-q8w1z"].status, now["api-7d9f8c-q8w1z"].resolved_at) == ("firing", None)
    resolved = now["api-7d9f8c-x2k4p"]
    assert (resolved.status, resolved.resolved_at) == ("resolved", at("2026-11-21T07:11:27Z"))


@pytest.mark.corpus
def test_all_resolved_resolves_every_incident_and_the_first_resolution_time_stands(client, captured):
    for number in ("02", "03", "05", "05"):
        replay(client, captured, number)
    now = incidents()
    assert now["api-7d9f8c-q8w1z"].resolved_at == at("2026-11-21T07:11:36Z")
    assert now["api-7d9f8c-x2k4p"].resolved_at == at("2026-11-21T07:11:27Z")
    assert {i.status for i in now.values()} == {"resolved"}


@pytest.mark.corpus
def test_a_late_firing_delivery_does_not_reopen_a_resolved_incident(client, captured):
    replay(client, captured, "01")
    replay(client, captured, "04")
    assert replay(client, captured, "01")["unchanged"] == 1
    assert incidents()["TestAlert"].status == "resolved"


@pytest.mark.corpus
def test_a_resolved_alert_never_seen_firing_is_stored_resolved(client, captured):
    replay(client, captured, "04")
    incident = incidents()["TestAlert"]
    assert (incident.status, incident.resolved_at) == ("resolved", at("2026-11-21T07:11:27Z"))


@pytest.mark.corpus
def test_the_same_alert_firing_again_later_is_a_new_incident(client, captured):
    body, _ = captured("01")
    replay(client, captured, "01")
    again = body.replace(b"2026-11-21T07:11:12.122947726Z", b"2026-11-21T09:00:00Z")
    assert deliver(client, again).json()["created"] == 1
    assert Incident.objects.filter(fingerprint="aecb3ffbbb70cb79").count() == 2


@pytest.mark.corpus
def test_a_runbook_written_after_the_alert_fired_is_attached_on_the_next_delivery(client, captured):
    replay(client, captured, "02")
    assert {i.runbook for i in incidents().values()} == {None}
    runbook = crash_looping_runbook()
    assert replay(client, captured, "02")["updated"] == 2
    assert {i.runbook for i in incidents().values()} == {runbook}


@pytest.mark.corpus
def test_it_answers_without_the_trailing_slash_and_without_csrf_or_session(client, captured):
    client.handler.enforce_csrf_checks = True
    body, headers = captured("01")
    response = deliver(client, body, url="/api/alertmanager", **headers)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert Incident.objects.count() == 1


@pytest.mark.corpus
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"],
    ids=["missing", "wrong", "other-scheme", "longer", "empty"],
)
def test_a_missing_or_wrong_token_is_401(client, captured, authorization):
    body, _ = captured("01")
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = deliver(client, body, token=None, **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Incident.objects.count() == 0


@pytest.mark.corpus
def test_without_a_configured_token_it_refuses_and_says_how_to_configure_it(client, captured, settings):
    settings.KB_ALERTMANAGER_TOKEN = ""
    body, _ = captured("01")
    response = deliver(client, body, token="")
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


@pytest.mark.corpus
def test_a_bad_alert_is_400_naming_its_field_and_nothing_of_the_group_is_stored(client, captured):
    body, _ = captured("02")
    data = json.loads(body)
    data["alerts"][1]["startsAt"] = "yesterday"
    response = deliver(client, json.dumps(data).encode())
    assert response.status_code == 400
    assert response.json()["error"] == "alerts[1].startsAt is 'yesterday', not an RFC 3339 time"
    assert Incident.objects.count() == 0


@pytest.mark.corpus
def test_a_body_over_one_megabyte_is_413(client, captured):
    body, _ = captured("01")
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
    # naming the new alert (to link them); incidents (read, read back after the insert); search index
    # (words of the rows replaced, delete). Then the inserts in batches: SQLite takes at most 999
    # parameters a statement; the search index writes 200 rows a batch and its words 500 a batch.
    insert_batches = 1 if connection.vendor == "postgresql" else 1000 // (999 // 16) + 1
    index_batches = (1000 // 200 if connection.vendor == "postgresql" else 1000 // (999 // 13) + 1) + 3
    assert len(first) <= 11 + insert_batches + index_batches, [q["sql"][:80] for q in first]
    assert len(again) <= 6
    assert Incident.objects.filter(status="firing").count() == 1000


def test_a_postmortem_written_before_the_alert_first_fired_is_linked_to_it_when_it_fires(client):
    save_document(
        "---\nkind: postmortem\n---\n# Rack power loss\n\n**Date:** 2026-03-02\n\n## Summary\n\nNodeDown paged twice before anyone looked.\n",
        identity="rack-power.md",
    )
    assert client.get("/api/alerts/NodeDown").status_code == 404
    assert deliver(client, a_group(1)).status_code == 200
    assert [p["slug"] for p in client.get("/api/alerts/NodeDown").json()["postmortems"]] == ["rack-power"]
    assert "Rack power loss" in client.get("/entities/NodeDown/").content.decode()
