"""Where a search's time goes, on a database bench/scale.py kept (`--keep DIR`), over its QUERIES:

    DATABASE_URL=sqlite:///DIR/kb_full.sqlite3 python bench/scaling/search_sql.py
    DATABASE_URL=postgres://… python bench/scaling/search_sql.py --explain "billing queue lag"

For each query of a search, in order, the sum over QUERIES of its best time of 7 (the database's work,
steadier than a median on a shared machine), and the CPU time this process spent per `search()`
(all of SQLite's work, only the client's for PostgreSQL). `--explain` prints the plan of one search's
candidates query instead (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-search-sql-not-a-secret")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.scale import QUERIES  # noqa: E402
from kb.search import search  # noqa: E402

REPEATS = 7


def best_ms(cursor, sql: str) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        cursor.execute(sql)
        cursor.fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def explain(query: str) -> None:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        search(query=query)
    candidates = max(captured.captured_queries, key=lambda q: float(q["time"]))["sql"]
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    print(candidates.strip(), end="\n\n")
    with connection.cursor() as cursor:
        for _ in range(3):  # the last of three: warm caches
            cursor.execute(prefix + candidates)
            rows = cursor.fetchall()
    print("\n".join(str(row[-1]) for row in rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--explain", metavar="QUERY")
    args = parser.parse_args()
    if args.explain:
        explain(args.explain)
        return
    per_position: dict[int, list[float]] = {}
    cpu: list[float] = []
    for query in QUERIES:
        search(query=query)  # warm
        times = []
        for _ in range(3):  # the best of three, each answered anew (not from the answers search keeps)
            cache.clear()
            # What a worker keeps between searches (PostgreSQL: its most common words), read again.
            search(query="kept between searches")
            started = time.process_time()
            with CaptureQueriesContext(connection) as captured:
                search(query=query)
            times.append((time.process_time() - started) * 1000)
        cpu.append(min(times))
        with connection.cursor() as cursor:
            for position, executed in enumerate(captured.captured_queries):
                per_position.setdefault(position, []).append(best_ms(cursor, executed["sql"]))
    print(f"{connection.vendor}, {len(QUERIES)} searches")
    for position, times in per_position.items():
        print(f"  query {position + 1} of a search: {sum(times):7.1f} ms in all, worst {max(times):5.1f} ms")
    print(f"  database time per search: {sum(sum(t) for t in per_position.values()) / len(QUERIES):.1f} ms")
    print(f"  CPU of this process per search(): median {statistics.median(cpu):.1f}, worst {max(cpu):.1f} ms")


if __name__ == "__main__":
    main()
