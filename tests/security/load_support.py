"""What the load and fault tests share: the site served as deployed (deploy/entrypoint.sh: gunicorn, 2 workers
of 2 threads, DEBUG off, migrated on start) on a loopback port against a database of its own, HTTP clients
that count what they got, a logged-in session that edits through the forms, and Alertmanager's deliveries."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TOKEN = "load-test-webhook-token-0123456789"
EDITOR, EDITOR_PASSWORD = "lena", "pw-lena-load-123"
REQUEST_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@contextmanager
def own_database(folder: Path):
    """A database URL for a server of the test's own: a SQLite file, or on the PostgreSQL pass a fresh
    database on the suite's server (dropped after)."""
    if not on_postgresql():
        yield f"sqlite:///{folder / 'kb.sqlite3'}"
        return
    import psycopg

    url = urlsplit(os.environ["DATABASE_URL"])
    name = f"kb_load_{uuid.uuid4().hex[:12]}"
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_environment(database_url: str, folder: Path, port: int) -> dict[str, str]:
    return {
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(folder),
        "TMPDIR": str(folder),
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": "load-test-secret-key-0123456789abcdef",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
        "DATABASE_URL": database_url,
        "KB_ALERTMANAGER_TOKEN": TOKEN,
        "KB_BIND": f"127.0.0.1:{port}",
        "KB_MIGRATE_ON_START": "false",  # migrated before, with the documents imported
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
    }


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """A `manage.py` command beside the server, as `entrypoint.sh manage` runs one: its own metrics, none shared."""
    env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def create_editor(env: dict[str, str]) -> None:
    script = (
        "from django.contrib.auth.models import Permission, User;"
        f"u = User.objects.create_user({EDITOR!r}, password={EDITOR_PASSWORD!r});"
        "u.user_permissions.set(Permission.objects.filter(content_type__app_label='kb', codename='change_runbook'))"
    )
    done = manage(env, "shell", "-c", script)
    assert done.returncode == 0, done.stderr


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def gunicorn(env: dict[str, str], log: Path):
    """`deploy/entrypoint.sh serve` (migrates first); stopped (SIGTERM, then SIGKILL) whatever happens."""
    port = int(env["KB_BIND"].rsplit(":", 1)[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["sh", "deploy/entrypoint.sh", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(port, process, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if request(port, "GET", "/healthz", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{server.log_text()[-3000:]}")
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()  # the master stops its workers
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


@dataclass
class Answer:
    status: int
    body: str
    headers: dict[str, str]
    started: float
    finished: float
    cookies: list[str] = field(default_factory=list)  # each Set-Cookie (headers keeps only the last)


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT_S,
) -> Answer:
    """One request on its own connection; OSError and HTTPException (no answer) are the caller's."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        cookies = response.headers.get_all("Set-Cookie") or []
        return Answer(response.status, text, dict(response.headers), started, time.monotonic(), cookies)
    finally:
        connection.close()


@dataclass
class Tally:
    """What a load thread got back: answers by status, requests without an answer, and the 5xx kept."""

    statuses: dict[int, int] = field(default_factory=dict)
    unanswered: int = 0
    server_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, what: str, answer: Answer | None) -> None:
        with self.lock:
            if answer is None:
                self.unanswered += 1
                return
            self.statuses[answer.status] = self.statuses.get(answer.status, 0) + 1
            if answer.status >= 500:
                self.server_errors.append(f"{answer.status} {what}: {answer.body[:300]}")

    @property
    def served(self) -> int:
        return sum(self.statuses.values())

    @property
    def five_xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


# --- Alertmanager ----------------------------------------------------------------------------------------


def delivery(fingerprints: list[str], alertname: str = "LoadTestAlert") -> bytes:
    """One webhook body (version 4) with an alert per fingerprint, all firing from one start."""
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": alertname, "namespace": "load", "pod": f"pod-{fp[-6:]}", "severity": "warning"},
            "annotations": {"summary": f"Load test alert {fp}."},
            "startsAt": "2026-12-01T03:00:00.000000000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.load.lan:9090/graph",
            "fingerprint": fp,
        }
        for fp in fingerprints
    ]
    payload = {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{alertname}"}}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "kb",
        "groupLabels": {"alertname": alertname},
        "commonLabels": {"alertname": alertname},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.load.lan:9093",
        "alerts": alerts,
    }
    return json.dumps(payload).encode()


def deliver(port: int, body: bytes, timeout: float = REQUEST_TIMEOUT_S) -> Answer:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    return request(port, "POST", "/api/alertmanager/", body, headers, timeout=timeout)


# --- A reader who logs in and edits ------------------------------------------------------------------------


class Session:
    """A browser's session: cookies kept, the CSRF token sent back with each form."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**({"Cookie": cookie} if cookie else {}), **(extra or {})}

    def _keep(self, answer: Answer) -> Answer:
        for value in answer.cookies:
            for morsel in SimpleCookie(value).values():
                self.cookies[morsel.key] = morsel.value
        return answer

    def get(self, path: str) -> Answer:
        return self._keep(request(self.port, "GET", path, headers=self._headers()))

    def post_form(self, path: str, fields: dict[str, str]) -> Answer:
        body = urlencode({**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}).encode()
        headers = self._headers(
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}{path}"}
        )
        return self._keep(request(self.port, "POST", path, body, headers))

    def log_in(self, username: str, password: str) -> None:
        self.get("/accounts/login/")
        answer = self.post_form("/accounts/login/", {"username": username, "password": password})
        assert answer.status == 302, f"login refused: {answer.status} {answer.body[:500]}"


def form_value(html: str, name: str) -> str:
    """The value of an <input name=…>, or the text of a <textarea name=…>, as the page holds it."""
    import html as entities

    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', html, re.S
    )
    assert found, f"no field {name} in the page"
    return entities.unescape(found.group(1))
