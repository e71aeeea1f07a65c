"""PostgreSQL stopped and started again under load (as an upgrade or a failover does), with gunicorn as
deployed in front: while it is down every request that needs it answers 503 with Retry-After (never the 500
page, never a traceback) and /readyz says not ready; once it is back the app answers again by itself; and
Alertmanager, which retries a delivery answered 5xx or not answered, loses no incident. The cluster is the
test's own (initdb in a temporary folder), since the suite's server must not restart under other tests."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.security.load_support import (
    Answer,
    deliver,
    delivery,
    free_port,
    gunicorn,
    manage,
    on_postgresql,
    request,
    server_environment,
)

pytestmark = pytest.mark.skipif(
    not on_postgresql(),
    reason="PostgreSQL's restart: run in the PostgreSQL pass (SQLite's fault is in test_mixed_load)",
)

ALERTS_PER_DELIVERY = 20
STEADY_S, DOWN_S, AFTER_S = 2.0, 3.0, 3.0
# A request that started just before the database came back may still see it gone.
GRACE_S = 1.0
REPLAY_DEADLINE_S = 60.0


@dataclass
class Cluster:
    folder: Path
    port: int
    pg_ctl: list[str]

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c synchronous_commit=off"
        )
        self._ctl("-l", str(self.folder / "log"), "-w", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "stop")

    def _ctl(self, *args: str) -> None:
        subprocess.run([*self.pg_ctl, *args], check=True, capture_output=True, timeout=60)


@contextmanager
def own_cluster():
    """A throwaway PostgreSQL on a loopback port, as bin/test-all starts one; stopped and removed after."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3]))
    if not found:
        pytest.skip("PostgreSQL's server binaries are not installed (apt-get install postgresql)")
    bin_dir = Path(found[-1]).parent
    # Not under pytest's tmp_path: the postgres user cannot enter root's 0700 folders.
    folder = Path(tempfile.mkdtemp(prefix="kb-pg-restart."))
    run_as = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(
        [*run_as, bin_dir / "initdb", "-D", folder / "data", "-U", "kb", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    cluster = Cluster(folder, port, [*run_as, str(bin_dir / "pg_ctl"), "-D", str(folder / "data")])
    try:
        cluster.start()
        yield cluster
    finally:
        subprocess.run([*cluster.pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Outcome:
    what: str
    started: float
    finished: float
    answer: Answer | None  # None: no answer (connection refused or dropped)


class Traffic:
    """Alertmanager's deliveries and a reader's pages and probes, sent until `stop` is set."""

    def __init__(self, port: int):
        self.port = port
        self.stop = threading.Event()
        self.outcomes: list[Outcome] = []
        self.deliveries: list[tuple[list[str], Outcome]] = []
        self.lock = threading.Lock()

    def _send(self, what: str, call) -> Outcome:
        started = time.monotonic()
        try:
            answer = call()
        except OSError:
            answer = None
        outcome = Outcome(what, started, time.monotonic(), answer)
        with self.lock:
            self.outcomes.append(outcome)
        return outcome

    def alertmanager(self) -> None:
        n = 0
        while not self.stop.is_set():
            fingerprints = [f"restart{n:05d}{i:04d}" for i in range(ALERTS_PER_DELIVERY)]
            n += 1
            outcome = self._send("webhook", lambda: deliver(self.port, delivery(fingerprints), timeout=30))
            self.deliveries.append((fingerprints, outcome))
            if outcome.answer is None or outcome.answer.status >= 300:
                self.stop.wait(0.5)  # Alertmanager waits before its next try, too

    def reader(self) -> None:
        while not self.stop.is_set():
            for path in ("/runbooks/", "/readyz", "/api/runbooks", "/incidents/"):
                self._send(path, lambda: request(self.port, "GET", path, timeout=30))
            time.sleep(0.05)


def replay_until_accepted(port: int, fingerprints: list[str]) -> int:
    """Alertmanager's retries: the same body again until a 2xx; the number of tries."""
    deadline = time.monotonic() + REPLAY_DEADLINE_S
    tries = 0
    while time.monotonic() < deadline:
        tries += 1
        try:
            if deliver(port, delivery(fingerprints), timeout=30).status < 300:
                return tries
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"a delivery was still refused {REPLAY_DEADLINE_S} s after the database came back")


def test_a_postgresql_restart_answers_503_while_down_recovers_and_loses_no_incident(tmp_path):
    import psycopg

    with own_cluster() as cluster:
        database_url = f"postgres://kb@127.0.0.1:{cluster.port}/postgres"
        env = server_environment(database_url, tmp_path, free_port())
        migrated = manage(env, "migrate", "--no-input")
        assert migrated.returncode == 0, migrated.stderr
        with gunicorn(env, tmp_path / "server.log") as server:
            traffic = Traffic(server.port)
            threads = [threading.Thread(target=traffic.alertmanager), threading.Thread(target=traffic.reader)]
            for thread in threads:
                thread.start()
            try:
                time.sleep(STEADY_S)
                down_from = time.monotonic()
                cluster.stop()
                time.sleep(DOWN_S)
                cluster.start()
                down_until = time.monotonic()
                time.sleep(AFTER_S)
            finally:
                traffic.stop.set()
                for thread in threads:
                    thread.join(timeout=60)
            refused = [f for f, outcome in traffic.deliveries if outcome.answer is None or outcome.answer.status >= 300]
            replays = sum(replay_until_accepted(server.port, fingerprints) for fingerprints in refused)
            log = server.log_text()

        with psycopg.connect(database_url) as connection:
            stored = dict(
                connection.execute(
                    "SELECT fingerprint, count(*) FROM kb_incident WHERE fingerprint LIKE 'restart%' GROUP BY 1"
                ).fetchall()
            )

    sent = [fp for fingerprints, _ in traffic.deliveries for fp in fingerprints]
    overlapping = [o for o in traffic.outcomes if o.finished >= down_from and o.started <= down_until + GRACE_S]
    before = [o for o in traffic.outcomes if o.finished < down_from]
    after = [o for o in traffic.outcomes if o.started > down_until + GRACE_S]
    failed = [o for o in traffic.outcomes if o.answer is None or o.answer.status >= 400]
    print(
        f"\npostgres restart: {len(traffic.outcomes)} requests ({len(traffic.deliveries)} deliveries of "
        f"{ALERTS_PER_DELIVERY} alerts), {len(failed)} refused while down "
        f"({sum(1 for o in failed if o.answer and o.answer.status == 503)} answered 503, "
        f"{sum(1 for o in failed if o.answer is None)} unanswered), {len(refused)} deliveries replayed "
        f"in {replays} tries; alerts sent {len(sent)}, incidents stored {sum(stored.values())}"
    )

    # While it was down: 503 (with Retry-After) for what needed it, /readyz not ready, no 500, no traceback.
    assert before and after, "the load ran before and after the restart"
    assert all(o in overlapping for o in failed), [(o.what, o.answer and o.answer.status) for o in failed][:10]
    answered_while_down = [o for o in failed if o.answer is not None]
    assert {o.answer.status for o in answered_while_down} == {503}
    assert all(o.answer.headers.get("Retry-After") for o in answered_while_down if o.what != "/readyz")
    assert {"webhook", "/readyz", "/runbooks/"} <= {o.what for o in answered_while_down}
    assert not [o for o in traffic.outcomes if o.answer is not None and "Traceback" in o.answer.body]
    # Back by itself: nothing restarted the app, and everything after the restart was answered.
    assert all(o.answer is not None and o.answer.status < 400 for o in after)
    # Alertmanager's retries made up for the refused deliveries: every alert once, none twice.
    assert set(stored) == set(sent) and len(sent) == len(set(sent))
    assert set(stored.values()) == {1}
    assert " 500 " not in "\n".join(line for line in log.splitlines() if '"POST /api/alertmanager/' in line)
