"""Imports markdown files into the knowledge base: finds files, parses them, writes documents.

Files are written in batches, a transaction each (`BATCH_FILES`), and each file in a savepoint of its
own: one bad file never costs the others, an interrupted import leaves whole documents (the batches
committed before), and nothing already stored is deleted: a vanished file is archived at most. A
file's outcome is reported once its batch is committed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from kb.documents.batches import SaveBatch
from kb.documents.files import name_problem, shown_name
from kb.documents.prefixes import starting_with
from kb.documents.reading import Candidate, Reading, is_long, read_candidate, readings
from kb.documents.saving import document_identity, document_save, saves_ahead
from kb.entities.counts import counts_documents_archived
from kb.entities.extraction import Vocabulary
from kb.entities.mentions import vocabulary_load
from kb.markdown.parsing import ParsedDocument, ParseError, content_hash
from kb.models import (
    Document,
    Runbook,
)
from kb.models.rows import bulk_writes, commit_checks_by_index
from kb.models.savepoints import savepoint_if_sending
from kb.ops.metrics import import_outcomes_observe
from kb.search import search_index_compact


@dataclass
class FileResult:
    path: str
    outcome: str  # created, updated, unchanged, skipped, failed
    message: str = ""
    document: Document | None = None
    # Kept when the import lets go of `document` (a long import holds outcomes, not documents).
    document_id: int | None = None
    # A file with many alerts: the runbook saved for each alert section (and those archived).
    parts: list[FileResult] = field(default_factory=list)
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


def find_files(paths: Iterable[str | Path], report: ImportReport) -> list[Candidate]:
    """The files under the paths given, and nothing outside them: a symbolic link whose target is
    outside its folder is skipped and named, a file name with control characters fails."""
    found: list[Candidate] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            root = path.resolve()
            for dirpath, dirnames, filenames in os.walk(path):
                folder = Path(dirpath)
                for name in list(dirnames):
                    if (folder / name).is_symlink():
                        # os.walk does not follow them; what is inside the tree is imported from where it is.
                        dirnames.remove(name)
                        if not name.startswith("."):
                            report.results.append(_link_skipped(folder / name, root))
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    file = folder / name
                    if name.startswith("."):
                        continue
                    relative = file.relative_to(path).as_posix()
                    if problem := name_problem(relative):
                        report.results.append(FileResult(shown_name(str(file)), "failed", problem))
                    elif file.is_symlink() and not file.resolve().is_relative_to(root):
                        report.results.append(_link_skipped(file, root))
                    else:
                        found.append(Candidate(file, relative, path))
        elif path.is_file():
            if problem := name_problem(path.name):
                report.results.append(FileResult(shown_name(str(path)), "failed", problem))
            else:
                found.append(Candidate(path, path.name, None))
        else:
            report.results.append(FileResult(shown_name(str(path)), "failed", "no such file or directory"))
    return found


def _link_skipped(link: Path, root: Path) -> FileResult:
    target = link.resolve()
    where = (
        "outside the imported folder" if not target.is_relative_to(root) else "inside the folder, imported from there"
    )
    kind = "folder" if link.is_dir() else "file"
    return FileResult(
        shown_name(str(link)), "skipped", f"symbolic link to a {kind} {where} ({shown_name(os.readlink(link))})"
    )


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
    batch = None if dry_run else SaveBatch()
    # Each batch a transaction of its own, unless the caller's holds the import (its savepoints, then).
    commits = not transaction.get_connection().in_atomic_block
    # A long import's connection tuned for its batches (SQLite: `bulk_writes`); a few files (a Git sync, a test)
    # write a few pages, and the server's connection keeps its small cache.
    with (
        bulk_writes() if not dry_run and is_long(candidates) else nullcontext(),
        readings(candidates, batch_files=BATCH_FILES, vocabulary=vocabulary, dry_run=dry_run) as read,
    ):
        for first in range(0, len(candidates), BATCH_FILES):
            results: list[FileResult] = []
            error: Exception | None = None
            with transaction.atomic():
                chosen = candidates[first : first + BATCH_FILES]
                read_now = [next(read) for _ in chosen]
                if batch is not None:
                    saves_ahead(
                        batch, [(c.identity, r.parsed) for c, r in zip(chosen, read_now) if r.parsed], vocabulary
                    )
                    batch.entities_ahead([(r.parsed, r.ahead) for r in read_now if r.parsed])
                for candidate, reading in zip(chosen, read_now):
                    if candidate.root is not None:
                        seen_roots.setdefault(candidate.root, set()).add(candidate.identity)
                    try:
                        result = import_file(
                            candidate, dry_run=dry_run, vocabulary=vocabulary, batch=batch, reading=reading
                        )
                    except Exception as exc:  # no file's fault (a bug, the database): the files before it are kept
                        error = exc
                        break
                    for saved in (result, *result.parts):
                        if isinstance(saved.document, Runbook) and saved.document.alert is not None:
                            vocabulary = vocabulary.with_alert(saved.document.alert.name)
                    results.append(result)
                if batch is not None:
                    batch.write(vocabulary=vocabulary)
                if commits:
                    commit_checks_by_index()
            for n, result in enumerate(results, start=first + 1):
                report.results.append(result)
                if progress:
                    progress(n, len(candidates), result)
                # The report keeps outcomes, not documents: 12,000 stored texts and their HTML would stay in memory.
                for saved in (result, *result.parts):
                    saved.document_id, saved.document = getattr(saved.document, "pk", None), None
            if error is not None:
                raise error
    if prune:
        for root, identities in seen_roots.items():
            report.results.extend(_prune(root, identities, dry_run=dry_run))
    if not dry_run:
        import_outcomes_observe(result.outcome for result in report.results)
        if written := sum(result.outcome in ("created", "updated") for result in report.results):
            search_index_compact(documents=written)
    return report


# Files a transaction: most of an import's commits and batched work, and at most this many files to
# import again after an interruption. 50, not 25: each commit writes again the index pages every batch
# touches; 12,000 documents into SQLite wrote 3.2 GB instead of 3.8 (BENCHMARKS.md, "Import speed: the
# importing process, round 11").
BATCH_FILES = 50


def import_file(
    candidate: Candidate,
    *,
    dry_run: bool = False,
    vocabulary: Vocabulary | None = None,
    batch: SaveBatch | None = None,
    reading: Reading | None = None,
) -> FileResult:
    """One file, in a savepoint of its own (a transaction when called alone); with `batch`, its
    caller writes the batch's shared work (`SaveBatch.write`) before committing, and the savepoint is
    taken only if the file's saves send a statement (a new file's send none). `reading`: the file
    already read (`read_candidate`)."""
    shown = str(candidate.path)
    reading = reading or read_candidate(candidate)
    if reading.parsed is None:
        return FileResult(shown, reading.outcome, reading.message)
    text, parsed = reading.text, reading.parsed
    identity = document_identity(parsed, candidate.identity)
    try:
        if dry_run:
            return FileResult(shown, _dry_outcome(identity, text), _warning_text(parsed), kind=parsed.kind)
        with (
            batch.one(reading.ahead_by_document()) if batch is not None else nullcontext(),
            savepoint_if_sending() if batch is not None else transaction.atomic(),
        ):
            document, outcome = document_save(
                parsed,
                identity=identity,
                source_path=os.path.normpath(shown),
                source_text=text,
                reason=f"imported from {shown}",
                vocabulary=vocabulary,
                batch=batch,
            )
            parts = _save_parts(parsed, identity, shown, vocabulary, batch)
    except ParseError as exc:
        return FileResult(shown, "failed", str(exc))
    message = _warning_text(parsed) if outcome != "unchanged" else ""
    if parts:
        counts = {o: sum(1 for p in parts if p.outcome == o) for o in ("created", "updated", "unchanged", "archived")}
        shown_counts = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        message = "; ".join(filter(None, [message, f"{len(parts)} alert runbooks ({shown_counts})"]))
    return FileResult(shown, outcome, message, document, parts, kind=parsed.kind)


def _save_parts(
    parsed: ParsedDocument, identity: str, shown: str, vocabulary: Vocabulary | None, batch: SaveBatch | None
) -> list[FileResult]:
    """One runbook per alert section of a file with many, each its own document `<identity>#<alert>`;
    the runbooks of alert sections the file no longer has are archived, like a vanished file."""
    results = []
    identities = set()
    for part in parsed.parts:
        part_identity = f"{identity}#{part.alert}"
        identities.add(part_identity)
        document, outcome = document_save(
            part.parsed,
            identity=part_identity,
            source_path=os.path.normpath(shown),
            source_text=part.text,
            reason=f"imported from {shown}#{part.anchor}",
            vocabulary=vocabulary,
            batch=batch,
        )
        results.append(FileResult(f"{shown}#{part.anchor}", outcome, "", document, kind="runbook"))
    if batch is not None and not batch.has_parts(identity):
        return results  # none stored before: nothing to archive
    # One read: most files have no alert sections, before or now, and nothing to archive.
    gone = list(
        Runbook.objects.filter(starting_with("identity", f"{identity}#"), archived=False)
        .exclude(identity__in=identities)
        .only("pk", "part_anchor")
    )
    for document in gone:
        results.append(
            FileResult(f"{shown}#{document.part_anchor}", "archived", "alert section no longer exists", document)
        )
    if gone:
        counts_documents_archived(document_ids=[document.pk for document in gone])
        Document.objects.filter(pk__in=[document.pk for document in gone]).update(
            archived=True, updated_at=timezone.now()
        )
    return results


def _warning_text(parsed: ParsedDocument) -> str:
    return "; ".join(parsed.warnings)


def _dry_outcome(identity: str, text: str) -> str:
    existing = Document.objects.filter(identity=identity).values_list("content_hash", "archived").first()
    if existing is None:
        return "created"
    return "unchanged" if existing == (content_hash(text), False) else "updated"


def _prune(root: Path, identities: set[str], *, dry_run: bool) -> list[FileResult]:
    prefix = os.path.normpath(str(root)) + os.sep
    stored = Document.objects.filter(source_path__startswith=prefix, archived=False).exclude(identity__in=identities)
    # An alert section's runbook (`<file identity>#<alert>`) goes with its file.
    gone = [doc for doc in stored if doc.identity.partition("#")[0] not in identities]
    results = [FileResult(doc.source_path, "archived", "file no longer exists", doc) for doc in gone]
    if not dry_run:
        counts_documents_archived(document_ids=[doc.pk for doc in gone])
        Document.objects.filter(pk__in=[doc.pk for doc in gone]).update(archived=True, updated_at=timezone.now())
    return results
