"""What writing on the web costs, against parsing the same document once (the import's own work).

    .venv/bin/python bench/authoring.py [--rounds 5]

Pure: no database. Over every post-mortem of the seeds, the shared corpus and examples/, times
(best of --rounds) parsing each text, reading it back into a form draft (the edit page), writing
the draft in the canonical layout and parsing that (one live-preview refresh, one save), and
ticking its first follow-up in place; over every runbook, appending a resolution row. Reports
each as a ratio to the parse of the same documents, and appends a summary to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_DEBUG", "True")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from kb.authoring.edits import EditError, ResolutionDraft, follow_up_status_set, resolution_row_append  # noqa: E402
from kb.authoring.from_markdown import postmortem_draft  # noqa: E402
from kb.authoring.to_markdown import postmortem_markdown  # noqa: E402
from kb.markdown.parsing import parse_document  # noqa: E402


def documents() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    postmortems, runbooks = [], []
    for folder in (
        SHARED / "seeds",
        SHARED / "corpus" / "postmortems",
        SHARED / "corpus" / "runbooks",
        ROOT / "examples",
    ):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "template" not in p.name.lower()):
            try:
                text = path.read_text(encoding="utf-8")
                kind = parse_document(text, path.name).kind
            except Exception:  # licences, READMEs: not documents
                continue
            if kind in ("postmortem", "runbook"):  # notes have neither follow-ups nor a resolution history
                (postmortems if kind == "postmortem" else runbooks).append((path.name, text))
    return postmortems, runbooks


def best(rounds: int, work) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    postmortems, runbooks = documents()
    drafts = [(name, postmortem_draft(text, name)) for name, text in postmortems]
    tickable = [(name, text) for name, text in postmortems if parse_document(text, name).follow_ups]

    def tick_all():
        for name, text in tickable:
            try:
                follow_up_status_set(text, index=0, status="done", path=name)
            except EditError:
                pass

    entry = ResolutionDraft(date(2026, 3, 1), ["#240"], "1Gi", "2Gi", "bench")
    rows = [
        (
            "parse every post-mortem (baseline)",
            best(rounds, lambda: [parse_document(t, n) for n, t in postmortems]),
            len(postmortems),
        ),
        (
            "read each into a form draft (edit page)",
            best(rounds, lambda: [postmortem_draft(t, n) for n, t in postmortems]),
            len(postmortems),
        ),
        (
            "write each draft and parse it (preview, save)",
            best(rounds, lambda: [postmortem_markdown(d, path=n) for n, d in drafts]),
            len(drafts),
        ),
        ("tick the first follow-up in place", best(rounds, tick_all), len(tickable)),
    ]
    baseline = rows[0][1] / rows[0][2]
    runbook_parse = best(rounds, lambda: [parse_document(t, n) for n, t in runbooks]) / len(runbooks)
    append = best(rounds, lambda: [resolution_row_append(t, entry=entry, path=n) for n, t in runbooks]) / len(runbooks)

    lines = [f"{'what':48} {'docs':>5} {'ms/doc':>8} {'× parse':>8}"]
    for label, seconds, count in rows:
        per = seconds / count
        lines.append(f"{label:48} {count:5} {per * 1000:8.2f} {per / baseline:8.1f}")
    lines.append(f"{'parse every runbook (baseline)':48} {len(runbooks):5} {runbook_parse * 1000:8.2f} {1.0:8.1f}")
    lines.append(
        f"{'append a resolution row to each runbook':48} {len(runbooks):5} {append * 1000:8.2f} {append / runbook_parse:8.1f}"
    )
    report = "\n".join(lines)
    print(report)
    with (ROOT / "BENCHMARKS.md").open("a", encoding="utf-8") as out:
        out.write(
            f"\n## Authoring ({time.strftime('%Y-%m-%d')}, best of {rounds}, `bench/authoring.py`)\n\n```\n{report}\n```\n"
        )


if __name__ == "__main__":
    main()
