"""Imports markdown files into the knowledge base: finds files, parses them, writes documents.

Each file is written in its own transaction, so one bad file never costs the others,
and nothing already stored is deleted: a vanished file is archived at most.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.text import slugify

from kb.models import (
    Alert,
    Document,
    DocumentKind,
    FollowUp,
    Incident,
    Lesson,
    PostMortem,
    ResolutionEntry,
    Revision,
    Runbook,
    Section,
)
from kb.entities import Vocabulary
from kb.mentions import mentions_write, vocabulary_load
from kb.parsing import NotADocument, ParsedDocument, ParseError, content_hash, decode, parse_document
from kb.search_index import search_index_incidents, search_index_update

TEXT_SUFFIXES = {".md", ".markdown", ".txt", ""}
# Files every repository has that are about the repository, not runbooks or post-mortems.
REPOSITORY_FILES = {
    "readme", "license", "licence", "copying", "notice", "changelog", "contributing",
    "code_of_conduct", "security", "authors", "codeowners", "makefile", "dockerfile",
}


@dataclass
class FileResult:
    path: str
    outcome: str  # created, updated, unchanged, skipped, failed
    message: str = ""
    document: Document | None = None


@dataclass
class ImportReport:
    results: list[FileResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def failed(self) -> bool:
        return any(r.outcome == "failed" for r in self.results)

    def summary(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in ("created", "updated", "unchanged", "skipped", "failed")]
        archived = self.count("archived")
        if archived:
            parts.append(f"{archived} archived")
        return ", ".join(parts)


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


def skip_reason(path: Path) -> str | None:
    suffix = path.suffix.lower()
    # "Upgrade to v1.2" has a dot but no extension: only a short alphabetic suffix is one.
    has_extension = bool(suffix) and suffix[1:].isalnum() and not suffix[1:].isdigit() and len(suffix) <= 10
    if has_extension and suffix not in TEXT_SUFFIXES:
        return f"not a markdown or text file ({suffix})"
    stem = path.name.split(".")[0].lower()
    if stem in REPOSITORY_FILES:
        return "repository file, not a runbook or post-mortem"
    # A blank form to copy ("Postmortem template", "runbook_template", "TEMPLATE-incident",
    # "PostmortemTemplate"); "helm-template-outage" is a real document.
    name = path.name[: -len(suffix)] if has_extension else path.name
    words = "".join(c if c.isalnum() else " " for c in name.lower()).split()
    if words and "template" in (words[0], words[-1]) or name.endswith("Template"):
        return "template"
    return None


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
            return FileResult(shown, _dry_outcome(identity, text), _warning_text(parsed))
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
    return FileResult(shown, outcome, _warning_text(parsed) if outcome != "unchanged" else "", document)


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


class VersionConflict(Exception):
    """Someone saved the document after the version this write started from; nothing was written."""

    def __init__(self, document: Document | None, expected_version: int):
        self.document = document
        self.expected_version = expected_version
        current = document.version if document is not None else "deleted"
        super().__init__(f"the document is now at version {current}, not {expected_version}: someone saved it meanwhile")


@transaction.atomic
def document_save(
    parsed: ParsedDocument,
    *,
    identity: str,
    source_path: str,
    source_text: str,
    reason: str,
    author=None,
    edited_on_web: bool = False,
    expected_version: int | None = None,
    vocabulary: Vocabulary | None = None,
) -> tuple[Document, str]:
    """Creates or updates the document for `identity`; returns it with created/updated/unchanged.

    With `expected_version` (0: the document must not exist yet) the write is a compare-and-set:
    when the stored version differs, `VersionConflict` is raised and nothing changes.
    `vocabulary` is what the knowledge base knows for extracting entities (read when not given).
    """
    digest = content_hash(source_text)
    model = Runbook if parsed.kind == DocumentKind.RUNBOOK else PostMortem
    existing = Document.objects.select_for_update().filter(identity=identity).first()
    if expected_version is not None:
        # The row is locked until commit (SQLite locks the whole database for the write), so the
        # version cannot move between this check and the save below. Saving the very text that is
        # stored loses nothing, whatever version the writer started from.
        current = existing.version if existing is not None else 0
        same_text = existing is not None and existing.content_hash == digest and not existing.archived
        if current != expected_version and not same_text:
            raise VersionConflict(existing, expected_version)
    if existing is not None:
        if existing.kind != parsed.kind:
            raise ParseError(
                f"was imported as a {existing.get_kind_display()} and now reads as a "
                f"{DocumentKind(parsed.kind).label}; set `kind:` in its front matter to keep it one kind"
            )
        if existing.content_hash == digest and not existing.archived:
            return existing, "unchanged"
        document = model.objects.get(pk=existing.pk)
        document.version += 1
        outcome = "updated"
    else:
        document = model(identity=identity, kind=parsed.kind, slug=_free_slug(parsed, identity))
        outcome = "created"

    document.title = parsed.title[:500]
    document.source_path = source_path
    document.source_text = source_text
    document.content_hash = digest
    document.metadata = parsed.front_matter | ({"fields": parsed.metadata} if parsed.metadata else {})
    document.html = parsed.html
    document.warnings = parsed.warnings
    document.archived = False
    document.edited_on_web = edited_on_web
    document.updated_at = timezone.now()
    if isinstance(document, Runbook):
        document.alert = alert_for_name(parsed.alert)
        document.labels = parsed.labels
    else:
        document.date = parsed.date
        document.duration = parsed.duration[:500]
        document.severity = parsed.severity[:100]
        document.affected = parsed.affected
        document.status = parsed.status
        document.summary = parsed.summary
    document.save()

    _replace_parts(document, parsed)
    created_incidents = _link_incidents(document, parsed)
    search_index_update(document=document, sections=parsed.sections)
    search_index_incidents(incidents=created_incidents)
    mentions_write(document=document, parsed=parsed, vocabulary=vocabulary)
    last = document.revisions.aggregate(n=Max("number"))["n"] or 0
    Revision.objects.create(
        document=document, number=last + 1, source_text=source_text, content_hash=digest, author=author, reason=reason
    )
    return document, outcome


def alert_for_name(name: str | None) -> Alert | None:
    if not name:
        return None
    alert = Alert.objects.filter(name__iexact=name).first()
    return alert or Alert.objects.create(name=name)


def _free_slug(parsed: ParsedDocument, identity: str) -> str:
    """The file name, made unique by its folders and then by a number when another document has it."""
    if parsed.slug_hint or parsed.identity:
        options = [slugify(parsed.slug_hint or parsed.identity)]
    else:
        parts = identity.rsplit(".", 1)[0].split("/") if "." in identity.rsplit("/", 1)[-1] else identity.split("/")
        options = [slugify("-".join(parts[-n:])) for n in range(1, len(parts) + 1)]
    options = [o[:180] for o in options if o] or ["document"]
    taken = set(
        Document.objects.filter(kind=parsed.kind)
        .filter(Q(slug__in=options) | Q(slug__startswith=f"{options[-1]}-"))
        .values_list("slug", flat=True)
    )
    for option in options:
        if option not in taken:
            return option
    n = 2
    while f"{options[-1]}-{n}" in taken:
        n += 1
    return f"{options[-1]}-{n}"


def _replace_parts(document: Document, parsed: ParsedDocument) -> None:
    document.sections.all().delete()
    Section.objects.bulk_create(
        Section(document=document, position=i, heading=s.heading[:500], level=s.level, anchor=s.anchor[:200], markdown=s.markdown)
        for i, s in enumerate(parsed.sections)
    )
    if isinstance(document, Runbook):
        document.resolution_entries.all().delete()
        ResolutionEntry.objects.bulk_create(
            ResolutionEntry(
                runbook=document, position=i, date=r.date, incidents=r.incidents,
                old=r.old[:500], new=r.new[:500], notes=r.notes, cells=r.cells,
            )
            for i, r in enumerate(parsed.resolution_history)
        )
    else:
        document.follow_ups.all().delete()
        FollowUp.objects.bulk_create(
            FollowUp(postmortem=document, position=i, text=f.text, status=f.status, owner=f.owner[:200], due=f.due)
            for i, f in enumerate(parsed.follow_ups)
        )
        document.lessons.all().delete()
        Lesson.objects.bulk_create(
            Lesson(postmortem=document, position=i, text=text) for i, text in enumerate(parsed.lessons)
        )


def _link_incidents(document: Document, parsed: ParsedDocument) -> list[Incident]:
    """Links the incidents the document names, creating those not known yet; returns the created ones."""
    references = list(dict.fromkeys(parsed.incidents + [ref for row in parsed.resolution_history for ref in row.incidents]))
    existing = {i.reference: i for i in Incident.objects.filter(reference__in=references)}
    alert = document.alert if isinstance(document, Runbook) else None
    missing = [
        Incident(reference=ref, alert=alert, runbook=document if isinstance(document, Runbook) else None)
        for ref in references
        if ref not in existing
    ]
    created = Incident.objects.bulk_create(missing)  # with their ids (PostgreSQL, SQLite 3.35+)
    document.incidents_named.set([*existing.values(), *created])
    return created
