"""The knowledge base at scale (issue #12), each figure beside its floor measured in the same run.

    .venv/bin/python bench/scale.py                      # small: 300 documents + 2,000 incidents, SQLite and PostgreSQL
    .venv/bin/python bench/scale.py --size large         # 12,000 documents + 100,000 incidents
    make bench SIZE=large                                # the same, then nothing else

On a generated knowledge base (bench/generate.py), per engine (PostgreSQL when its binaries are installed:
a throwaway cluster): the import command into an empty database (floor: Python-Markdown alone over the same
files) and its peak RSS; the incidents through the webhook's write path; 1,000 (small: 100) documents more
imported into the full database (on PostgreSQL, vacuumed and analyzed first, as autovacuum would) and into an
empty one (the linearity ratio); a 1,000-alert Alertmanager group
on the full database and on an empty one. Then gunicorn as deployed (deploy/entrypoint.sh, 2 workers, DEBUG
off, static collected): `/api/search` and `/search/?q=` over a fixed query list (floor: `grep -ril` of the
query's longest word over the files), the pages (floor: the login page), `wrk -t2 -c8` on the login,
runbook and search pages in turn (5 rounds of 2 s a page) with the peak RSS of gunicorn's process tree during
that load. The served figures are measured in three passes (`--passes`), each over a new gunicorn, and the table
gives their median with each pass's figure beside it; the Python-Markdown floor is measured before and after
the import, their mean.

Writes one table to BENCHMARKS.md between `<!-- scale:begin -->` and `<!-- scale:end -->` (replaced at each
run), and the raw figures to bench/results/scale-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402
from bench.scaling import postgres, report, serving  # noqa: E402

PYTHON = sys.executable
SIZES = {
    "small": {"runbooks": 250, "postmortems": 50, "extra_runbooks": 83, "extra_postmortems": 17, "incidents": 2000},
    "large": {
        "runbooks": 10000,
        "postmortems": 2000,
        "extra_runbooks": 833,
        "extra_postmortems": 167,
        "incidents": 100000,
    },
}
# What operators type, in the generated vocabulary: words, identifiers, metrics, phrases, typos.
QUERIES = [
    "billing queue lag",
    "pgbouncer connection pool",
    "kafka_consumergroup_lag",
    "certificate expiring",
    "oomkilled",
    "replica unreachable",
    "disk almost full",
    "memory limit copied from staging",
    "rabbitmq",
    "schema migration exclusive lock",
    "rollout restart",
    "conntrack defaults kernel",
    "paymnets timeouts",
    "velero",
    "noisy neighbour disk",
    "autoscaler maximum morning peak",
    "feature flag tenant",
    "dns record drained node",
    "thanos-sidecar",
    "CheckoutConsumerLagHigh",
]
TOKEN = "bench-scale-token-0123456789"
# Served figures come from this many passes, each over a new gunicorn, and the table gives their median: on a
# shared 2-core machine one pass's p95 (the second slowest of 19 first searches) moved 30-61 ms between runs
# of the same commit, more than any change it was meant to judge.
PASSES = 3
WRK_PAGES = ("login", "runbook", "search")


def base_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KB_", "DATABASE_URL"))}
    venv_bin = str(Path(PYTHON).parent)
    return env | {
        "PATH": f"{venv_bin}:{env.get('PATH', '')}",
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": "bench-scale-not-a-secret-0123456789",
        "KB_ALERTMANAGER_TOKEN": TOKEN,
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def run(env: dict[str, str], *args: str) -> dict:
    """A subprocess (manage.py or bench/scaling/tasks.py) on env's database: its JSON, seconds and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen([PYTHON, *args], cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({process.returncode}):\n{stderr[-3000:]}{stdout[-2000:]}")
    lines = stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return result | {"wall_s": seconds, "peak_rss": usage.ru_maxrss * 1024}


def task(env: dict[str, str], *args: str) -> dict:
    return run(env, "bench/scaling/tasks.py", *args)


class Figures(dict):
    """An engine's figures, saved to a file at every step: a long run that fails late keeps what it measured."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        self.path.write_text(json.dumps(self, indent=1))


def migrated(url: str) -> dict[str, str]:
    env = base_env(url)
    run(env, "manage.py", "migrate", "--no-input", "-v", "0")
    return env


def markdown_floor(files: list[Path]) -> float:
    """Documents/s of Python-Markdown alone (tables and fenced code) over the same files, read included."""
    import markdown

    md = markdown.Markdown(extensions=["tables", "fenced_code"])
    started = time.perf_counter()
    for path in files:
        md.reset().convert(path.read_text(encoding="utf-8"))
    return len(files) / (time.perf_counter() - started)


def grep_floor(dirs: list[Path]) -> dict:
    """`grep -ril WORD` of each query's longest word over the files: median and p95 (ms), three rounds."""
    samples = []
    for _ in range(3):
        for query in QUERIES:
            word = max(query.split(), key=len)
            started = time.perf_counter()
            subprocess.run(["grep", "-ril", word, *map(str, dirs)], stdout=subprocess.DEVNULL, check=False)
            samples.append((time.perf_counter() - started) * 1000)
    return serving.summary(samples)


def measure_engine(engine: str, data: Path, manifest: dict, new_database, work: Path, passes: int = PASSES) -> dict:
    """Every figure of one engine; `new_database(name)` gives the URL of a new empty database."""
    main_dirs = [str(data / d) for d in manifest["document_dirs"]]
    extra_dirs = [str(data / d) for d in manifest["extra"]["document_dirs"]]
    main_files = [p for d in main_dirs for p in sorted(Path(d).rglob("*.md"))]
    full, empty, group_empty = (migrated(new_database(n)) for n in ("kb_full", "kb_empty", "kb_group_empty"))
    r = Figures(work / f"figures-{engine}.json")
    r["documents"] = len(main_files)

    log(f"  import of {len(main_files)} documents into an empty database")
    floor_before = markdown_floor(main_files)
    imported = task(full, "import", *main_dirs)
    # The floor on either side of the import, its mean the figure: the machine's load drifts over minutes.
    r["markdown_floors"] = [floor_before, markdown_floor(main_files)]
    r["markdown_floor_dps"] = statistics.mean(r["markdown_floors"])
    r["import_dps"] = len(main_files) / imported["seconds"]
    r["import_summary"] = imported["summary"]
    r["import_peak_rss"] = imported["peak_rss"]
    r["import_cores_busy"] = imported["cores_busy"]

    log(f"  {manifest['incidents']} incidents through the webhook's write path")
    incidents = task(full, "incidents", str(data / "alertmanager"))
    r["incidents_per_s"] = incidents["incidents"] / incidents["seconds"]

    more = manifest["extra"]["runbooks"] + manifest["extra"]["postmortems"]
    log(f"  {more} documents more, into the full database and into an empty one")
    # PostgreSQL: the vacuum and analyze that 100,000 new incidents leave due, done before the import is timed,
    # not by autovacuum during it when its naptime happens to fall there (7.8 vs 6.0 s, and 6.3 vs 5.8 s when it
    # did not: BENCHMARKS.md, "Round 20").
    new_database.settled(full["DATABASE_URL"])
    r["more_documents"] = more
    r["more_full_dps"] = more / task(full, "import", *extra_dirs)["seconds"]
    r["more_empty_dps"] = more / task(empty, "import", *extra_dirs)["seconds"]

    log("  a 1,000-alert Alertmanager group, on the full database and on an empty one")
    r["group_full_s"] = task(full, "group", str(data / "manifest.json"))["median_s"]
    r["group_empty_s"] = task(group_empty, "group", str(data / "manifest.json"))["median_s"]

    answer = task(full, "urls")
    r["counts"] = answer["counts"]
    urls = {name: paths for name, paths in answer.items() if isinstance(paths, list)}
    r["grep_floor"] = grep_floor([Path(d) for d in main_dirs])
    search_paths = {
        "/api/search": [f"/api/search?q={quote_plus(q)}" for q in QUERIES],
        "/search/?q=": [f"/search/?q={quote_plus(q)}" for q in QUERIES],
    }
    served_passes = []
    for n in range(passes):
        log(f"  gunicorn, pass {n + 1} of {passes}: search, pages, wrk")
        served_passes.append(served(full, urls, search_paths, work / f"gunicorn-{engine}-{n + 1}.log"))
        r["passes"] = served_passes
    r.update(serving.combined(served_passes))
    return r


def served(env: dict[str, str], urls: dict[str, list[str]], search_paths: dict[str, list[str]], log_file: Path) -> dict:
    """One pass over a gunicorn started for it: new workers, so nothing a worker keeps (search answers, page
    fragments) is there yet, and the first searches and views are first ones again."""
    r: dict = {}
    with serving.gunicorn(env, log_file) as (port, pid):
        r["idle_rss"] = serving.tree_rss_bytes(pid)
        # Search keeps its answers (per worker, until the index changes): first each query once, never asked
        # before (the warm-up request aside), then three rounds, where a query may find its answer kept.
        r["/api/search first"] = serving.timings(port, search_paths["/api/search"], samples=len(QUERIES) - 1)
        for name, paths in search_paths.items():
            r[name] = serving.timings(port, paths, samples=3 * len(paths))
        r["pages"] = {name: serving.timings(port, paths) for name, paths in urls.items() if paths}
        binary = serving.wrk_available()
        if binary:
            wrk_paths = {
                "login": "/accounts/login/",
                "runbook": urls["runbook"][0],
                "search": search_paths["/search/?q="][0],
            }
            with serving.PeakRss(pid) as rss:
                r["wrk"] = serving.wrk(binary, port, {name: wrk_paths[name] for name in WRK_PAGES})
            r["wrk_peak_rss"] = rss.peak
            r["wrk_peak_pss"] = rss.peak_pss
        else:
            r["wrk"] = None
    return r


@contextmanager
def sqlite_databases(work: Path):
    def database(name: str) -> str:
        return f"sqlite:///{work / (name + '.sqlite3')}"

    import sqlite3

    database.version = f"SQLite {sqlite3.sqlite_version}"  # type: ignore[attr-defined]
    database.settled = lambda url: None  # type: ignore[attr-defined]  # no background maintenance to wait for
    yield database


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (databases, data, logs)")
    parser.add_argument("--passes", type=int, default=PASSES, help="served figures: passes, each a new gunicorn")
    parser.add_argument("--from-results", type=Path, help="measure nothing: the table of a saved bench/results file")
    args = parser.parse_args(argv)
    if args.from_results:
        saved = json.loads(args.from_results.read_text())
        table = report.table(saved["run"], saved["engines"])
        report.write_section(args.output, table)
        print(table)
        return 0
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    work = args.keep or Path(tempfile.mkdtemp(prefix="kb-bench-scale."))
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    started = time.monotonic()
    try:
        size = SIZES[args.size]
        data = work / "data"
        if not (data / "manifest.json").exists():
            log(f"generating {args.size}: {size}")
            shutil.rmtree(data, ignore_errors=True)
            generate.main(
                [f"--{k.replace('_', '-')}={v}" for k, v in size.items()] + ["--group-size=1000", f"--out={data}"]
            )
        manifest = json.loads((data / "manifest.json").read_text())
        run(base_env("sqlite:///:memory:"), "manage.py", "collectstatic", "--no-input", "-v", "0")
        results: dict = {}
        for engine in engines:
            log(f"{engine}")
            with ExitStack() as stack:
                if engine == "sqlite":
                    new_database = stack.enter_context(sqlite_databases(work))
                elif engine == "postgresql":
                    bin_dir = postgres.binaries()
                    if bin_dir is None:
                        log("PostgreSQL is not installed (apt-get install postgresql): measured on SQLite only")
                        continue
                    new_database = stack.enter_context(postgres.cluster(bin_dir))
                else:
                    parser.error(f"unknown engine {engine!r}: sqlite or postgresql")
                results[engine] = measure_engine(engine, data, manifest, new_database, work, args.passes) | {
                    "version": new_database.version
                }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    run_info = {
        "size": args.size,
        "manifest": manifest,
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "load": (load_before, os.getloadavg()[0]),
        "minutes": (time.monotonic() - started) / 60,
        "python": sys.version.split()[0],
        "passes": args.passes,
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / f"scale-{args.size}.json").write_text(json.dumps({"run": run_info, "engines": results}, indent=1))
    table = report.table(run_info, results)
    report.write_section(args.output, table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
