"""Where a search's time goes, on a database bench/scale.py kept (`--keep DIR`), over its QUERIES:

    DATABASE_URL=sqlite:///DIR/kb_full.sqlite3 python bench/scaling/search_sql.py
    DATABASE_URL=postgres://… python bench/scaling/search_sql.py --explain "billing queue lag"

For each query of a search, in order, the sum over QUERIES of its best time of 7 (the database's work,
steadier than a median on a shared machine), and the CPU time this process spent per `search()`
(all of SQLite's work, only the client's for PostgreSQL); then the median and p95 over QUERIES of a
search's database time and, on a PostgreSQL server of this machine, of the CPU its backend spent on a
search's queries (mean of 7 runs; the load of other processes moves it less than it moves wall time). `--explain` prints the plan of one search's
candidates query instead (EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite).

`--whole ROUNDS` times whole searches instead, as a worker answers a query asked the first time: each of
QUERIES searched ROUNDS times, never from a kept answer (each asking has leading spaces of its own, which
change the answer's key and nothing else), while what a worker keeps between searches (the index's row count,
PostgreSQL's common words) stays kept; the median and p95 over QUERIES of each query's median wall time, CPU
of this process and, on a PostgreSQL server of this machine, CPU of its backend during the search.

`--pages COPY_URL` (PostgreSQL): the pages the statements of the 19 first searches (the first query is the
warm-up) read from outside shared buffers, and the buffers they touch, by statement, after COPY_URL (a copy of the
database in the same cluster, only read) pushed the database's pages out as bench/scale.py's writes do; then the
same warm. `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF)`.
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


_backend: dict = {}


def backend_cpu_ms() -> float | None:
    """The CPU time the connection's PostgreSQL backend has spent (its /proc schedstat), when it is readable."""
    if connection.vendor != "postgresql":
        return None
    if _backend.get("connection") is not connection.connection:  # asked once per connection, not inside a timing
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            _backend.update(connection=connection.connection, pid=cursor.fetchone()[0])
    pid = _backend["pid"]
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e6
    except OSError:
        return None


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


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


def pages(copy_url: str) -> None:
    import psycopg

    from bench.scaling.first_search import EVICT_SQL

    search(query="kept between searches")
    statements = []
    for query in QUERIES[1:]:
        with CaptureQueriesContext(connection) as captured:
            search(query=query)
        statements += [executed["sql"] for executed in captured.captured_queries]
    for state in ("cold", "warm"):
        if state == "cold":
            with psycopg.connect(copy_url.replace("postgres://", "postgresql://", 1), autocommit=True) as other:
                other.execute(EVICT_SQL)
        figures: dict[str, list[float]] = {}
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) " + sql)
                plan = cursor.fetchone()[0][0]
                kind = next(k for k, mark in STATEMENTS if mark in sql)
                read, hit, ms = figures.setdefault(kind, [0, 0, 0.0])
                figures[kind] = [
                    read + plan["Plan"].get("Shared Read Blocks", 0),
                    hit + plan["Plan"].get("Shared Hit Blocks", 0),
                    ms + plan["Execution Time"],
                ]
        print(f"{state}, {len(QUERIES) - 1} first searches:")
        for kind, (read, hit, ms) in figures.items():
            print(f"  {kind}: {read} pages read, {hit} buffers hit, executed in {ms:.1f} ms")


# How pages() names a search's statements (the first mark found in its text).
STATEMENTS = (("stamp", "MAX(id)"), ("counts", "WITH common"), ("candidates", "WITH q AS"), ("snippets", "ts_headline"))


def whole(rounds: int) -> None:
    search(query="kept between searches")  # what a worker keeps, kept; its connection opened
    wall: dict[str, list[float]] = {query: [] for query in QUERIES}
    cpu: dict[str, list[float]] = {query: [] for query in QUERIES}
    backend: dict[str, list[float]] = {query: [] for query in QUERIES}
    for spaces in range(1, rounds + 1):
        for query in QUERIES:
            started_backend = backend_cpu_ms()
            started, started_cpu = time.perf_counter(), time.process_time()
            search(query=" " * spaces + query)
            wall[query].append((time.perf_counter() - started) * 1000)
            cpu[query].append((time.process_time() - started_cpu) * 1000)
            if started_backend is not None:
                backend[query].append(backend_cpu_ms() - started_backend)
    print(f"{connection.vendor}, {len(QUERIES)} searches asked the first time, {rounds} rounds")
    for name, figures in (("wall time", wall), ("CPU of this process", cpu), ("backend CPU", backend)):
        medians = [statistics.median(times) for times in figures.values() if times]
        if medians:
            print(f"  {name} per search: median {statistics.median(medians):.1f}, p95 {p95(medians):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--explain", metavar="QUERY")
    parser.add_argument("--whole", metavar="ROUNDS", type=int)
    parser.add_argument("--pages", metavar="COPY_URL")
    args = parser.parse_args()
    if args.pages:
        pages(args.pages)
        return
    if args.explain:
        explain(args.explain)
        return
    if args.whole:
        whole(args.whole)
        return
    per_position: dict[int, list[float]] = {}
    cpu: list[float] = []
    per_search: list[float] = []
    backend: list[float] = []
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
            times = [best_ms(cursor, executed["sql"]) for executed in captured.captured_queries]
            started = backend_cpu_ms()
            for _ in range(REPEATS):
                for executed in captured.captured_queries:
                    cursor.execute(executed["sql"])
                    cursor.fetchall()
            if started is not None:
                backend.append((backend_cpu_ms() - started) / REPEATS)
        for position, taken in enumerate(times):
            per_position.setdefault(position, []).append(taken)
        per_search.append(sum(times))
    print(f"{connection.vendor}, {len(QUERIES)} searches")
    for position, times in per_position.items():
        print(f"  query {position + 1} of a search: {sum(times):7.1f} ms in all, worst {max(times):5.1f} ms")
    print(f"  database time per search: {sum(sum(t) for t in per_position.values()) / len(QUERIES):.1f} ms")
    print(
        f"  CPU of this process per search(): median {statistics.median(cpu):.1f}, p95 {p95(cpu):.1f},"
        f" worst {max(cpu):.1f} ms"
    )
    print(f"  database time per search: median {statistics.median(per_search):.1f}, p95 {p95(per_search):.1f} ms")
    if backend:
        print(f"  backend CPU per search: median {statistics.median(backend):.1f}, p95 {p95(backend):.1f} ms")


if __name__ == "__main__":
    main()
