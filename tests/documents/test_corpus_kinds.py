"""On the real collections in ../shared/corpus: every document is imported as the kind a reader gives it."""

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from kb.models import Document

pytestmark = [pytest.mark.django_db, pytest.mark.corpus]

LABELS = Path(__file__).resolve().parents[2] / "bench" / "understanding"


def test_no_corpus_document_is_refused_or_misread_for_its_kind(corpus):
    out = StringIO()
    call_command("import_docs", str(corpus / "runbooks"), str(corpus / "postmortems"), stdout=out, stderr=StringIO())
    assert "cannot tell" not in out.getvalue()
    stored = {}
    for document in Document.objects.all():
        path = Path(document.source_path).resolve().relative_to(corpus.resolve()).as_posix()
        stored.setdefault(path, set()).add(document.kind)
    wrong = []
    for label_file in sorted(LABELS.glob("*.yaml")):
        for entry in yaml.safe_load(label_file.read_text(encoding="utf-8"))["files"]:
            kinds = stored.get(entry["path"], set())
            expected = entry["kind"]
            ok = {
                "postmortem": "postmortem" in kinds,
                # A file of many alerts may keep the rest of its text as a note beside its runbooks.
                "runbook": "runbook" in kinds and "postmortem" not in kinds,
                "note": "postmortem" not in kinds,
                "skip": not kinds,
            }[expected]
            if not ok:
                wrong.append(f"{entry['path']}: labelled {expected}, stored as {sorted(kinds) or 'nothing'}")
    assert wrong == []
