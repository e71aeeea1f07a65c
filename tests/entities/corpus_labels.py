"""The labelled corpus sample of tests/fixtures/entities/corpus-labels.yaml and how it is scored, shared by
tests/entities/test_junk.py and bench/entities_precision.py."""

from __future__ import annotations

from pathlib import Path

import yaml

from kb.entities.extraction import extract
from kb.markdown.errors import NotADocument, ParseError
from kb.markdown.parsing import decode, parse_document
from kb.markdown.references import numbers_are_links
from kb.markdown.rendering import render
from kb.markdown.syntax import source_parts

LABELS_PATH = Path(__file__).parents[1] / "fixtures" / "entities" / "corpus-labels.yaml"


def corpus_labels() -> dict[str, dict]:
    return yaml.safe_load(LABELS_PATH.read_text(encoding="utf-8"))


def key(name) -> str:
    """A name as compared: any case; a directory with or without its trailing slash."""
    text = str(name).lower()
    return text.rstrip("/") or text


def score(found: dict[str, str], labels: dict) -> tuple[set[str], set[str], set[str]]:
    """Right, wrong and missed names: right when labelled with that kind, wrong unless labelled neutral."""
    expected = {key(name): set(kinds.split("|")) for name, kinds in (labels.get("expected") or {}).items()}
    neutral = {key(name) for name in labels.get("neutral") or []}
    right = {name for name, kind in found.items() if kind in expected.get(key(name), ())}
    wrong = {f"{name} ({kind})" for name, kind in found.items() if name not in right and key(name) not in neutral}
    missed = set(expected) - {key(name) for name in right}
    return right, wrong, missed


def extracted(path: Path, relative: str) -> dict[str, str]:
    """What extraction finds in the document's outline, whatever kind the importer takes it for (a document
    it still refuses is scored on its outline too)."""
    text = decode(path.read_bytes())
    try:
        parsed = parse_document(text, relative)
        outline, labels, own_date, body = parsed.outline, parsed.labels, parsed.date, parsed.body
        subject = parsed.alert if parsed.kind == "runbook" else None
    except (NotADocument, ParseError):
        body = source_parts(text).body
        outline, subject, labels, own_date = render(body, source_path=relative).blocks, None, {}, None
    findings = extract(
        outline, subject=subject, labels=labels, own_date=own_date, bare_incidents=not numbers_are_links(body)
    )
    return {f.name: f.kind for f in findings}
