"""The first (cold) view of each page, in process: what a gunicorn worker pays the first time it shows a
URL, before its page cache holds anything for it (issue #12).

    DATABASE_URL=sqlite:////tmp/cold-bench/sqlite/kb_full.sqlite3 .venv/bin/python bench/scaling/cold.py
    DATABASE_URL=… .venv/bin/python bench/scaling/cold.py --profile runbook    # where one runbook's time goes

The URLs are those the scale benchmark samples (bench/scaling/tasks.py `urls`). Each is requested with the
Django test client, DEBUG off, the cache cleared before every request, `--rounds` times; the figure of a URL
is its median over the rounds (the first round also compiles the templates, so it is left out), and each
kind of page gives the median and the maximum over its URLs, the median CPU time of this process (what the
view costs whatever else runs on the machine), the queries one view runs and their time in the database.
`--after incident` measures instead the view that follows an incident written (the page cached just before):
what each view costs during an alert storm. `--profile KIND` prints, for the first URL of that kind (with
`--slowest`, the one whose cold view took the most CPU), the functions of kb/ that took the most time
(cumulative, under cProfile: a rough share, not a timing) and the Python calls of the view.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-cold-not-a-secret")
os.environ.setdefault("DJANGO_DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.scaling.tasks import urls  # noqa: E402
from kb.models import Incident  # noqa: E402

KINDS = ["alert link", "runbook", "post-mortem", "home", "insights", "entity page", "incident list", "login"]


def view(client: Client, path: str, after: str = "") -> tuple[float, int, float, int, float]:
    """(ms, queries, ms in the database, status, CPU ms of this process) of one cold view. The CPU time
    leaves out waiting (for the database's process, for a core another process holds), so that it compares
    runs on a busy machine."""
    in_db: list[float] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_db.append(time.perf_counter() - started)

    if after == "incident":
        client.get(path)  # cached, then changed as an incident written changes it (its `updated_at`)
        Incident.objects.filter(pk=Incident.objects.order_by("-pk").values("pk")[:1]).update(updated_at=timezone.now())
    else:
        cache.clear()
    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(timed):
        status = client.get(path).status_code
    cpu_ms = (time.process_time() - cpu) * 1000
    return (time.perf_counter() - started) * 1000, len(in_db), sum(in_db) * 1000, status, cpu_ms


def profile(client: Client, path: str, shown: int = 30) -> None:
    view(client, path)  # templates compiled, modules imported
    cache.clear()
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_, calls, _, cumulative, _) in stats.stats.items():
        if "/kb/" in filename and "/migrations/" not in filename:
            rows.append((cumulative, calls, f"{Path(filename).relative_to(ROOT)}:{line} {name}"))
    print(f"{path}: {stats.total_calls} Python calls; the kb functions that took most (cumulative ms, calls)")
    for cumulative, calls, where in sorted(rows, reverse=True)[:shown]:
        print(f"  {cumulative * 1000:7.1f} ×{calls:<5} {where}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", choices=KINDS, help="profile the first URL of this kind of page")
    parser.add_argument("--slowest", action="store_true", help="with --profile: the URL of most CPU, not the first")
    parser.add_argument("--after", choices=["incident"], default="", help="the view after an incident written")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds of page")
    args = parser.parse_args(argv)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    sampled = urls()
    print(f"{connection.vendor}, {sampled['counts']}")
    if args.profile:
        paths = sampled[args.profile]
        if args.slowest:
            cpu = {path: statistics.median(view(client, path)[4] for _ in range(3)) for path in paths}
            paths = [max(paths, key=cpu.get)]
        profile(client, paths[0])
        return 0
    print(f"{'page':<14} {'median':>7} {'max':>7}  {'cpu':>5}  queries  in db (median)  statuses")
    for kind in [k.strip() for k in args.kinds.split(",") if k.strip()]:
        per_url, queries, in_db, cpu, statuses = [], [], [], [], set()
        for path in sampled[kind]:
            runs = [view(client, path, args.after) for _ in range(args.rounds + 1)][1:]
            per_url.append(statistics.median(r[0] for r in runs))
            queries.append(runs[-1][1])
            in_db.append(statistics.median(r[2] for r in runs))
            cpu.append(statistics.median(r[4] for r in runs))
            statuses |= {r[3] for r in runs}
        print(
            f"{kind:<14} {statistics.median(per_url):6.1f}  {max(per_url):6.1f}  {statistics.median(cpu):5.1f}  "
            f"{min(queries):>3}–{max(queries):<3}  {statistics.median(in_db):6.1f} ms      {sorted(statuses)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
