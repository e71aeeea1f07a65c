"""The site as deployed (deploy/entrypoint.sh: gunicorn, 2 workers, DEBUG off, static collected), and what
the scale benchmark measures against it: response times, `wrk` throughput, the RSS of the process tree."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# A page is sampled until it has this many timings or this many seconds went by (insights may take 30 s).
PAGE_SAMPLES = 30
PAGE_BUDGET_S = 20.0
REQUEST_TIMEOUT_S = 70.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], log: Path):
    """gunicorn started by deploy/entrypoint.sh on a free loopback port; yields (port, master pid)."""
    port = free_port()
    env = {**env, "KB_BIND": f"127.0.0.1:{port}", "PROMETHEUS_MULTIPROC_DIR": str(log.parent / "metrics")}
    with log.open("wb") as out:
        process = subprocess.Popen(["sh", "deploy/entrypoint.sh", "serve"], cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start: see {log}")
            time.sleep(0.3)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get(port: int, path: str, connection: http.client.HTTPConnection | None = None) -> tuple[int, float]:
    """(status, seconds) of one GET, the whole body read."""
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    started = time.perf_counter()
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        if connection is None:
            conn.close()


def timings(port: int, paths: list[str], samples: int = PAGE_SAMPLES) -> dict:
    """Median and p95 (ms) over `paths` in turn, after one warm-up request; errors are answers >= 400,
    timeouts and dropped connections."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    taken: list[float] = []
    errors = 0
    started = time.monotonic()
    for n in range(samples + 1):
        path = paths[n % len(paths)]
        try:
            status, seconds = get(port, path, conn)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
            status, seconds = 599, REQUEST_TIMEOUT_S
        errors += status >= 400
        if n or seconds > PAGE_BUDGET_S / 4:  # the warm-up counts when the page is that slow
            taken.append(seconds * 1000)
        if taken and time.monotonic() - started > PAGE_BUDGET_S:
            break
    conn.close()
    return summary(taken) | {"errors": errors}


def summary(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"median": statistics.median(ordered), "p95": p95, "n": len(ordered)}


def wrk_available() -> str | None:
    """The wrk binary, installed with apt-get when missing and allowed (root, apt-get present); else None."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True, check=False)
    return shutil.which("wrk")


def wrk(binary: str, port: int, paths: dict[str, str], rounds: int = 5, seconds: int = 2) -> dict:
    """`wrk -t2 -c8` on each page in turn, `rounds` times `seconds` a page: requests, seconds, requests/s
    (the two summed over the rounds, divided) and errors (non-2xx/3xx answers and socket errors) by page name. The pages
    alternate so that a drift in the host's throughput (a shared machine's swung 3× over a minute) falls on
    every page alike and leaves their ratios to the login page alone."""
    done = {name: {"requests": 0, "seconds": 0.0, "errors": 0} for name in paths}
    for _ in range(rounds):
        for name, path in paths.items():
            out = subprocess.run(
                [binary, "-t2", "-c8", f"-d{seconds}s", "--timeout", "30s", f"http://127.0.0.1:{port}{path}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
            non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
            socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
            done[name]["requests"] += int(total.group(1))
            done[name]["seconds"] += float(total.group(2)) / (1000 if total.group(3) == "ms" else 1)
            done[name]["errors"] += int(non_2xx.group(1)) if non_2xx else 0
            done[name]["errors"] += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return {name: d | {"rps": d["requests"] / (d["seconds"] or 1)} for name, d in done.items()}


def tree_rss_bytes(pid: int) -> int:
    """The RSS of a process and all its descendants, summed (shared pages counted in each, as `ps` does)."""
    return sum(_rss(p) for p in _tree(pid))


def tree_pss_bytes(pid: int) -> int:
    """The PSS of a process tree: each shared page divided among its sharers (gunicorn's preloaded master
    shares its pages with the workers), which is closer to what the pod's memory limit counts."""
    total = 0
    for p in _tree(pid):
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
        total += int(found.group(1)) * 1024 if found else 0
    return total


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _tree(pid: int) -> set[int]:
    """The process and its descendants."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    tree = {pid}
    changed = True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                changed = True
    return tree


class PeakRss:
    """Samples the RSS (and PSS) of a process tree every 0.2 s in a thread; `peak` is the largest sum seen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.pid))
            self.peak_pss = max(self.peak_pss, tree_pss_bytes(self.pid))
            self._stop.wait(0.2)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss_bytes(self.pid))


def combined(passes: list[dict]) -> dict:
    """The served figures of several passes as one: a timing's median and p95 are the medians of the passes'
    (their p95s kept beside), wrk's requests/s and its ratios to the login page the medians of the passes' (a
    ratio taken within its pass, against that pass's floor), errors summed, memory the largest seen."""
    first = passes[0]
    figures: dict = {
        name: _timings([p[name] for p in passes]) for name in ("/api/search first", "/api/search", "/search/?q=")
    }
    figures["pages"] = {name: _timings([p["pages"][name] for p in passes]) for name in first["pages"]}
    figures["idle_rss"] = max(p["idle_rss"] for p in passes)
    if first["wrk"] is None:
        return figures | {"wrk": None}
    figures["wrk"] = {
        page: {
            "rps": statistics.median(p["wrk"][page]["rps"] for p in passes),
            "errors": sum(p["wrk"][page]["errors"] for p in passes),
            "ratios": [p["wrk"][page]["rps"] / (p["wrk"]["login"]["rps"] or 1) for p in passes],
        }
        for page in first["wrk"]
    }
    for name in ("wrk_peak_rss", "wrk_peak_pss"):
        figures[name] = max(p[name] for p in passes)
    return figures


def _timings(timings: list[dict]) -> dict:
    return {
        "median": statistics.median(t["median"] for t in timings),
        "p95": statistics.median(t["p95"] for t in timings),
        "n": sum(t["n"] for t in timings),
        "errors": sum(t.get("errors", 0) for t in timings),
        "p95s": [t["p95"] for t in timings],
    }
