"""Entity precision and junk on the real corpus, against labels written by hand (issue #10).

    .venv/bin/python bench/entities_precision.py [--misses]

Imports ../shared/corpus with `kb.documents.importing.import_paths` into a throwaway SQLite database and
prints:
- incidents: every Incident row the import created, with the documents that name it. The corpus names
  few incidents of its own (most of its `#N` are pull requests, issues, chat channels and HTML entities),
  so each row neither labelled as an incident in tests/fixtures/entities/corpus-labels.yaml nor one of
  `NAMED_INCIDENTS` is junk;
- entities by kind, and how many of the names the labels mark `absent` became entities anywhere;
- precision and recall on the ten labelled documents, twice: as stored (the entities of the document's
  mentions, steered by what the rest of the corpus taught the knowledge base) and as extracted from the
  outline alone (which scores a document the importer refuses too). A found name counts as right when the
  labels expect it with that kind, wrong unless the labels call it neutral. `--misses` lists each.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))

from common import setup_django  # noqa: E402  (bench/common, beside this script)

# Incidents the corpus names outside the ten labelled documents, found by reading: the alarm numbers of
# moj-cloud-platform's 2022-11-15 report ("High Priority Alarms - #347423 Pingdom check … / Resolved: #347424 …").
NAMED_INCIDENTS = {"#347423", "#347424"}


def stored(path: Path) -> dict[str, str] | None:
    from kb.models import Document, Mention

    documents = Document.objects.filter(source_path=os.path.normpath(str(path)))
    if not documents.exists():
        return None
    mentions = Mention.objects.filter(document__in=documents, entity__ignored=False)
    return dict(mentions.values_list("entity__name", "entity__kind"))


def figures(rows: list[tuple[str, set, set, set]]) -> tuple[float, float, int, int, int]:
    right = sum(len(r) for _, r, _, _ in rows)
    wrong = sum(len(w) for _, _, w, _ in rows)
    missed = sum(len(m) for _, _, _, m in rows)
    precision = right / (right + wrong) if right + wrong else 1.0
    recall = right / (right + missed) if right + missed else 1.0
    return precision, recall, right, wrong, missed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true", help="list every wrong and missed name")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        from django.db.models.functions import Lower

        from kb.documents.importing import import_paths
        from kb.models import Entity, Incident
        from tests.entities.corpus_labels import corpus_labels, extracted, score

        labels = corpus_labels()

        report = import_paths([CORPUS])
        print(f"imported: {report.summary()}")

        real = {
            str(n).lower()
            for entry in labels.values()
            for n, k in (entry.get("expected") or {}).items()
            if k == "incident"
        } | NAMED_INCIDENTS
        incidents = list(Incident.objects.prefetch_related("documents"))
        junk = [i for i in incidents if i.reference.lower() not in real]
        print(f"incidents: {len(incidents)} created, {len(junk)} from non-references")
        for incident in junk[:40]:
            named_by = ", ".join(sorted(Path(d.source_path).name for d in incident.documents.all()))
            print(f"  {incident.reference!r} named by {named_by}")

        kinds = Counter(Entity.objects.values_list("kind", flat=True))
        print("entities: " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())))
        absent = {str(n).lower() for entry in labels.values() for n in entry.get("absent") or []}
        junk_entities = Entity.objects.annotate(key=Lower("name")).filter(key__in=absent).values_list("name", "kind")
        print(f"names labelled absent that became entities: {len(junk_entities)} {sorted(junk_entities)}")

        for how in ("stored", "extracted"):
            rows, not_imported = [], []
            for relative, entry in labels.items():
                path = CORPUS / relative
                found = stored(path) if how == "stored" else extracted(path, relative)
                if found is None:
                    not_imported.append(relative)
                    found = {}
                rows.append((relative, *score(found, entry)))
            precision, recall, right, wrong, missed = figures(rows)
            print(
                f"{how}: precision {precision:.3f}, recall {recall:.3f} ({right} right, {wrong} wrong, {missed} missed"
                f" on {len(labels)} documents{f', {len(not_imported)} not imported' if not_imported else ''})"
            )
            if args.misses:
                for relative, _, wrong_names, missed_names in rows:
                    if wrong_names or missed_names:
                        print(f"  {relative}: wrong {sorted(wrong_names)}, missed {sorted(missed_names)}")
                for relative in not_imported:
                    print(f"  {relative}: not imported")


if __name__ == "__main__":
    main()
