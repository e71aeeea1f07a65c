"""How well the importer understands real documents, against labels written by hand (issue #10).

    .venv/bin/python bench/understanding.py [--misses] [--json PATH]

Imports ../shared/corpus with `kb.documents.importing.import_paths` into a throwaway SQLite database
and compares what was stored, file by file, with bench/understanding/*.yaml: labels written by
reading each document (never by running the parser), so they say what a careful reader finds, not
what the code does today. Prints, per field, right / labelled / accuracy per collection and overall;
`--misses` lists every miss as `path: expected vs got`; `--json PATH` writes the same figures.

How a field is scored (a file counts once per field it has a label for):
- kind: `postmortem` is right when a PostMortem is stored from the file, `runbook` when a Runbook is
  (and no PostMortem), `skip` when nothing is stored from it. A `note` (a procedure or index page
  about no alert) is right when it is not stored as a post-mortem: stored as a Note, kept as a
  runbook or skipped, it stays out of the post-mortem lists.
- post-mortem fields are scored only against a stored PostMortem; a file labelled `postmortem` that
  is not stored as one misses every one of them ("not a post-mortem").
- date: the stored date is the labelled one (a list of dates accepts any of them).
- severity, duration: null means "not written", and is right when nothing is stored; otherwise the
  stored text must equal (severity) or contain (duration) the label, compared lower-case with
  everything but letters and digits dropped.
- summary: the stored summary starts with the labelled words (or one of a list of openings), compared
  case- and whitespace-insensitively with markdown links, emphasis and code marks removed.
- follow-ups, lessons: the stored count is exactly the labelled count. follow-ups done: the count of
  follow-ups stored as done, only where the label is not null (the document marks a status).
- alerts (files): every labelled alert of the file is the alert of a Runbook stored from that file
  (documents found by `source_path`); alert names: the same, counted per alert. An alert given as a
  list accepts any of its spellings; names compare case- and whitespace-insensitively.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
LABELS = ROOT / "bench" / "understanding"
sys.path.insert(0, str(ROOT))

from common import setup_django  # noqa: E402  (bench/common, beside this script)

FIELDS = [
    "kind",
    "date",
    "severity",
    "duration",
    "summary",
    "follow-ups",
    "follow-ups done",
    "lessons",
    "alerts (files)",
    "alert names",
]


def load_labels() -> list[dict]:
    labels = []
    for path in sorted(LABELS.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["files"]:
            entry["label_file"] = path.name
            labels.append(entry)
    return labels


def collection(path: str) -> str:
    return "/".join(path.split("/")[:2])


def stored_path(relative: str) -> str:
    """The `source_path` the importer writes for a corpus file: the path it was given, normalised."""
    return os.path.normpath(str(CORPUS / relative))


def squeeze(text: str) -> str:
    return " ".join(text.split()).lower()


def plain(text: str) -> str:
    """Markdown as a reader sees it: link text without its target, no emphasis, code or bracket marks."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"!?\[([^\]]*)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"[*_`\[\]]", "", text)
    return squeeze(text)


def alnum(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def shown(value) -> str:
    if isinstance(value, list):
        return " | ".join(shown(v) for v in value)
    return "null" if value is None else str(value)


class Score:
    def __init__(self) -> None:
        self.right: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.labelled: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.misses: dict[str, list[str]] = defaultdict(list)

    def add(self, field: str, path: str, ok: bool, expected, got, count: int = 1, right: int | None = None) -> None:
        where = collection(path)
        self.labelled[field][where] += count
        self.right[field][where] += count if ok else (right or 0)
        if not ok:
            self.misses[field].append(f"{path}: expected {shown(expected)} vs got {shown(got)}")

    def rows(self, field: str) -> list[tuple[str, int, int]]:
        rows = [
            (where, self.right[field][where], self.labelled[field][where]) for where in sorted(self.labelled[field])
        ]
        total = (sum(r for _, r, _ in rows), sum(n for _, _, n in rows))
        return [*rows, ("all", *total)] if rows else []


def stored_kind(documents: list) -> str:
    kinds = {doc.kind for doc in documents}
    if "postmortem" in kinds:
        return "postmortem"
    if "runbook" in kinds:
        return "runbook"
    if "note" in kinds:
        return "note"
    return "skip"


def score_kind(score: Score, entry: dict, documents: list, outcome: str) -> None:
    expected, got = entry["kind"], stored_kind(documents)
    ok = got != "postmortem" if expected == "note" else got == expected
    score.add("kind", entry["path"], ok, expected, f"{got} ({outcome})" if got == "skip" else got)


def score_postmortem(score: Score, entry: dict, postmortem) -> None:
    path = entry["path"]
    fields = ["date", "severity", "duration", "summary", "follow-ups", "lessons"]
    if entry.get("follow_ups_done") is not None:
        fields.append("follow-ups done")
    if postmortem is None:
        for field in fields:
            score.add(field, path, False, label_of(entry, field), "not a post-mortem")
        return
    dates = [d if isinstance(d, date) else date.fromisoformat(str(d)) for d in as_list(entry["date"])]
    score.add("date", path, postmortem.date in dates, dates, postmortem.date)
    for field, compare in (("severity", lambda a, b: a == b), ("duration", lambda a, b: a in b)):
        expected, got = entry[field], getattr(postmortem, field)
        ok = (
            not got.strip()
            if expected is None
            else bool(alnum(str(expected))) and compare(alnum(str(expected)), alnum(got))
        )
        score.add(field, path, ok, expected, got or None)
    starts = as_list(entry["summary_start"])
    summary = plain(postmortem.summary)
    ok = any(summary.startswith(plain(start)) for start in starts)
    score.add("summary", path, ok, starts, postmortem.summary[:80].replace("\n", " ") or None)
    follow_ups = list(postmortem.follow_ups.all())
    score.add("follow-ups", path, len(follow_ups) == entry["follow_ups"], entry["follow_ups"], len(follow_ups))
    if entry.get("follow_ups_done") is not None:
        done = sum(1 for f in follow_ups if f.status == "done")
        score.add("follow-ups done", path, done == entry["follow_ups_done"], entry["follow_ups_done"], done)
    lessons = postmortem.lessons.count()
    score.add("lessons", path, lessons == entry["lessons"], entry["lessons"], lessons)


LABEL_KEYS = {"summary": "summary_start", "follow-ups": "follow_ups", "follow-ups done": "follow_ups_done"}


def label_of(entry: dict, field: str):
    return entry.get(LABEL_KEYS.get(field, field))


def score_alerts(score: Score, entry: dict, runbooks: list) -> None:
    path, wanted = entry["path"], entry["alerts"]
    names = {squeeze(r.alert.name) for r in runbooks if r.alert is not None}
    found = [any(squeeze(spelling) in names for spelling in as_list(alert)) for alert in wanted]
    got = sorted(r.alert.name for r in runbooks if r.alert is not None) or "no alert"
    score.add("alerts (files)", path, all(found), wanted, got)
    missing = [alert for alert, ok in zip(wanted, found) if not ok]
    score.add("alert names", path, not missing, missing, got, count=len(wanted), right=sum(found))


def measure() -> tuple[Score, dict]:
    from kb.documents.importing import import_paths
    from kb.models import Document, PostMortem, Runbook

    report = import_paths([CORPUS])
    outcomes = {os.path.normpath(r.path): r.outcome for r in report.results}
    score = Score()
    for entry in load_labels():
        where = stored_path(entry["path"])
        if not os.path.exists(where):
            raise SystemExit(f"{entry['label_file']}: no such corpus file {entry['path']}")
        documents = list(Document.objects.filter(source_path=where))
        score_kind(score, entry, documents, outcomes.get(where, "not imported"))
        if entry["kind"] == "postmortem":
            score_postmortem(score, entry, PostMortem.objects.filter(source_path=where).first())
        elif entry["kind"] == "runbook":
            score_alerts(score, entry, list(Runbook.objects.filter(source_path=where).select_related("alert")))
    return score, {"imported": report.summary()}


def table(score: Score) -> str:
    lines = [f"{'field':<16} {'collection':<36} {'right':>6} {'labelled':>9} {'accuracy':>9}"]
    lines.append("-" * len(lines[0]))
    for field in FIELDS:
        for where, right, labelled in score.rows(field):
            accuracy = f"{100 * right / labelled:.1f}%" if labelled else "-"
            name = field if where != "all" else ""
            lines.append(f"{name:<16} {where:<36} {right:>6} {labelled:>9} {accuracy:>9}")
        lines.append("")
    return "\n".join(lines)


def figures(score: Score, extra: dict) -> dict:
    return {
        **extra,
        "fields": {
            field: {
                where: {
                    "right": right,
                    "labelled": labelled,
                    "accuracy": round(right / labelled, 4) if labelled else None,
                }
                for where, right, labelled in score.rows(field)
            }
            for field in FIELDS
        },
        "misses": {field: score.misses[field] for field in FIELDS if score.misses[field]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every miss: path: expected vs got")
    parser.add_argument("--json", metavar="PATH", help="write the figures (and the misses) as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        score, extra = measure()
    print(f"Understanding of ../shared/corpus against hand labels (import: {extra['imported']})\n")
    print(table(score))
    if args.misses:
        for field in FIELDS:
            if score.misses[field]:
                print(f"## misses: {field} ({len(score.misses[field])})")
                print("\n".join(f"- {miss}" for miss in score.misses[field]))
                print()
    if args.json:
        Path(args.json).write_text(json.dumps(figures(score, extra), indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
