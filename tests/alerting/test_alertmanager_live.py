"""End to end: a real Alertmanager (Debian's prometheus-alertmanager) notifies a live server of the app.

On SQLite the live server shares the test's in-memory database connection, so neither two deliveries
nor a delivery and the test's own queries may overlap: all alerts go in one group (one delivery at a
time) and the test reads the database only while Alertmanager has no delivery in flight (an answered
delivery is committed: the webhook writes in one transaction before it answers).

The test waits on what it expects, not on a number of deliveries: a loaded machine may flush the
group before all its alerts are in, and then they arrive in two deliveries.
"""

import json
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from kb.models import Alert, Incident, Runbook
from tests.conftest import require_program

pytestmark = [pytest.mark.alertmanager, pytest.mark.django_db(transaction=True)]

TOKEN = "live-test-token-0123456789"
DEADLINE_SECONDS = 60  # generous: a loaded machine is slow, and waiting ends as soon as the condition holds


@pytest.fixture(scope="session")
def alertmanager_binary() -> str:
    return require_program("prometheus-alertmanager", "apt-get install prometheus-alertmanager")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, *, what: str, log_path=None) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    log = log_path.read_text()[-3000:] if log_path and log_path.exists() else ""
    pytest.fail(f"waited {DEADLINE_SECONDS}s for {what}\nAlertmanager's log ends:\n{log}")


@pytest.fixture
def alertmanager(alertmanager_binary, live_server, settings, tmp_path):
    """Alertmanager on loopback, its webhook receiver pointing at the live server with the bearer token."""
    settings.KB_ALERTMANAGER_TOKEN = TOKEN
    hook = live_server.url.replace("localhost", "127.0.0.1") + "/api/alertmanager/"
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "route": {
                    "receiver": "kb",
                    "group_by": [],  # one group: one delivery at a time
                    "group_wait": "1s",
                    "group_interval": "1s",
                    "repeat_interval": "1h",
                },
                "receivers": [
                    {
                        "name": "kb",
                        "webhook_configs": [
                            {
                                "url": hook,
                                "send_resolved": True,
                                "http_config": {"authorization": {"credentials": TOKEN}},
                            }
                        ],
                    }
                ],
            }
        )
    )
    port = free_port()
    log_path = tmp_path / "alertmanager.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                alertmanager_binary,
                f"--config.file={config}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=debug",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(f"Alertmanager exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_until(ready, what="Alertmanager to be ready", log_path=log_path)
        yield url, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def webhook_counts(url: str) -> dict[str, int]:
    """Alertmanager's webhook notifications started, and requests answered and failed (its metrics)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        metrics = response.read().decode()
    counts = dict.fromkeys(
        ("notifications_total", "notification_requests_total", "notification_requests_failed_total"), 0
    )
    for line in metrics.splitlines():
        for name in counts:
            if line.startswith(f'alertmanager_{name}{{integration="webhook"}} '):
                counts[name] = int(float(line.split()[-1]))
    return counts


def wait_for_incidents(url: str, *, status: str, count: int, log_path) -> None:
    """Waits until `count` incidents have `status`, however many deliveries Alertmanager takes to send them."""

    def stored() -> bool:
        counts = webhook_counts(url)
        assert counts["notification_requests_failed_total"] == 0, log_path.read_text()[-3000:]
        # Every notification started has been answered (none failed, so none was retried): nothing is in flight.
        settled = counts["notification_requests_total"] == counts["notifications_total"]
        return settled and Incident.objects.filter(status=status).count() == count

    wait_until(stored, what=f"{count} {status} incidents", log_path=log_path)


def post_alerts(url: str, alerts: list[dict]) -> None:
    request = urllib.request.Request(
        f"{url}/api/v2/alerts", data=json.dumps(alerts).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_alerts_sent_to_a_real_alertmanager_become_incidents_and_resolve(alertmanager):
    url, log_path = alertmanager
    runbook = Runbook.objects.create(
        kind="runbook",
        slug="crash-payments",
        identity="crash-payments",
        title="Crash looping in payments",
        source_text="x",
        content_hash="x",
        alert=Alert.objects.create(name="KubePodCrashLooping"),
        labels={"namespace": "payments"},
    )
    started = datetime.now(UTC).replace(microsecond=123456) - timedelta(minutes=2)
    alerts = [
        {
            "labels": {"alertname": "KubePodCrashLooping", "namespace": "payments", "pod": pod, "severity": "warning"},
            "annotations": {"summary": "Pod is crash looping."},
            "generatorURL": "http://prometheus.example.internal:9090/graph",
            "startsAt": rfc3339(started),
        }
        for pod in ("api-1", "api-2")
    ] + [{"labels": {"alertname": "DiskFull", "instance": "db-0"}, "startsAt": rfc3339(started)}]

    post_alerts(url, alerts)
    wait_for_incidents(url, status="firing", count=3, log_path=log_path)
    crash = Incident.objects.filter(alert__name="KubePodCrashLooping").order_by("labels__pod")
    assert [i.labels["pod"] for i in crash] == ["api-1", "api-2"]
    assert {(i.runbook_id, i.started_at, i.resolved_at) for i in crash} == {(runbook.pk, started, None)}
    assert all(len(i.fingerprint) == 16 for i in crash)
    assert Incident.objects.get(alert__name="DiskFull").runbook is None

    ended = datetime.now(UTC) - timedelta(seconds=5)
    post_alerts(url, [alert | {"endsAt": rfc3339(ended)} for alert in alerts])
    wait_for_incidents(url, status="resolved", count=3, log_path=log_path)
    assert {i.resolved_at for i in Incident.objects.all()} == {ended}
    assert Incident.objects.count() == 3
