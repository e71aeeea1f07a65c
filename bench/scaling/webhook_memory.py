"""What a long-lived process keeps after Alertmanager groups of many sizes, and what one group of 1,000 alerts takes:

    .venv/bin/python bench/scaling/webhook_memory.py [--checkout OTHER]   # SQLite, a throwaway database

Posts 100 groups of 999 down to 900 alerts (each size once) to POST /api/alertmanager/ in process, as a gunicorn
worker would receive them over its life, and prints the growth of the process's resident memory (now, not its peak)
after every 20. Then posts 12 groups of 1,000 alerts (their keys stored already from the third on) and prints the
median and the fastest. SQLite's driver keeps every statement it compiles for the connection's life, so a statement
whose text changes with a list's length grows the process with each length (BENCHMARKS.md, "Round 28").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def resident_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to measure (default: this one)")
    args = parser.parse_args()
    os.chdir(args.checkout)
    sys.path.insert(0, str(args.checkout))
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    import bench.alertmanager_webhook as webhook  # sets Django up for the checkout

    setup_test_environment()
    settings.KB_ALERTMANAGER_TOKEN = webhook.TOKEN
    connection.settings_dict["TEST"]["NAME"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        client = Client()
        webhook.post(client, webhook.body(webhook.group(10, 0)))
        start, growth = resident_mb(), []
        for run, size in enumerate(range(999, 899, -1), start=1):
            webhook.post(client, webhook.body(webhook.group(size, run)))
            if run % 20 == 0:
                growth.append(round(resident_mb() - start))
        taken = []
        for run in range(12):
            data = webhook.body(webhook.group(1000, 1000 + run % 3))
            began = time.perf_counter()
            webhook.post(client, data)
            taken.append((time.perf_counter() - began) * 1000)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"{args.checkout.name}: growth after 20/40/60/80/100 groups of different sizes: {growth} MB")
    print(
        f"{args.checkout.name}: a 1,000-alert group: median {statistics.median(taken):.0f} ms, fastest {min(taken):.0f} ms"
    )


if __name__ == "__main__":
    main()
