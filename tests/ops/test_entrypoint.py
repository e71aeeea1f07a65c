"""deploy/entrypoint.sh, the image's start, run as the image runs it: on a fresh checkout (the files
git tracks, nothing built), production settings, a SQLite file in a temporary directory, gunicorn
with its workers on a free loopback port."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def fresh_checkout(destination: Path) -> Path:
    """The tracked files (and new ones not ignored) of this checkout, as a clone would have them."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 10) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base URL, environment, data directory, checkout) of a running `entrypoint.sh serve`."""
    base = tmp_path_factory.mktemp("entrypoint")
    checkout = fresh_checkout(base / "app")
    data = base / "data"
    data.mkdir()
    port = free_port()
    environment = {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(base),
        "TMPDIR": str(base),
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": "entrypoint-test-secret-key-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{data / 'kb.sqlite3'}",
        "KB_BIND": f"127.0.0.1:{port}",
        "KB_MIGRATE_ON_START": "true",
    }
    # The Dockerfile's build step: static files collected and compressed once.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=checkout,
        env=environment,
        check=True,
        timeout=300,
    )
    log = (base / "server.log").open("w")
    server = subprocess.Popen(
        [str(checkout / "deploy" / "entrypoint.sh"), "serve"],
        cwd=base,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if get(f"{url}/healthz", timeout=2)[0] == 200:
                break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"entrypoint.sh serve did not answer /healthz:\n{(base / 'server.log').read_text()}")
        time.sleep(0.3)
    yield url, environment, data, checkout
    server.terminate()  # gunicorn's master stops its workers on SIGTERM
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    log.close()


def test_it_serves_healthz_readyz_and_a_page_after_migrating_on_start(served):
    url, *_ = served
    assert get(f"{url}/healthz")[:2] == (200, '{"status": "ok"}')
    assert get(f"{url}/readyz")[:2] == (200, '{"status": "ready"}')
    status, body, _ = get(f"{url}/runbooks/")
    assert status == 200
    assert "<html" in body.lower()


def test_it_serves_the_static_files_collected_and_compressed_at_build_time(served):
    url, _, _, checkout = served
    # The hashed copy (name.0123456789ab.css), which WhiteNoise lets browsers keep for ten years.
    hashed = next(
        p for p in (checkout / "staticfiles" / "kb").glob("*.css.gz") if re.search(r"\.[0-9a-f]{12}\.css", p.name)
    )
    status, _, headers = get(f"{url}/static/kb/{hashed.name.removesuffix('.gz')}")
    assert status == 200
    assert headers.get("Content-Encoding") == "gzip"
    assert "max-age=315360000" in headers.get("Cache-Control", "")


def test_metrics_add_up_the_requests_of_every_worker(served):
    url, *_ = served
    for _ in range(12):
        get(f"{url}/postmortems/")
    status, body, _ = get(f"{url}/metrics")
    assert status == 200
    counted = sum(
        sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == "kb_http_requests_total" and sample.labels.get("view") == "postmortem_list"
    )
    assert counted == 12
    names = {sample.name for family in text_string_to_metric_families(body) for sample in family.samples}
    # Counted in the database at scrape time, and left at 0 until a Git sync runs.
    assert {"kb_documents", "kb_incidents_firing", "kb_git_sync_last_success"} <= names


def test_migrate_applies_every_migration_to_a_new_database(served, tmp_path):
    _, environment, _, checkout = served
    environment = {**environment, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}"}
    migrate = subprocess.run(
        [str(checkout / "deploy" / "entrypoint.sh"), "migrate"], env=environment, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    shown = subprocess.run(
        [str(checkout / "deploy" / "entrypoint.sh"), "manage", "showmigrations", "--plan"],
        env=environment,
        capture_output=True,
        text=True,
    ).stdout
    assert "[X]" in shown and "[ ]" not in shown


def test_manage_runs_a_command_against_the_same_database(served):
    _, environment, _, checkout = served
    result = subprocess.run(
        [str(checkout / "deploy" / "entrypoint.sh"), "manage", "showmigrations", "kb"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "[X] 0001_initial" in result.stdout


def test_an_unknown_command_is_refused_with_the_commands_it_knows(served):
    _, environment, _, checkout = served
    result = subprocess.run(
        [str(checkout / "deploy" / "entrypoint.sh"), "start"], env=environment, capture_output=True, text=True
    )
    assert result.returncode == 64
    assert "serve, migrate or manage" in result.stderr


def test_it_stops_being_ready_but_stays_alive_when_the_database_is_gone(served):
    url, _, data, _ = served
    moved = data.with_name("data-gone")
    data.rename(moved)  # the volume lost: the SQLite file's directory is no longer there
    try:
        status, body, _ = get(f"{url}/readyz")
        assert get(f"{url}/healthz")[0] == 200
    finally:
        moved.rename(data)
    assert status == 503
    assert "the database does not answer" in body
    assert get(f"{url}/readyz")[0] == 200
