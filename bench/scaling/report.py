"""The scale benchmark's one table, each figure beside its floor from the same run and issue #12's target,
and the section of BENCHMARKS.md it replaces."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"
ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
PAGES = ["alert link", "runbook", "post-mortem", "home", "insights", "incident list", "entity page", "lists"]
MIB = 1024 * 1024


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _timing(t: dict) -> str:
    extra = [f"n={t['n']}"] if t["n"] < 10 else []
    extra += [f"**{t['errors']} errors**"] if t.get("errors") else []
    passes = f" [{' · '.join(_ms(p) for p in t['p95s'])}]" if len(t.get("p95s", ())) > 1 else ""
    return f"{_ms(t['median'])} / {_ms(t['p95'])} ms{passes}" + (f" ({', '.join(extra)})" if extra else "")


def _ratio(wrk: dict, page: str) -> str:
    """A page's requests/s over the login page's: the median of the passes' ratios, each pass's beside."""
    if "ratios" not in wrk[page]:
        return f"**{wrk[page]['rps'] / (wrk['login']['rps'] or 1):.2f}×**"
    ratios = wrk[page]["ratios"]
    passes = f" [{' · '.join(f'{r:.2f}' for r in ratios)}]" if len(ratios) > 1 else ""
    return f"**{statistics.median(ratios):.2f}×**{passes}"


def _rows(r: dict) -> dict[str, tuple[str, str]]:
    """(figure, floor) by row name, for one engine."""
    rows: dict[str, tuple[str, str]] = {}
    floor = r["markdown_floor_dps"]
    floors = r.get("markdown_floors", [])
    rows["import"] = (
        # Three decimals: the target is a third, and 0.3316 shown as 0.33 read as met.
        f"{r['import_dps']:.0f} documents/s ({r['import_dps'] / floor:.3f}× the floor)"
        # The import's processes and the server's, against the cores' time: near 1, bound by the machine's CPU.
        + (f"; cores busy: {r['import_cores_busy']:.0%}" if "import_cores_busy" in r else ""),
        f"Python-Markdown alone: {floor:.0f} documents/s"
        + (f" (before / after the import: {' / '.join(f'{f:.0f}' for f in floors)})" if len(floors) > 1 else ""),
    )
    rows["more"] = (
        f"{r['more_full_dps']:.0f} vs {r['more_empty_dps']:.0f} documents/s "
        f"(**{r['more_empty_dps'] / r['more_full_dps']:.2f}×** the time per document when full)",
        "the same files into an empty database",
    )
    rows["import rss"] = (f"{r['import_peak_rss'] / MIB:.0f} MiB", "")
    rows["incidents"] = (f"{r['incidents_per_s']:.0f} incidents/s", "")
    grep = r["grep_floor"]
    for name in ("/api/search", "/search/?q="):
        t = r[name]
        rows[name] = (
            f"{_timing(t)} (grep ÷ search, medians: **{grep['median'] / t['median']:.1f}×**)",
            f"`grep -ril`: {_timing(grep)}",
        )
    if "/api/search first" in r:
        t = r["/api/search first"]
        rows["/api/search first"] = (
            f"{_timing(t)} (grep ÷ search, medians: **{grep['median'] / t['median']:.1f}×**)",
            f"`grep -ril`: {_timing(grep)}",
        )
    login = r["pages"]["login"]
    rows["login"] = (_timing(login), "")
    for page in PAGES:
        t = r["pages"].get(page)
        if t is None:
            rows[page] = ("— (none in the database)", "")
            continue
        rows[page] = (
            f"{_timing(t)} (p95 **{t['p95'] / login['p95']:.1f}×** login)",
            f"login p95 {_ms(login['p95'])} ms",
        )
    wrk = r.get("wrk")
    if wrk:
        errors = sum(w["errors"] for w in wrk.values())
        rows["wrk"] = (
            f"{wrk['login']['rps']:.0f} / {wrk['runbook']['rps']:.0f} / {wrk['search']['rps']:.0f} requests/s "
            f"(runbook {_ratio(wrk, 'runbook')}, search {_ratio(wrk, 'search')} login), "
            + (f"**{errors} errors**" if errors else "0 errors"),
            f"login {wrk['login']['rps']:.0f} requests/s",
        )
        pss = f"PSS {r['wrk_peak_pss'] / MIB:.0f} MiB, " if "wrk_peak_pss" in r else ""
        rows["rss"] = (
            f"**{r['wrk_peak_rss'] / MIB:.0f} MiB** ({pss}idle RSS {r['idle_rss'] / MIB:.0f} MiB)",
            "256 MiB pod limit",
        )
    else:
        rows["wrk"] = ("wrk not installed: skipped", "")
        rows["rss"] = (f"idle {r['idle_rss'] / MIB:.0f} MiB (no load: wrk missing)", "256 MiB pod limit")
    rows["group"] = (
        f"{r['group_full_s'] * 1000:.0f} vs {r['group_empty_s'] * 1000:.0f} ms "
        f"(**{r['group_full_s'] / r['group_empty_s']:.2f}×**)",
        "the same group on an empty database",
    )
    return rows


def table(run: dict, results: dict) -> str:
    manifest = run["manifest"]
    engines = [e for e in ENGINES if e in results]
    more = next((results[e]["more_documents"] for e in engines), 0)
    labels = {
        "import": "import into an empty database",
        "more": f"import of {more:,} documents more: into the full database vs an empty one",
        "import rss": "peak RSS of that import",
        "incidents": f"{manifest['incidents']:,} incidents through the webhook's write path, groups of 1,000",
        "/api/search first": "`/api/search` median / p95, each query asked the first time",
        "/api/search": "`/api/search` median / p95, each query asked three times",
        "/search/?q=": "`/search/?q=` (HTML) median / p95, each query asked three times more",
        "login": "login page median / p95 (the floor of pages)",
        **{page: f"{page} median / p95" for page in PAGES},
        "lists": "runbook and post-mortem lists, first and last pages: median / p95",
        "wrk": "`wrk -t2 -c8`, 5 × 2 s a page, the pages alternating: login / runbook / search",
        "rss": "peak RSS of gunicorn (master + 2 workers) under wrk",
        "group": "a 1,000-alert Alertmanager group: full database vs empty",
    }
    targets = {
        "import": "≥ 1/3 (0.333×) the floor",
        "more": "≤ 1.25×",
        "import rss": "≤ 200 MiB",
        "/api/search first": "p95 ≤ 15 ms SQLite, ≤ 25 ms PostgreSQL; ≥ 5× grep",
        "/api/search": "p95 ≤ 15 ms SQLite, ≤ 25 ms PostgreSQL; ≥ 5× grep",
        "/search/?q=": "≥ 5× grep",
        **{page: "p95 ≤ 25 ms" for page in PAGES},
        "incident list": "p95 ≤ 50 ms",
        "entity page": "p95 ≤ 50 ms",
        "lists": "p95 ≤ 50 ms",
        "wrk": "runbook ≥ 0.5×, search ≥ 0.33× login; 0 errors",
        "rss": "≤ 256 MiB",
        "group": "≤ 2×",
    }
    rows = {e: _rows(results[e]) for e in engines}
    first = results[engines[0]] if engines else {"counts": {}}
    counts = first["counts"]
    head = (
        f"**{run['size']}**: {manifest['runbooks'] + manifest['postmortems']:,} generated documents "
        f"({manifest['runbooks']:,} runbooks, {manifest['postmortems']:,} post-mortems, "
        f"{manifest['documents_bytes'] / MIB:.0f} MiB) and {manifest['incidents']:,} incidents from Alertmanager; "
        f"after the run the full database holds {counts.get('documents', 0):,} documents, "
        f"{counts.get('incidents', 0):,} incidents, {counts.get('alerts', 0):,} alerts, "
        f"{counts.get('entities', 0):,} entities. Commit {run['commit']}, {run['date']}, {run['cpus']} cores shared "
        f"(load average {run['load'][0]:.1f} at the start, {run['load'][1]:.1f} at the end), Python {run['python']}, "
        + ", ".join(results[e]["version"] for e in engines)
        + f"; {run['minutes']:.0f} minutes. Ratios count, not milliseconds."
        + (
            f" Served figures (search, pages, wrk) are the median of {run['passes']} passes, each over a new gunicorn;"
            " [brackets] give each pass's p95 or ratio."
            if run.get("passes", 1) > 1
            else ""
        )
    )
    header = "| what | " + " | ".join(f"{ENGINES[e]} | floor ({ENGINES[e]} run)" for e in engines) + " | target (#12) |"
    lines = [head, "", header, "|---" * (2 + 2 * len(engines)) + "|"]
    for key, label in labels.items():
        cells = []
        for e in engines:
            figure, floor = rows[e].get(key, ("— (not measured in this run)", ""))
            cells += [figure, floor]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {targets.get(key, '')} |")
    return "\n".join(lines) + "\n"


def write_section(path: Path, table_text: str) -> None:
    """Replaces the text between the markers, or appends a Scale section holding them."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{BEGIN}\n{table_text}{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, count=1, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Scale (`make bench`, bench/scale.py)\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
