"""Imports markdown files into the knowledge base: finds files, parses them, writes documents.

Each file is written in its own transaction, so one bad file never costs the others,
and nothing already stored is deleted: a vanished file is archived at most.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

from kb.documents.files import skip_reason
from kb.documents.saving import document_save
from kb.entities.extraction import Vocabulary
from kb.entities.mentions import vocabulary_load
from kb.markdown.parsing import NotADocument, ParsedDocument, ParseError, content_hash, decode, parse_document
from kb.models import (
    Document,
    Runbook,
)


@dataclass
class FileResult:
    path: str
    outcome: str  # created, updated, unchanged, skipped, failed
    message: str = ""
    document: Document | None = None
    kind: str = ""  # runbook, postmortem or note, for a file read as a document


# How the summary names each kind, singular and plural.
KIND_NAMES = {
    "runbook": ("runbook", "runbooks"),
    "postmortem": ("post-mortem", "post-mortems"),
    "note": ("note", "notes"),
}


@dataclass
class ImportReport:
    results: list[FileResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def failed(self) -> bool:
        return any(r.outcome == "failed" for r in self.results)

    def summary(self) -> str:
        """ "3 created (1 runbook, 2 post-mortems), 0 updated, …": created and updated counted by kind too."""
        parts = [
            f"{self.count(o)} {o}{self._by_kind(o)}" for o in ("created", "updated", "unchanged", "skipped", "failed")
        ]
        archived = self.count("archived")
        if archived:
            parts.append(f"{archived} archived")
        return ", ".join(parts)

    def _by_kind(self, outcome: str) -> str:
        if outcome not in ("created", "updated") or not self.count(outcome):
            return ""
        counts = [(sum(1 for r in self.results if r.outcome == outcome and r.kind == k), k) for k in KIND_NAMES]
        return " (" + ", ".join(f"{n} {KIND_NAMES[k][n != 1]}" for n, k in counts if n) + ")"


@dataclass
class Candidate:
    path: Path
    identity: str
    root: Path | None  # the directory it was found in, for --prune


def find_files(paths: Iterable[str | Path], report: ImportReport) -> list[Candidate]:
    found: list[Candidate] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    file = Path(dirpath) / name
                    if not name.startswith("."):
                        found.append(Candidate(file, file.relative_to(path).as_posix(), path))
        elif path.is_file():
            found.append(Candidate(path, path.name, None))
        else:
            report.results.append(FileResult(str(path), "failed", "no such file or directory"))
    return found


def import_paths(
    paths: Iterable[str | Path],
    *,
    dry_run: bool = False,
    prune: bool = False,
    progress: Callable[[int, int, FileResult], None] | None = None,
) -> ImportReport:
    report = ImportReport()
    candidates = find_files(paths, report)
    seen_roots: dict[Path, set[str]] = {}
    # Read once, not per file; each runbook's alert joins it, so that files later in the import know it.
    vocabulary = vocabulary_load()
    for n, candidate in enumerate(candidates, start=1):
        if candidate.root is not None:
            seen_roots.setdefault(candidate.root, set()).add(candidate.identity)
        result = import_file(candidate, dry_run=dry_run, vocabulary=vocabulary)
        if isinstance(result.document, Runbook) and result.document.alert is not None:
            vocabulary = vocabulary.with_alert(result.document.alert.name)
        report.results.append(result)
        if progress:
            progress(n, len(candidates), result)
    if prune:
        for root, identities in seen_roots.items():
            report.results.extend(_prune(root, identities, dry_run=dry_run))
    return report


def import_file(candidate: Candidate, *, dry_run: bool = False, vocabulary: Vocabulary | None = None) -> FileResult:
    shown = str(candidate.path)
    reason = skip_reason(candidate.path)
    if reason:
        return FileResult(shown, "skipped", reason)
    try:
        data = candidate.path.read_bytes()
        text = decode(data)
        parsed = parse_document(text, candidate.identity)
    except NotADocument as exc:
        return FileResult(shown, "skipped", str(exc))
    except (ParseError, OSError) as exc:
        return FileResult(shown, "failed", str(exc))
    identity = f"id:{parsed.identity}" if parsed.identity else candidate.identity
    try:
        if dry_run:
            return FileResult(shown, _dry_outcome(identity, text), _warning_text(parsed), kind=parsed.kind)
        document, outcome = document_save(
            parsed,
            identity=identity,
            source_path=os.path.normpath(shown),
            source_text=text,
            reason=f"imported from {shown}",
            vocabulary=vocabulary,
        )
    except ParseError as exc:
        return FileResult(shown, "failed", str(exc))
    message = _warning_text(parsed) if outcome != "unchanged" else ""
    return FileResult(shown, outcome, message, document, kind=parsed.kind)


def _warning_text(parsed: ParsedDocument) -> str:
    return "; ".join(parsed.warnings)


def _dry_outcome(identity: str, text: str) -> str:
    existing = Document.objects.filter(identity=identity).values_list("content_hash", "archived").first()
    if existing is None:
        return "created"
    return "unchanged" if existing == (content_hash(text), False) else "updated"


def _prune(root: Path, identities: set[str], *, dry_run: bool) -> list[FileResult]:
    prefix = os.path.normpath(str(root)) + os.sep
    gone = Document.objects.filter(source_path__startswith=prefix, archived=False).exclude(identity__in=identities)
    results = [FileResult(doc.source_path, "archived", "file no longer exists", doc) for doc in gone]
    if not dry_run:
        gone.update(archived=True, updated_at=timezone.now())
    return results
