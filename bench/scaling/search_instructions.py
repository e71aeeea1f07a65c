"""The instructions a first search executes, per query of QUERIES and per statement, counted by valgrind:

    DATABASE_URL=sqlite:///DIR/kb_full.sqlite3 python bench/scaling/search_instructions.py [--rounds 2]

Wall and CPU times of a few milliseconds moved by ±30% between identical runs on the shared 2-core machine
(load average 2-4); instruction counts do not move with the load, so a change of 3% can be told from noise.
They leave out what the kernel does for the process (SQLite's reads of pages from the OS cache) and
cache misses: confirm a gain in time when the machine is quiet. Each query is asked ROUNDS times (never
from a kept answer, as `search_sql.py --whole` does); the last round is counted. Columns: the whole search,
then each statement with the Python that follows it up to the next one (stamp, term counts, candidates,
snippets: the ranking is in the candidates' column, building the hits in the snippets'). Needs valgrind;
takes about a minute.

`--worker THREADS` (with `--rounds 1`): the queries asked in turn on THREADS threads, each with its connection
(gunicorn's gthread worker, 2 threads: one client asking in turn meets both), each thread first doing what a
worker's thread does at its start (deploy/gunicorn.conf.py's `post_worker_init`: `kb.search.search_warm` of its
WARM_QUERY, or, in a checkout without it, one search of WARM_QUERY): each query counted as a new worker's first
searches pay it.
`--checkout DIR`: another checkout's code (before/after), on the same database.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.scale import QUERIES  # noqa: E402

MARK_BELOW = 30_000  # a part with fewer instructions lies between two markers (os.getppid() calls)


def inner(rounds: int, worker: int) -> None:
    """Under valgrind: os.getppid() twice between searches and once before each statement of the last round,
    so that callgrind (--dump-before=getppid) writes a part for each."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-search-instructions-not-a-secret")
    import django

    django.setup()
    from django.db import connection

    from kb.search import search

    def marked(execute, sql, params, many, context):
        os.getppid()
        return execute(sql, params, many, context)

    from concurrent.futures import ThreadPoolExecutor

    # Each search on the thread a gunicorn worker would give it: its threads in turn, each with its own connection.
    threads = [ThreadPoolExecutor(max_workers=1) for _ in range(worker or 1)]

    def on(n: int, work) -> None:
        threads[n % len(threads)].submit(work).result()

    def marked_search(query: str) -> None:
        with connection.execute_wrapper(marked):
            search(query=query)

    if worker:
        import runpy

        warm_query = runpy.run_path("deploy/gunicorn.conf.py")["WARM_QUERY"]
        try:
            from kb.search import search_warm
        except ImportError:
            search_warm = None
        for n in range(worker):
            on(n, lambda: search_warm(query=warm_query) if search_warm else search(query=warm_query))
    else:
        search(query="kept between searches")
    for spaces in range(1, rounds + 1):
        for n, query in enumerate(QUERIES):
            os.getppid()
            os.getppid()
            if spaces < rounds:
                on(n, lambda q=" " * spaces + query: search(query=q))
                continue
            on(n, lambda q=" " * spaces + query: marked_search(q))
    os.getppid()
    os.getppid()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--worker", type=int, default=0, metavar="THREADS", help="searches on a worker's threads")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to measure (default: this one)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        sys.path.insert(0, str(Path.cwd()))
        inner(args.rounds, args.worker)
        return
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={directory}/cg.%p",
                "--dump-before=getppid",
                sys.executable,
                str(Path(__file__).resolve()),
                "--inner",
                "--rounds",
                str(args.rounds),
                *(["--worker", str(args.worker)] if args.worker else []),
            ],
            cwd=args.checkout.resolve(),
            env={**os.environ, "PYTHONHASHSEED": "0"},
            capture_output=True,
            check=True,
        )
        files = sorted(Path(directory).glob("cg.*.*"), key=lambda f: int(f.suffix[1:]))
        parts = [int(re.search(r"^(?:summary|totals): (\d+)", f.read_text(), re.M).group(1)) for f in files]
    searches, current = [], []
    for part in parts:
        if part < MARK_BELOW:
            if current:
                searches.append(current)
            current = []
        else:
            current.append(part)
    last_round = [s for s in searches if len(s) > 1][-len(QUERIES) :]
    print("millions of instructions per first search: whole, then each statement with the Python after it")
    for query, statements in zip(QUERIES, last_round, strict=True):
        print(f"  {sum(statements) / 1e6:6.1f}  " + " ".join(f"{s / 1e6:5.1f}" for s in statements) + f"  {query}")
    totals = [sum(s) for s in last_round]
    print(f"  sum {sum(totals) / 1e6:.0f}, median {statistics.median(totals) / 1e6:.1f}, worst {max(totals) / 1e6:.1f}")


if __name__ == "__main__":
    main()
