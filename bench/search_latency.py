"""Search latency on the current DATABASE_URL, against a plain `icontains` scan in the same run.

    .venv/bin/python bench/search_latency.py [--repeat 15] [--append BENCHMARKS.md]

Imports the seeds and the shared corpus (runbooks and post-mortems) into a throwaway test database
(created and dropped here, like the tests do), then times every query of tests/search/search_queries.yaml
through `kb.search.ranking.search()` and through the baseline: documents whose source text contains any of
the query's words (`icontains`, OR-ed), newest first, 20 of them. Reports the median and p95 per
query and overall, and search's time as a ratio of the baseline's.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "True")

import django  # noqa: E402

django.setup()

import yaml  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402

from kb.models import Document  # noqa: E402
from kb.search import search  # noqa: E402

LIMIT = 20


def baseline(query: str) -> list:
    words = [w for w in query.split() if w]
    match = Q()
    for word in words:
        match |= Q(source_text__icontains=word)
    return list(
        Document.objects.filter(archived=False)
        .filter(match)
        .order_by("-updated_at")
        .values_list("title", flat=True)[:LIMIT]
    )


def timed(function, query: str, repeat: int) -> list[float]:
    function(query)  # warm: the first call pays for caches, not for the search
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function(query)
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed runs per query (after one warm-up)")
    parser.add_argument("--append", type=Path, help="append the markdown results to this file")
    args = parser.parse_args()

    queries = [q["query"] for q in yaml.safe_load((ROOT / "tests" / "search" / "search_queries.yaml").read_text())]
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        paths = [SHARED / "seeds", SHARED / "corpus" / "runbooks", SHARED / "corpus" / "postmortems"]
        call_command("import_docs", *map(str, paths), stdout=StringIO(), stderr=StringIO())
        documents = Document.objects.count()
        rows = []
        for query in queries:
            ours, theirs = (
                timed(lambda q: search(query=q, limit=LIMIT), query, args.repeat),
                timed(baseline, query, args.repeat),
            )
            rows.append(
                (query, statistics.median(ours), p95(ours), statistics.median(theirs), p95(theirs), ours, theirs)
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    all_ours = [t for row in rows for t in row[5]]
    all_theirs = [t for row in rows for t in row[6]]
    engine = f"{connection.vendor} {'.'.join(map(str, connection.Database.sqlite_version_info)) if connection.vendor == 'sqlite' else connection.pg_version}"
    lines = [
        f"## Search latency — {engine}, {documents} documents, {len(queries)} queries × {args.repeat} runs",
        "",
        f"`{' '.join(['bench/search_latency.py', *sys.argv[1:]])}` on {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores shared. Baseline: OR-ed `icontains` over `Document.source_text`, 20 newest.",
        "",
        "| | search median | search p95 | baseline median | baseline p95 | ratio (median) |",
        "|---|---:|---:|---:|---:|---:|",
        f"| all queries | {statistics.median(all_ours):.2f} ms | {p95(all_ours):.2f} ms | {statistics.median(all_theirs):.2f} ms "
        f"| {p95(all_theirs):.2f} ms | {statistics.median(all_ours) / statistics.median(all_theirs):.1f}× |",
        "",
        "<details><summary>per query (median / p95, ms)</summary>",
        "",
        "| query | search | baseline |",
        "|---|---:|---:|",
        *(f"| {q} | {m:.2f} / {p:.2f} | {bm:.2f} / {bp:.2f} |" for q, m, p, bm, bp, _, _ in rows),
        "",
        "</details>",
        "",
    ]
    print("\n".join(lines))
    if args.append:
        with args.append.open("a") as out:
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
