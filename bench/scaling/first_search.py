"""The first-asking row of bench/scale.py's `/api/search` on a database it kept, and where its time goes:

    DATABASE_URL=postgres://…/kb_full python bench/scaling/first_search.py --rounds 4
    DATABASE_URL=postgres://…/kb_full python bench/scaling/first_search.py --rounds 4 --cold postgres://…/kb_copy
    DATABASE_URL=sqlite:////tmp/copy/kb_full.sqlite3 python bench/scaling/first_search.py --rounds 4

Each round starts gunicorn as deployed (serving.gunicorn: 2 workers, DEBUG off), asks the bench's first query
(the warm-up) then the 19 others once each on one keep-alive connection, as bench/scale.py does, and prints
their median and p95 with the CPU the worker (all its threads) and the PostgreSQL backends spent per request,
then the same 19 asked again (answers kept) and the login page, the floor of any request.

`--cold URL`: before every other round (the first, third…), read URL's search index through its primary key,
which pushes the measured database's pages out of PostgreSQL's shared buffers, as the writes before bench/scale.py's
search rows do (URL: a copy of the database in the same cluster, `createdb -T`; it is only read). PostgreSQL only.

On SQLite (DATABASE_URL=sqlite:///…) there is no backend: the worker's CPU is the whole of a search's work, and
beside it the time its threads waited for a core (the run queue, /proc/…/schedstat): on the shared 2-core machine
that wait, not the CPU, made a first search's p95 move from one round to the next. The slowest three are named.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.scale import QUERIES, base_env  # noqa: E402
from bench.scaling import serving  # noqa: E402

EVICT_SQL = (
    "SET enable_seqscan = off; SET enable_bitmapscan = off; SELECT sum(length(body)) FROM kb_searchentry WHERE id > 0"
)


def cpu_ms(pid: int) -> float:
    """CPU time of a process, all its threads (gunicorn's gthread workers answer in a pool thread)."""
    return sum(cpu for cpu, _ in threads_ms([pid]).values())


def threads_ms(pids: list[int]) -> dict[str, tuple[float, float]]:
    """Per thread of these processes: its CPU time and the time it waited in the run queue for a core (ms)."""
    found = {}
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                cpu, waited = (int(v) / 1e6 for v in (task / "schedstat").read_text().split()[:2])
            except OSError:
                continue
            found[f"{pid}/{task.name}"] = (cpu, waited)
    return found


def on_sqlite(port: int, queries: list[str], conn, workers: list[int]) -> tuple[dict, dict, list[tuple]]:
    """Each query asked once: the summaries of the times taken and of the workers' CPU a request, and the slowest
    three as (ms taken, CPU ms, ms the thread that answered waited for a core, query)."""
    rows = []
    for query in queries:
        before = threads_ms(workers)
        taken = serving.get(port, f"/api/search?q={quote_plus(query)}", conn)[1] * 1000
        spent = [
            (cpu - before.get(tid, (0.0, 0.0))[0], waited - before.get(tid, (0.0, 0.0))[1])
            for tid, (cpu, waited) in threads_ms(workers).items()
        ]
        rows.append((taken, sum(cpu for cpu, _ in spent), max(spent)[1], query))
    return serving.summary([r[0] for r in rows]), serving.summary([r[1] for r in rows]), sorted(rows)[-3:][::-1]


def per_request(port: int, paths: list[str], conn, workers: list[int], monitor) -> tuple[dict, float, float]:
    """Median and p95 (ms) of `paths` asked in turn, and the CPU (ms) the workers and the backends spent a request.
    A backend that a worker's thread opened during the requests counts whole: its thread's first request waited for
    it (gunicorn starts a worker's second thread when a request arrives before the first is free again)."""
    backends = client_backends(monitor)
    before = {pid: cpu_ms(pid) for pid in workers + backends}
    taken = [serving.get(port, path, conn)[1] * 1000 for path in paths]
    spent = {pid: (cpu_ms(pid) - before.get(pid, 0.0)) / len(paths) for pid in workers + client_backends(monitor)}
    return serving.summary(taken), sum(spent[p] for p in workers), sum(v for p, v in spent.items() if p not in workers)


def client_backends(monitor) -> list[int]:
    sql = "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
    return [row[0] for row in monitor.execute(sql)]


@contextmanager
def warmed(url: str, warm_up: str, log: Path) -> Iterator[tuple[int, http.client.HTTPConnection, list[int]]]:
    """gunicorn as deployed on `url`'s database, asked `warm_up` once on a keep-alive connection (this worker's
    database connection opened, what it keeps read), as bench/scale.py does: its port, that connection, its workers."""
    with serving.gunicorn(base_env(url), log / "gunicorn.log") as (port, master):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=serving.REQUEST_TIMEOUT_S)
        try:
            serving.get(port, warm_up, conn)
            yield port, conn, sorted(serving._tree(master) - {master})
        finally:
            conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--cold", metavar="URL")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    paths = [f"/api/search?q={quote_plus(q)}" for q in QUERIES]
    log = Path("/tmp/kb-first-search")
    log.mkdir(exist_ok=True)
    if url.startswith("sqlite:"):
        if args.cold:
            parser.error("--cold is for PostgreSQL's shared buffers")
        for _ in range(args.rounds):
            sqlite_round(url, paths[0], QUERIES[1:], log)
        return
    monitor = psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)
    for n in range(args.rounds):
        cold = bool(args.cold) and n % 2 == 0
        if cold:
            with psycopg.connect(args.cold.replace("postgres://", "postgresql://", 1), autocommit=True) as other:
                other.execute(EVICT_SQL)
        with warmed(url, paths[0], log) as (port, conn, workers):
            first, first_worker, first_backend = per_request(port, paths[1:], conn, workers, monitor)
            kept, kept_worker, kept_backend = per_request(port, paths[1:], conn, workers, monitor)
            login, _, _ = per_request(port, ["/accounts/login/"] * 19, conn, workers, monitor)
        print(
            f"round {n} ({'cold' if cold else 'warm'} shared buffers, load {os.getloadavg()[0]:.1f}):"
            f" first asking median {first['median']:.1f}, p95 {first['p95']:.1f} ms,"
            f" CPU a request: worker {first_worker:.1f}, PostgreSQL {first_backend:.1f} ms;"
            f" asked again {kept['median']:.1f} / {kept['p95']:.1f} ms, CPU {kept_worker:.1f} + {kept_backend:.1f};"
            f" login {login['median']:.1f} / {login['p95']:.1f} ms",
            flush=True,
        )


def sqlite_round(url: str, warm_up: str, queries: list[str], log: Path) -> None:
    with warmed(url, warm_up, log) as (port, conn, workers):
        first, cpu, slowest = on_sqlite(port, queries, conn, workers)
    print(
        f"load {os.getloadavg()[0]:.1f}: first asking median {first['median']:.1f}, p95 {first['p95']:.1f} ms;"
        f" worker CPU a request median {cpu['median']:.1f}, p95 {cpu['p95']:.1f} ms; slowest (ms taken / CPU / run"
        " queue): " + ", ".join(f"{q} {t:.1f} / {c:.1f} / {w:.1f}" for t, c, w, q in slowest),
        flush=True,
    )


if __name__ == "__main__":
    main()
