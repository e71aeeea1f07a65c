"""bench/scaling/serving.wrk: the pages' throughputs are compared within one run, so the pages must take turns
(a host whose throughput drifts then slows every page alike), and a page's rate is its requests over its time."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.scaling import serving
from tests.conftest import require_program


@pytest.fixture
def wrk_binary() -> str:
    return require_program("wrk", "apt-get install wrk")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.paths: list[str] = []
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        with self.server.lock:
            self.server.paths.append(self.path)
        status = 500 if self.path == "/broken/" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _turns(paths: list[str]) -> list[str]:
    """The paths in the order they were served, each run of one path counted once."""
    return [p for i, p in enumerate(paths) if i == 0 or paths[i - 1] != p]


def test_the_pages_take_turns_and_each_rate_counts_its_own_requests(wrk_binary, server):
    pages = {"login": "/accounts/login/", "runbook": "/runbooks/disk-full/", "broken": "/broken/"}
    started = time.monotonic()
    figures = serving.wrk(wrk_binary, server.server_address[1], pages, rounds=3, seconds=1)
    elapsed = time.monotonic() - started

    assert _turns(server.paths) == list(pages.values()) * 3
    for name, path in pages.items():
        served = server.paths.count(path)
        # wrk's own count leaves out requests still in flight when it stops: at most its 8 connections a round
        assert served - 3 * 8 <= figures[name]["requests"] <= served
        assert figures[name]["seconds"] >= 3  # three rounds of at least their second each
        assert figures[name]["rps"] == figures[name]["requests"] / figures[name]["seconds"]
    # wrk's own times, summed, fit in the call's: not a bound of this machine's speed (a loaded one stretched three
    # rounds of "-d1s" to 4.45 s), but what a time read in the wrong unit or counted twice would exceed.
    assert sum(figures[name]["seconds"] for name in pages) <= elapsed
    assert figures["login"]["errors"] == figures["runbook"]["errors"] == 0
    assert figures["broken"]["errors"] == pytest.approx(server.paths.count("/broken/"), abs=3 * 8)
