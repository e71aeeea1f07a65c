"""The CPU of each side of an import, a file at a time: the parsing side (what the forked parsing process
does, `_read_ahead` and pickling the result) and the importing side (`import_paths` given those readings,
unpickled as the importing process does), each the best of several rounds. On a shared machine the
best round says more about the code than one wall-clock run (BENCHMARKS.md, "Import speed: the parse").

    .venv/bin/python bench/import_sides.py DATA [--rounds 3] [--checkout OTHER]   # SQLite, a new file under /tmp
    DATABASE_URL=postgres://… .venv/bin/python bench/import_sides.py DATA         # an empty PostgreSQL database

DATA is `bench/generate.py --out DATA`: its runbooks/ and postmortems/ are imported, into a database
emptied before each round.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to measure (default: this one)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.import_rate import generated_files, read_ahead_of_checkout

    dirs, candidates = generated_files(args.data, args.checkout, "import-sides")
    from django.core.management import call_command

    from kb.documents import importing

    read_ahead = read_ahead_of_checkout()

    call_command("migrate", verbosity=0)
    parsing, blobs = [], []
    for _ in range(args.rounds):
        started = time.process_time()
        blobs = [pickle.dumps(read_ahead(candidate)) for candidate in candidates]
        parsing.append(time.process_time() - started)

    @contextlib.contextmanager
    def parsed_before(_candidates, *, batch_files=0, dry_run=False, vocabulary=None):
        yield map(pickle.loads, blobs)

    importing.readings = parsed_before
    writing, summary = [], ""
    for _ in range(args.rounds):
        call_command("flush", interactive=False, verbosity=0)
        started = time.process_time()
        summary = importing.import_paths(dirs).summary()
        writing.append(time.process_time() - started)
    per_file = [[round(s * 1000 / len(candidates), 2) for s in side] for side in (parsing, writing)]
    print(
        json.dumps(
            {
                "files": len(candidates),
                "summary": summary,
                "parsing_ms_a_file": min(per_file[0]),
                "importing_ms_a_file": min(per_file[1]),
                "rounds": per_file,
                "load_average": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
