"""bench/common/server_cpu.py: the CPU a PostgreSQL server on this machine spends during a run, the backend of the
import's connection apart from the server's other processes (bench/import_rate.py's `cores_busy`)."""

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from bench.common.server_cpu import ServerCpu, backend_pid

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL server's processes"),
    pytest.mark.django_db,
]

# About half a second of a backend's CPU here.
BUSY = "SELECT count(*) FROM generate_series(1, 5000000)"


def busy() -> None:
    with connection.cursor() as cursor:
        cursor.execute(BUSY)


def test_it_counts_what_the_backend_spends_inside_the_run_only():
    pid = backend_pid(connection)
    with ServerCpu(pid) as idle:
        pass
    if idle.backend is None:
        pytest.skip("the server runs on another machine: its processes are not in /proc")
    with ServerCpu(pid) as before:
        busy()
        busy()
        busy()
    with ServerCpu(pid) as run:
        busy()
    assert idle.backend < 0.05
    # Not a bound of this machine's speed: three times the work before the run would be counted in it otherwise, and
    # one statement's CPU moves by a third at most from one to the next here.
    assert 0.1 < run.backend < before.backend
    # The backend's work is not counted again among the others.
    assert run.others < run.backend
    assert run.spent == run.backend + run.others


def test_a_run_without_a_backend_counts_no_server():
    # SQLite's run: a PostgreSQL cluster on the same machine is not its server.
    with ServerCpu(None) as run:
        busy()
    assert (run.backend, run.others) == (None, None)


def test_it_counts_a_server_process_that_starts_and_ends_during_the_run():
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with ServerCpu(backend_pid(connection)) as run:
            with other.cursor() as cursor:  # a backend of its own, started now
                cursor.execute(BUSY)
            other.close()  # and gone before the run ends
    finally:
        other.close()
    if run.others is None:
        pytest.skip("the server runs on another machine: its processes are not in /proc")
    assert run.others > 0.1
    assert run.backend < 0.05
