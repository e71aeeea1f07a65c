"""The CPU the PostgreSQL server's processes on this machine spend during a measured run, read from /proc: the
backend of one connection, and the others (autovacuum, the WAL writer, other connections), polled so that
processes which start and end during the run are counted too. An import's three processes share two cores: their
CPU summed and set against the cores' time says whether the import waits or the machine is full (BENCHMARKS.md,
"Round 16").

Only a server on this machine is seen; another connection's work on the same cluster counts among the others.
"""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path

POLL_SECONDS = 0.2
TICKS = os.sysconf("SC_CLK_TCK")


def backend_pid(connection) -> int | None:
    """The server process of a Django `connection` on PostgreSQL (what `ServerCpu` counts apart); None on another
    engine."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def processes_cpu() -> tuple[float, float]:
    """CPU seconds so far of this process (all its threads) and of its children waited for (an import's parsing
    process, once it has ended): a run's own is the difference of two readings."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def cores_busy(cpu_seconds: float, wall_seconds: float) -> float:
    """The share of this machine's cores that `cpu_seconds` (every process of a run, summed) kept busy over
    `wall_seconds`: near 1, the run is bound by the machine's CPU, not by one process waiting on another."""
    return cpu_seconds / ((os.cpu_count() or 1) * wall_seconds)


class ServerCpu:
    """`with ServerCpu(backend_pid) as cpu: …`, then `cpu.backend` and `cpu.others` in CPU seconds; None without a
    backend (SQLite: a PostgreSQL cluster running here is not the run's), or when no server process is seen here (a
    server on another machine)."""

    def __init__(self, backend_pid: int | None) -> None:
        self.backend_pid = backend_pid
        self.backend: float | None = None
        self.others: float | None = None
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._not_server: set[int] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll_until_done, daemon=True)

    def __enter__(self) -> ServerCpu:
        if self.backend_pid is None:
            return self
        # Those running already count from now; those started later, from their start.
        self._first = self._poll()
        self._last = dict(self._first)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.backend_pid is None:
            return
        self._done.set()
        self._thread.join()
        self._last.update(self._poll())
        if not self._last:
            return
        spent = {pid: cpu - self._first.get(pid, 0.0) for pid, cpu in self._last.items()}
        self.backend = spent.get(self.backend_pid, 0.0)
        self.others = sum(cpu for pid, cpu in spent.items() if pid != self.backend_pid)

    @property
    def spent(self) -> float:
        """The backend's CPU and the others', 0 for what was not measured."""
        return (self.backend or 0.0) + (self.others or 0.0)

    def _poll_until_done(self) -> None:
        while not self._done.wait(POLL_SECONDS):
            self._last.update(self._poll())

    def _poll(self) -> dict[int, float]:
        found = {}
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) in self._not_server:
                continue
            pid = int(name)
            try:
                if pid not in self._last and not Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"postgres"):
                    # Read once: a poll reads the server's processes' counters only (2 ms of this process's CPU a
                    # poll when it read every process's command line, a tenth of that now).
                    self._not_server.add(pid)
                    continue
                # The fields after the command's name (which may hold spaces): utime and stime are 14th and 15th.
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile, or not ours to read
            found[pid] = (int(fields[11]) + int(fields[12])) / TICKS
        return found
