"""Time to store an Alertmanager group of 1,000 alerts through POST /api/alertmanager/, against baselines
measured in the same run on the same throwaway database:

- the same request with a group of 1 alert (what a request costs at all);
- a bare `bulk_create` of the same 1,000 incident rows (the least any storage can cost);
- one `update_or_create` per alert (what "one query per alert" would cost).

    .venv/bin/python bench/alertmanager_webhook.py                       # SQLite (a temporary file)
    DATABASE_URL=postgres://kb@127.0.0.1:5432/postgres .venv/bin/python bench/alertmanager_webhook.py

It creates its own test database (test_<name> on PostgreSQL) and drops it; appends to BENCHMARKS.md.
"""

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret")
os.environ["DJANGO_DEBUG"] = "False"  # no query log: measured as in production

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from kb.models import Alert, Incident  # noqa: E402

TOKEN = "bench-token-0123456789abcdef"
GROUP = 1000
REPEATS = 5
# Runbooks the alerts are matched against, as in a knowledge base in use.
RUNBOOKS = 50


def group(size: int, run: int) -> list[dict]:
    start = datetime(2026, 11, 21, 7, 0, tzinfo=UTC) + timedelta(minutes=run)
    return [
        {
            "status": "firing",
            "labels": {
                "alertname": f"Bench{n % 20}",
                "instance": f"node-{n}:9100",
                "job": "node",
                "namespace": f"ns-{n % 7}",
            },
            "annotations": {"summary": f"node-{n} is down", "description": "x" * 120},
            "startsAt": start.isoformat().replace("+00:00", ".123456789Z"),
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=up%3D%3D0",
            "fingerprint": f"{run:04x}{n:012x}",
        }
        for n in range(size)
    ]


def body(alerts: list[dict]) -> bytes:
    return json.dumps({"version": "4", "status": "firing", "receiver": "kb", "alerts": alerts}).encode()


def timed(action) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def post(client: Client, data: bytes) -> None:
    response = client.post(
        "/api/alertmanager/", data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert response.status_code == 200, response.content


def as_rows(alerts: list[dict]) -> list[Incident]:
    names = {a.name: a for a in Alert.objects.all()}
    return [
        Incident(
            title=a["annotations"]["summary"],
            alert=names[a["labels"]["alertname"]],
            status="firing",
            started_at=datetime.fromisoformat(a["startsAt"]),
            fingerprint=a["fingerprint"],
            labels=a["labels"],
            annotations=a["annotations"],
            generator_url=a["generatorURL"],
        )
        for a in alerts
    ]


def one_query_per_alert(alerts: list[dict]) -> None:
    with transaction.atomic():
        for row in as_rows(alerts):
            Incident.objects.update_or_create(
                fingerprint=row.fingerprint,
                started_at=row.started_at,
                defaults={
                    "title": row.title,
                    "alert": row.alert,
                    "status": row.status,
                    "labels": row.labels,
                    "annotations": row.annotations,
                    "generator_url": row.generator_url,
                },
            )


def main() -> None:
    setup_test_environment()
    settings.KB_ALERTMANAGER_TOKEN = TOKEN
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        results = measure()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    report(results)


def measure() -> dict[str, float]:
    from kb.models import Runbook

    for n in range(RUNBOOKS):
        Runbook.objects.create(
            kind="runbook",
            slug=f"bench-{n}",
            identity=f"bench-{n}",
            title=f"Bench {n}",
            source_text="x",
            content_hash="x",
            alert=Alert.objects.get_or_create(name=f"Bench{n % 20}")[0],
            labels={"namespace": f"ns-{n % 7}"} if n % 2 else {},
        )
    client = Client()
    post(client, body(group(1, 0)))  # warm up: connection, URL resolver, templates
    samples: dict[str, list[float]] = {k: [] for k in ("one", "group", "redelivered", "bulk_create", "per_alert")}
    run = 1
    for _ in range(REPEATS):
        samples["one"].append(timed(lambda: post(client, body(group(1, run)))))
        run += 1
        data = body(group(GROUP, run))
        samples["group"].append(timed(lambda: post(client, data)))
        samples["redelivered"].append(timed(lambda: post(client, data)))
        run += 1
        rows = group(GROUP, run)
        samples["bulk_create"].append(timed(lambda: Incident.objects.bulk_create(as_rows(rows))))
        run += 1
        rows = group(GROUP, run)
        samples["per_alert"].append(timed(lambda: one_query_per_alert(rows)))
        run += 1
    return {name: statistics.median(values) for name, values in samples.items()}


def report(results: dict[str, float]) -> None:
    vendor = connection.vendor
    ms = {k: v * 1000 for k, v in results.items()}
    lines = [
        f"### Alertmanager webhook: a group of {GROUP:,} alerts ({vendor}, {datetime.now(UTC):%Y-%m-%d})",
        "",
        f"`{' '.join(['DATABASE_URL=…' if os.environ.get('DATABASE_URL') else ''] + ['.venv/bin/python bench/alertmanager_webhook.py']).strip()}`"
        f" — median of {REPEATS} runs, {RUNBOOKS} runbooks to match against, 2 cores shared with other work.",
        "",
        "| what | time | ratio |",
        "|---|---|---|",
        f"| POST of a group of 1 alert (baseline) | {ms['one']:.1f} ms | 1 |",
        f"| POST of a group of {GROUP:,} new alerts | {ms['group']:.1f} ms | {ms['group'] / ms['one']:.1f}× the 1-alert POST |",
        f"| the same {GROUP:,} redelivered (nothing changes) | {ms['redelivered']:.1f} ms | {ms['redelivered'] / ms['one']:.1f}× |",
        f"| bare `bulk_create` of the same {GROUP:,} rows (baseline) | {ms['bulk_create']:.1f} ms | the POST is {ms['group'] / ms['bulk_create']:.1f}× this |",
        f"| one `update_or_create` per alert | {ms['per_alert']:.1f} ms | {ms['per_alert'] / ms['group']:.1f}× the POST |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    path = ROOT / "BENCHMARKS.md"
    if not path.exists():
        path.write_text(
            "# Benchmarks\n\nRatios against a baseline measured in the same run; appended by the scripts in `bench/`.\n\n"
        )
    with path.open("a") as out:
        out.write(text + "\n")


if __name__ == "__main__":
    main()
