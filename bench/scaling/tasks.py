"""The scale benchmark's steps that need Django, one per run of this script, on the DATABASE_URL given:

    python bench/scaling/tasks.py import DIR [DIR ...]     the import command, timed
    python bench/scaling/tasks.py incidents DIR           every Alertmanager group of DIR through the webhook's write path
    python bench/scaling/tasks.py urls                    the pages, alert links and search queries to measure
    python bench/scaling/tasks.py group MANIFEST          a 1,000-alert group POSTed to /api/alertmanager/, timed

Each prints one JSON object on its last line. Settings come from the environment (DEBUG off, as deployed).
"""

from __future__ import annotations

import io
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.common.server_cpu import ServerCpu, backend_pid, cores_busy, processes_cpu  # noqa: E402
from bench.generate import Generator  # noqa: E402
from kb.alerting.webhook import parse_webhook, webhook_store  # noqa: E402
from kb.models import Alert, Document, Entity, Incident, PostMortem, Runbook  # noqa: E402
from kb.views.documents import DOCUMENTS_PER_PAGE  # noqa: E402

GROUP_ALERTS = 1000
GROUP_REPEATS = 5
SAMPLE = 12  # documents, alerts and entities per kind of page


def import_dirs(paths: list[str]) -> dict:
    """The import command, timed; with the CPU of this process, of its parsing process and of a PostgreSQL server on
    this machine, and the share of the cores they kept busy (BENCHMARKS.md, "Round 16")."""
    out = io.StringIO()
    cpu = sum(processes_cpu())
    with ServerCpu(backend_pid(connection)) as server:
        started = time.perf_counter()
        try:
            call_command("import_docs", *paths, stdout=out, stderr=out)
            status = 0
        except SystemExit as exc:  # the command exits 1 when a file failed
            status = exc.code or 0
        seconds = time.perf_counter() - started
    cpu = sum(processes_cpu()) - cpu
    summary = out.getvalue().strip().splitlines()[-1]
    return {
        "seconds": seconds,
        "summary": summary,
        "status": status,
        "documents": Document.objects.count(),
        "cpu_s": cpu,
        "server_cpu_s": server.spent if server.others is not None else None,
        "cores_busy": cores_busy(cpu + server.spent, seconds),
    }


def load_incidents(directory: str) -> dict:
    groups = sorted(Path(directory).glob("*.json"))
    stored = 0
    started = time.perf_counter()
    for group in groups:
        with transaction.atomic():
            result = webhook_store(payload=parse_webhook(group.read_bytes()))
        stored += result.created + result.updated
    return {"seconds": time.perf_counter() - started, "incidents": stored, "groups": len(groups)}


def _spread(queryset, count: int) -> list:
    """`count` rows spread over the whole table (ordered by id), not the first ones only."""
    ids = list(queryset.order_by("id").values_list("id", flat=True))
    step = max(1, len(ids) // count)
    picked = ids[::step][:count]
    return list(queryset.model.objects.filter(id__in=picked).order_by("id"))


def urls() -> dict:
    runbooks = _spread(Runbook.objects.filter(archived=False, alert__isnull=False), SAMPLE)
    alert_links = []
    for runbook in runbooks:
        labels = {"namespace": runbook.labels.get("namespace", "default"), "pod": "bench-0", "severity": "critical"}
        query = "&".join(f"{k}={v}" for k, v in labels.items())
        alert_links.append(f"/alerts/{runbook.alert.name}/?{query}")
    return {
        "alert link": alert_links,
        "runbook": [r.get_absolute_url() for r in runbooks],
        "post-mortem": [p.get_absolute_url() for p in _spread(PostMortem.objects.filter(archived=False), SAMPLE)],
        "home": ["/"],
        "insights": ["/insights/"],
        "incident list": ["/incidents/"],
        "entity page": [e.get_absolute_url() for e in _spread(Entity.objects.all(), SAMPLE)],
        # Each list's first page and its last (an offset's deepest): a count that is a whole number of pages has no
        # page after its last one.
        "lists": [
            f"/{path}/?page={page}"
            for path, model in (("runbooks", Runbook), ("postmortems", PostMortem))
            for page in (1, max(1, -(-model.objects.filter(archived=False).count() // DOCUMENTS_PER_PAGE)))
        ],
        "login": ["/accounts/login/"],
        "counts": {
            "documents": Document.objects.count(),
            "incidents": Incident.objects.count(),
            "alerts": Alert.objects.count(),
            "entities": Entity.objects.count(),
        },
    }


def post_group(manifest_path: str) -> dict:
    """The median time of a 1,000-alert group, each run new alerts (new incidents) of the generated alerts."""
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    manifest = json.loads(Path(manifest_path).read_text())
    generator = Generator(
        seed=manifest["seed"], runbooks=manifest["runbooks"], postmortems=0, incidents=0, group_size=1
    )
    client = Client()
    token = os.environ["KB_ALERTMANAGER_TOKEN"]
    times = []
    for run in range(GROUP_REPEATS):
        generator.rng = random.Random(1000 + run)
        body = generator.group(run, GROUP_ALERTS, first=datetime(2027, 6, 1, 8, run, tzinfo=UTC))
        data = json.dumps(body)
        started = time.perf_counter()
        response = client.post(
            "/api/alertmanager/", data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"POST /api/alertmanager/ answered {response.status_code}: {response.content[:300]!r}")
    return {"median_s": statistics.median(times), "times": times, "incidents": Incident.objects.count()}


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "import":
        result = import_dirs(args)
    elif command == "incidents":
        result = load_incidents(args[0])
    elif command == "urls":
        result = urls()
    elif command == "group":
        result = post_group(args[0])
    else:
        raise SystemExit(f"unknown task {command!r}: import, incidents, urls or group")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
