"""Entity extraction cost and quality, measured against plain import in the same run.

    .venv/bin/python bench/entities.py [--rounds 3]

Imports the shared corpus (runbooks, post-mortems) and the seeds into a throwaway SQLite
database, alternately without extraction (the baseline: `mentions_write` switched off) and with
it, and reports the best time of each and their ratio; then the pure extraction time against
the pure parse time of the same documents, `manage.py relink`, and precision/recall on the
labelled documents of tests/fixtures/entities. Appends a summary to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from common import setup_django  # noqa: E402  (bench/common, beside this script)


def corpus_paths() -> list[Path]:
    return [SHARED / "corpus" / "runbooks", SHARED / "corpus" / "postmortems", SHARED / "seeds"]


def timed_import(*, extract: bool) -> tuple[float, int]:
    from kb.documents import importing, saving
    from kb.entities.mentions import mentions_write
    from kb.models import Document, Entity

    Document.objects.all().delete()
    Entity.objects.all().delete()
    saving.mentions_write = mentions_write if extract else (lambda **kwargs: [])
    started = time.perf_counter()
    report = importing.import_paths(corpus_paths())
    elapsed = time.perf_counter() - started
    saving.mentions_write = mentions_write
    return elapsed, report.count("created")


def pure_times() -> tuple[float, float, int]:
    from kb.entities.extraction import extract
    from kb.markdown.parsing import NotADocument, ParseError, decode, parse_document

    parsed = []
    started = time.perf_counter()
    for root in corpus_paths():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            try:
                parsed.append(parse_document(decode(path.read_bytes()), path.relative_to(root).as_posix()))
            except (NotADocument, ParseError, UnicodeDecodeError):
                continue
    parse_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for doc in parsed:
        extract(doc.outline, subject=doc.alert, labels=doc.labels, own_date=doc.date)
    return parse_seconds, time.perf_counter() - started, len(parsed)


def quality() -> tuple[float, float, int, int, int]:
    """Precision and recall on the labelled documents, scored as the tests score them."""
    from tests.entities.test_entities import LABELS, found_in, labelled_path, score

    hits = false = missed = 0
    for name, labels in LABELS.items():
        found = found_in(labelled_path(name, ROOT / "tests" / "fixtures" / "seeds").read_text(), Path(name).name)
        good, wrong, lost = score(found, labels)
        hits, false, missed = hits + len(good), false + len(wrong), missed + len(lost)
    return hits / (hits + false), hits / (hits + missed), hits, false, missed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        from django.core.management import call_command

        from kb.models import Entity, Mention

        plain, full = [], []
        for _ in range(args.rounds):
            seconds, documents = timed_import(extract=False)
            plain.append(seconds)
            seconds, documents = timed_import(extract=True)
            full.append(seconds)
        entities, mentions = Entity.objects.count(), Mention.objects.count()
        started = time.perf_counter()
        call_command("relink", stdout=open(os.devnull, "w"))
        relink = time.perf_counter() - started
        parse_seconds, extract_seconds, parsed = pure_times()
        precision, recall, hits, false, missed = quality()

    lines = [
        f"## Entity extraction ({date.today().isoformat()}, `bench/entities.py --rounds {args.rounds}`, SQLite)",
        "",
        f"- corpus: {documents} documents imported, {entities} entities, {mentions} mentions",
        f"- import without extraction: {min(plain):.2f} s (best of {args.rounds})",
        f"- import with extraction: {min(full):.2f} s (best of {args.rounds}): "
        f"**{min(full) / min(plain):.2f}×** the plain import",
        f"- pure extraction {extract_seconds:.2f} s vs pure parsing {parse_seconds:.2f} s of the same {parsed} documents: "
        f"**{extract_seconds / parse_seconds:.2f}×**",
        f"- `manage.py relink` (parse again + extract + write, every document): {relink:.2f} s",
        f"- labelled documents: precision {precision:.2f}, recall {recall:.2f} ({hits} found, {false} wrong, {missed} missed)",
        "",
    ]
    print("\n".join(lines))
    with open(ROOT / "BENCHMARKS.md", "a") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
