"""The first view of runbooks (or post-mortems) never viewed, in process: what the scale benchmark's p95 of a
document page is made of (its views go round the sampled documents, so its slow tail is a first view: nothing
cached for that document version, in the worker nor, after a restart, in PostgreSQL's shared buffers).

    DATABASE_URL=… .venv/bin/python bench/scaling/first_views.py [--kind runbook] [--offset 0] [--count 30]
    DATABASE_URL=… .venv/bin/python bench/scaling/first_views.py --profile          # Python calls, where they go
    DATABASE_URL=… .venv/bin/python bench/scaling/first_views.py --includes         # CPU ms of each included template
    DATABASE_URL=… .venv/bin/python bench/scaling/first_views.py --html DIR         # each page, to compare
    DATABASE_URL=… .venv/bin/python bench/scaling/first_views.py --checkout OTHER   # another checkout's code
    DATABASE_URL=postgres://… .venv/bin/python bench/scaling/first_views.py --buffers  # PostgreSQL's pages touched

The documents are every `--every`th one (from `--offset`) of those with an alert (runbooks) or of all
post-mortems, in id order: a new `--offset` gives documents this database has not shown yet. One view of
another document first compiles the templates. Each view is timed with Django's test client, DEBUG off; the
queries by `execute_wrapper`; CPU is this process's time (what the view costs whatever else runs on the
machine). `--profile` counts the Python calls of each view (cProfile: the same whatever the load) and prints
the functions of most own time over all views; `--includes` the CPU time of each `{% include %}` and
`{% cache %}` fragment (nested ones counted in their parents too; with the queries it runs, but not their wait).
`--buffers` (PostgreSQL) counts the shared buffers the views touched, found or read (`pg_stat_database`'s
blks_hit + blks_read of the database, from another connection, before and after: the views' connection is
closed first, which sends its counts): whatever the load, and nothing else may use that database meanwhile.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def setup(checkout: Path) -> None:
    """Django for `checkout`'s code on DATABASE_URL, DEBUG off (bench/import_rate.py's `django_on`)."""
    sys.path.insert(0, str(ROOT))
    from bench.import_rate import django_on

    django_on(checkout, "first-views")
    import django

    django.setup()


def documents(kind: str, offset: int, every: int, count: int) -> tuple[list[str], str]:
    from kb.models import PostMortem, Runbook

    if kind == "runbook":
        found = Runbook.objects.filter(archived=False, alert__isnull=False)
    else:
        found = PostMortem.objects.filter(archived=False)
    slugs = list(found.order_by("pk").values_list("slug", flat=True))
    prefix = "/runbooks/" if kind == "runbook" else "/postmortems/"
    chosen = slugs[offset::every][:count]
    warm = next(slug for slug in slugs[offset + 1 :] if slug not in chosen)
    return [f"{prefix}{slug}/" for slug in chosen], f"{prefix}{warm}/"


def include_timings() -> dict[str, list[float]]:
    """Wraps the render of `{% include %}` and `{% cache %}` nodes to time each (CPU) by template or fragment name."""
    from django.template.loader_tags import IncludeNode
    from django.templatetags.cache import CacheNode

    spent: dict[str, list[float]] = collections.defaultdict(list)

    def timed(cls, name_of):
        original = cls.render

        def render(self, context):
            started = time.process_time()
            try:
                return original(self, context)
            finally:
                spent[name_of(self)].append((time.process_time() - started) * 1000)

        cls.render = render

    timed(IncludeNode, lambda node: f"include {getattr(node.template, 'var', node.template)}")
    timed(CacheNode, lambda node: f"cache {node.fragment_name}")
    return spent


def buffers_touched() -> int:
    """blks_hit + blks_read of this database so far, read by a connection of its own."""
    import psycopg
    from django.db import connection

    settings_dict = connection.settings_dict
    with psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or None,
        autocommit=True,
    ) as own:
        own.execute("SELECT pg_stat_clear_snapshot()")
        return own.execute(
            "SELECT blks_hit + blks_read FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]


TOKENS = re.compile(rb'(csrfmiddlewaretoken" value="|"X-CSRFToken": "|nonce=")[^"]*')


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=["runbook", "postmortem"], default="runbook")
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--every", type=int, default=331)
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to measure (default: this one)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--includes", action="store_true")
    parser.add_argument("--buffers", action="store_true", help="PostgreSQL: the shared buffers the views touched")
    parser.add_argument("--html", type=Path, help="write each page here, CSRF tokens and nonces left out")
    args = parser.parse_args(argv)
    setup(args.checkout)

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from bench.scaling.serving import summary

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    paths, warm = documents(args.kind, args.offset, args.every, args.count)
    client.get(warm)
    spent = include_timings() if args.includes else {}
    profiler, stats = args.profile, None
    calls: list[int] = []
    rows, per_query = [], collections.defaultdict(list)
    log: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            log.append(((time.perf_counter() - started) * 1000, sql))

    touched = buffers_touched() if args.buffers else 0
    for path in paths:
        log.clear()
        if profiler:
            one = cProfile.Profile()
            one.enable()
        started, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timed):
            response = client.get(path)
        ms, cpu_ms = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
        if profiler:
            one.disable()
            calls.append(pstats.Stats(one).total_calls)
            stats = pstats.Stats(one) if stats is None else stats.add(one)
        assert response.status_code == 200, (path, response.status_code)
        rows.append((ms, cpu_ms, len(log), sum(q for q, _ in log)))
        for q, sql in log:
            per_query[" ".join(sql.split())[:100]].append(q)
        if args.html:
            args.html.mkdir(parents=True, exist_ok=True)
            (args.html / (path.strip("/").replace("/", "_") + ".html")).write_bytes(
                TOKENS.sub(rb"\1", response.content)
            )

    if args.buffers:
        connection.close()
        time.sleep(1.5)
        touched = buffers_touched() - touched

    def line(values):
        figures = summary(list(values))
        return f"median {figures['median']:6.2f}  p95 {figures['p95']:6.2f}"

    if calls and os.environ.get("FIRST_VIEWS_CUMULATIVE"):
        stats.sort_stats("cumulative").print_stats(int(os.environ["FIRST_VIEWS_CUMULATIVE"]))
    print(f"{connection.vendor}, {len(paths)} {args.kind}s from {paths[0]}, load {os.getloadavg()[0]:.1f}")
    print(f"  view ms        {line(r[0] for r in rows)}")
    print(f"  CPU ms         {line(r[1] for r in rows)}")
    print(f"  queries        {min(r[2] for r in rows)}–{max(r[2] for r in rows)}")
    if args.buffers:
        print(
            f"  buffers        {touched / len(paths):,.0f} a view (found or read, the connection's catalog reads too)"
        )
    print(f"  in the db ms   {line(r[3] for r in rows)}")
    for sql, times in sorted(per_query.items(), key=lambda kv: -sum(kv[1]))[:8]:
        print(f"    {sum(times) / len(paths):5.2f} ms a view, ×{len(times)}: {sql}")
    if calls:
        print(f"  Python calls a view: median {statistics.median(calls):,.0f}, total {sum(calls):,}")
        areas: dict[str, float] = collections.defaultdict(float)
        for (filename, _, name), (_, _, own, _, _) in stats.stats.items():
            area = re.search(r"(django/(?:template|db|utils|http|core)|psycopg|/kb/|/bench/)", filename)
            areas[area.group(1) if area else ("built-ins" if filename == "~" else "other")] += own
        print(
            "  own time by area (ms a view, under cProfile): "
            + ", ".join(
                f"{area} {own * 1000 / len(paths):.1f}" for area, own in sorted(areas.items(), key=lambda kv: -kv[1])
            )
        )
        rows_by_own = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:25]
        for (filename, lineno, name), (_, ncalls, own, cumulative, _) in rows_by_own:
            where = f"{Path(filename).name}:{lineno} {name}"
            print(
                f"    own {own * 1000 / len(paths):6.2f} ms  cum {cumulative * 1000 / len(paths):6.2f}  ×{ncalls:<7} {where}"
            )
    for name, times in sorted(spent.items(), key=lambda kv: -sum(kv[1])):
        print(f"    {sum(times) / len(paths):6.2f} ms a view, ×{len(times)}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
