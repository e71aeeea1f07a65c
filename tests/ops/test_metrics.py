"""/metrics: the series Prometheus scrapes, and who may scrape them."""

import ipaddress
import json
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ops"
TOKEN = "webhook-token-for-metrics-0123"


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def delivery(status: str) -> bytes:
    alert = {
        "status": status,
        "labels": {"alertname": "MetricsTestAlert", "namespace": "kb"},
        "annotations": {"summary": "an alert for the metrics test"},
        "startsAt": "2026-11-30T10:00:00Z",
        "endsAt": "2026-11-30T10:05:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph",
        "fingerprint": "0123456789abcdef",
    }
    return json.dumps({"version": "4", "status": status, "alerts": [alert], "truncatedAlerts": 0}).encode()


def deliver(client, body: bytes, token: str = TOKEN):
    return client.post(
        "/api/alertmanager/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_it_counts_webhook_deliveries_by_answer_and_their_alerts_by_status(client, settings):
    settings.KB_ALERTMANAGER_TOKEN = TOKEN
    before = scrape(client)
    assert deliver(client, delivery("firing")).status_code == 200
    assert deliver(client, b"{not json").status_code == 400
    assert deliver(client, delivery("firing"), token="wrong-token-0123456789").status_code == 401
    after = scrape(client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("kb_alertmanager_deliveries_total", status="200") == 1
    assert grew("kb_alertmanager_deliveries_total", status="400") == 1
    assert grew("kb_alertmanager_deliveries_total", status="401") == 1
    assert grew("kb_alertmanager_alerts_total", status="firing") == 1
    assert value(after, "kb_incidents_firing") == 1


def test_a_delivery_that_fails_inside_is_counted_as_a_500(client, settings):
    from django.db import connection

    settings.KB_ALERTMANAGER_TOKEN = TOKEN
    client.raise_request_exception = False
    before = scrape(client)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE kb_incident RENAME TO kb_incident_gone")
    try:
        assert deliver(client, delivery("firing")).status_code == 500
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE kb_incident_gone RENAME TO kb_incident")
    after = scrape(client)
    assert (
        value(after, "kb_alertmanager_deliveries_total", status="500")
        == value(before, "kb_alertmanager_deliveries_total", status="500") + 1
    )


def test_it_counts_the_files_of_an_import_by_outcome_and_the_documents_by_kind(client, tmp_path):
    before = scrape(client)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "runbook.md").write_bytes((FIXTURES / "KnowledgeBaseTestAlert.md").read_bytes())
    (folder / "broken.md").write_bytes(b"\xff\xfe not utf-8 \x00\x00")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n")
    from kb.documents.importing import import_paths  # imported here: it reads the database when loaded

    import_paths([folder])
    after = scrape(client)

    def grew(outcome):
        return value(after, "kb_import_files_total", outcome=outcome) - value(
            before, "kb_import_files_total", outcome=outcome
        )

    assert (grew("created"), grew("failed"), grew("skipped")) == (1, 1, 1)
    assert value(after, "kb_documents", kind="runbook") == value(before, "kb_documents", kind="runbook") + 1
    assert ("kb_documents", (("kind", "postmortem"),)) in after


def test_it_counts_requests_and_their_latency_by_view_name(client):
    before = scrape(client)
    client.get("/runbooks/")
    client.get("/no/such/page/")
    after = scrape(client)
    view = "runbook_list"
    assert (
        value(after, "kb_http_requests_total", view=view, method="GET", status="200")
        == value(before, "kb_http_requests_total", view=view, method="GET", status="200") + 1
    )
    assert value(after, "kb_http_request_duration_seconds_count", view=view) >= 1
    assert value(after, "kb_http_requests_total", view="<unresolved>", method="GET", status="404") >= 1
    assert not any("no/such" in str(labels) for _, labels in after)


def test_the_git_sync_series_are_zero_until_a_sync_runs(client):
    samples = scrape(client)
    assert samples[("kb_git_sync_last_timestamp_seconds", ())] == 0
    assert samples[("kb_git_sync_last_success", ())] == 0


def test_a_metrics_token_is_required_once_set(client, settings):
    settings.KB_METRICS_TOKEN = "metrics-token-0123456789"
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert "KB_METRICS_TOKEN" in missing.content.decode()
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(client, HTTP_AUTHORIZATION="Bearer metrics-token-0123456789")


def test_only_the_allowed_networks_may_scrape_once_set(client, settings):
    settings.KB_METRICS_ALLOWED_IPS = [ipaddress.ip_network("10.42.0.0/16")]
    refused = client.get("/metrics", REMOTE_ADDR="192.168.1.7")
    assert refused.status_code == 403
    assert "192.168.1.7" in refused.content.decode()
    # A forwarded header does not let an outsider in.
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.7", HTTP_X_FORWARDED_FOR="10.42.0.9").status_code == 403
    assert scrape(client, REMOTE_ADDR="10.42.3.4")


def test_a_bad_allowed_network_stops_the_start_with_its_name(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.settings import env_networks

    monkeypatch.setenv("KB_METRICS_ALLOWED_IPS", "10.0.0.0/8,not-a-network")
    with pytest.raises(ImproperlyConfigured, match="KB_METRICS_ALLOWED_IPS: 'not-a-network'"):
        env_networks("KB_METRICS_ALLOWED_IPS", "")
