"""Where a page's or an import's time goes in the database: its slowest queries and their count, on the
DATABASE_URL given.

    DATABASE_URL=sqlite:////tmp/kb-bench-scale.../kb_full.sqlite3 .venv/bin/python bench/scaling/queries.py /insights/ /
    DATABASE_URL=… .venv/bin/python bench/scaling/queries.py --import DIR   # an import of DIR (a file or a folder)

Run it under `py-spy record -- …` for the Python side. Prints, per page or import: its time, status, query
count and the slowest queries (time, and the SQL cut to 300 characters).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-queries-not-a-secret")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from kb.documents.importing import import_paths  # noqa: E402

SHOWN = 6
SQL_CHARS = int(os.environ.get("KB_SQL_CHARS", "300"))  # how much of each query is printed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="URL paths: /insights/ /search/?q=…")
    parser.add_argument("--import", dest="imports", action="append", default=[], help="a file or folder to import")
    args = parser.parse_args(argv)
    work = [(page, False) for page in args.pages or ["/insights/"]] + [(path, True) for path in args.imports]
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    for path, is_import in work:
        timings: dict[str, list[float]] = defaultdict(list)

        def timed(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings[sql].append(time.perf_counter() - started)

        started = time.perf_counter()
        with connection.execute_wrapper(timed):
            if is_import:
                status = import_paths([path]).summary()
            else:
                status = client.get(path).status_code
        total = time.perf_counter() - started
        in_db = sum(sum(t) for t in timings.values())
        count = sum(len(t) for t in timings.values())
        print(f"{path}: {total * 1000:.0f} ms, {status}, {count} queries, {in_db * 1000:.0f} ms in the database")
        for sql, times in sorted(timings.items(), key=lambda item: -sum(item[1]))[:SHOWN]:
            print(f"  {sum(times) * 1000:8.1f} ms ×{len(times):<4} {' '.join(sql.split())[:SQL_CHARS]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
