"""A throwaway PostgreSQL cluster for the scale benchmark, started as `bin/test-all` starts one (initdb with
trust auth, loopback, a free port, fsync off; run as the postgres user when root), its new WAL files not
zero-filled, removed afterwards."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from bench.scaling.serving import free_port


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory with initdb, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in Path(p).parent.name.split(".")]
    )
    for directory in reversed(found):
        if os.access(Path(directory) / "initdb", os.X_OK):
            return Path(directory)
    return None


@contextmanager
def cluster(bin_dir: Path):
    """Yields a function giving the DATABASE_URL of a new, empty database of the cluster."""
    data = Path(tempfile.mkdtemp(prefix="kb-bench-pg."))
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "check": True}
    subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            f"{data}/data",
            "-U",
            "kb",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        **quiet,
    )
    # `wal_init_zero=off`: a new cluster has no WAL files to recycle, so its first import wrote each of the ~55 it
    # needs at 12,000 documents as 16 MB of zeros first, which a running server, recycling its own, does not do
    # again. Into a new cluster, 12,000 documents: 76.7-79.2 s with the zeros, 74.3-75.3 s without them; into one
    # that had run imports before, 72.3-72.8 s (BENCHMARKS.md, "Round 23").
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off -c synchronous_commit=off"
        " -c full_page_writes=off -c wal_init_zero=off"
    )
    subprocess.run(
        [*run_as, str(bin_dir / "pg_ctl"), "-D", f"{data}/data", "-l", f"{data}/log", "-w", "-o", options, "start"],
        **quiet,
    )
    names: list[str] = []

    def database(name: str) -> str:
        subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "kb", name], **quiet)
        names.append(name)
        return f"postgres://kb@127.0.0.1:{port}/{name}"

    def settled(url: str) -> None:
        """The database as autovacuum leaves it once it has caught up: `VACUUM (ANALYZE)` now, rather than by
        autovacuum during whatever is timed next (its naptime is a minute)."""
        subprocess.run([str(bin_dir / "vacuumdb"), "--analyze", "--quiet", "--dbname", url], **quiet)

    database.settled = settled  # type: ignore[attr-defined]
    database.version = subprocess.run(  # type: ignore[attr-defined]
        [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        yield database
    finally:
        subprocess.run(
            [*run_as, str(bin_dir / "pg_ctl"), "-D", f"{data}/data", "-m", "immediate", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        shutil.rmtree(data, ignore_errors=True)
