"""The import alone, in CPU seconds as well as wall time: on a shared machine the wall clock says more
about the neighbours than about the import (BENCHMARKS.md, "Import speed: batches").

    .venv/bin/python bench/import_rate.py DATA                      # SQLite, a new file under /tmp
    DATABASE_URL=postgres://… .venv/bin/python bench/import_rate.py DATA   # an empty PostgreSQL database
    .venv/bin/python bench/import_rate.py DATA --checkout OTHER     # another checkout's code (before/after)

DATA is `bench/generate.py --out DATA`: its runbooks/ and postmortems/ are imported in this process with
`import_paths`; printed: wall seconds, CPU of this process and of its children (the parsing process), on
PostgreSQL (a server on this machine) the CPU of the import's backend and of the server's other processes
(`bench.common.server_cpu`), the share of the machine's cores all of them kept busy, and Python-Markdown alone
over the same files (`bench/scale.py`'s floor), before and after the import.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def django_on(checkout: Path, name: str) -> None:
    """Settings for `checkout`'s code, run from it: DATABASE_URL, or a new SQLite file under /tmp; DEBUG off.
    `django.setup()` is the caller's, once its own imports are made."""
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix=f'kb-{name}.')}/kb.sqlite3"
    os.environ.update(DJANGO_SECRET_KEY=f"bench-{name}", DJANGO_DEBUG="False", DJANGO_LOG_LEVEL="WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(checkout.resolve()))
    os.chdir(checkout)


def read_ahead_of_checkout():
    """What the checkout's parsing process computes for a file (`_read_ahead`): in kb.documents.reading from round 13
    of issue #12 on, in kb.documents.importing before. Django is set up."""
    from kb.documents import importing

    return getattr(importing, "_read_ahead", None) or importlib.import_module("kb.documents.reading")._read_ahead


def generated_files(data: Path, checkout: Path, name: str) -> tuple[list[str], list]:
    """Django set up for `checkout`'s code (`django_on`), and the folders of DATA (`bench/generate.py --out
    DATA`) an import reads with the files `importing.find_files` finds there, as that code finds them."""
    django_on(checkout, name)
    import django

    django.setup()
    from kb.documents import importing

    dirs = [str(data / "runbooks"), str(data / "postmortems")]
    return dirs, importing.find_files(dirs, importing.ImportReport())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to measure (default: this one)")
    args = parser.parse_args()
    dirs = [str(args.data / "runbooks"), str(args.data / "postmortems")]
    files = [p for d in dirs for p in sorted(Path(d).rglob("*.md"))]
    django_on(args.checkout, "import-rate")

    sys.path.insert(1, str(ROOT))
    import django

    from bench.common.server_cpu import ServerCpu, backend_pid, cores_busy, processes_cpu
    from bench.scale import markdown_floor

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from kb.documents.importing import import_paths

    call_command("migrate", verbosity=0)
    floor_before = markdown_floor(files)
    with ServerCpu(backend_pid(connection)) as server:
        started, before = time.perf_counter(), processes_cpu()
        report = import_paths(dirs)
        wall = time.perf_counter() - started
        cpu, parsing = (after - then for after, then in zip(processes_cpu(), before, strict=True))
    floor_after = markdown_floor(files)
    print(
        json.dumps(
            {
                "files": len(files),
                "summary": report.summary(),
                "wall_s": round(wall, 2),
                "documents_per_s": round(len(files) / wall, 1),
                "cpu_s": round(cpu, 2),
                "documents_per_cpu_s": round(len(files) / cpu, 1),
                "parsing_process_cpu_s": round(parsing, 2),
                "server_backend_cpu_s": _rounded(server.backend),
                "server_other_cpu_s": _rounded(server.others),
                "cores_busy": round(cores_busy(cpu + parsing + server.spent, wall), 2),
                "markdown_floor_per_s": [round(floor_before), round(floor_after)],
                "load_average": round(os.getloadavg()[0], 1),
            }
        )
    )


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 2)


if __name__ == "__main__":
    main()
