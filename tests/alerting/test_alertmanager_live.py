"""End to end: a real Alertmanager (Debian's prometheus-alertmanager) notifies a live server of the app.

On SQLite the live server shares the test's in-memory database connection, so neither two deliveries
nor a delivery and the test's own queries may overlap: all alerts go in one group (one delivery at a
time) and the test reads the database only once Alertmanager counts the delivery as answered.
"""

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from kb.models import Alert, Incident, Runbook
from tests.conftest import IN_CI

pytestmark = [pytest.mark.alertmanager, pytest.mark.django_db(transaction=True)]

TOKEN = "live-test-token-0123456789"
DEADLINE_SECONDS = 30


@pytest.fixture(scope="session")
def alertmanager_binary() -> str:
    path = shutil.which("prometheus-alertmanager")
    if path is None:
        if IN_CI:
            pytest.fail("prometheus-alertmanager is not installed; bin/test-all installs it in CI")
        pytest.skip("prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)")
    return path


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


def deliveries(url: str) -> tuple[int, int]:
    """Webhook requests Alertmanager has had answered, and how many of those failed."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        metrics = response.read().decode()
    counts = {}
    for line in metrics.splitlines():
        for name in ("requests_total", "requests_failed_total"):
            if line.startswith(f'alertmanager_notification_{name}{{integration="webhook"}} '):
                counts[name] = int(float(line.split()[-1]))
    return counts.get("requests_total", 0), counts.get("requests_failed_total", 0)


def wait_for_delivery(url: str, *, after: int, log_path) -> int:
    """Waits until Alertmanager has had one more webhook request answered, and that it succeeded."""
    wait_until(lambda: deliveries(url)[0] > after, what="Alertmanager to deliver to the webhook", log_path=log_path)
    time.sleep(0.3)  # the server thread finishes the request after sending its answer
    answered, failed = deliveries(url)
    assert failed == 0, log_path.read_text()[-3000:]
    return answered


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
    answered = wait_for_delivery(url, after=0, log_path=log_path)
    assert Incident.objects.filter(status="firing").count() == 3
    crash = Incident.objects.filter(alert__name="KubePodCrashLooping").order_by("labels__pod")
    assert [i.labels["pod"] for i in crash] == ["api-1", "api-2"]
    assert {(i.runbook_id, i.started_at, i.resolved_at) for i in crash} == {(runbook.pk, started, None)}
    assert all(len(i.fingerprint) == 16 for i in crash)
    assert Incident.objects.get(alert__name="DiskFull").runbook is None

    ended = datetime.now(UTC) - timedelta(seconds=5)
    post_alerts(url, [alert | {"endsAt": rfc3339(ended)} for alert in alerts])
    wait_for_delivery(url, after=answered, log_path=log_path)
    assert Incident.objects.filter(status="resolved").count() == 3
    assert {i.resolved_at for i in Incident.objects.all()} == {ended}
    assert Incident.objects.count() == 3
