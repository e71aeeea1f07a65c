"""Gives the documents back as markdown files, so a Git repository and the web stay one source.

A document is written at the path it was imported from (relative to the imported folder), so
importing the exported folder finds the same identities and slugs. Its stored text is written
byte for byte: as imported when never edited on the web, in the canonical layout when it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kb.documents.files import name_problem, shown_name, skip_reason
from kb.models import Document


def download_name(document: Document) -> str:
    return PurePosixPath(document.file_path).name


@dataclass
class ExportReport:
    written: list[tuple[str, Document]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    archived_skipped: int = 0

    def summary(self) -> str:
        edited = sum(1 for _path, document in self.written if document.edited_on_web)
        text = f"{len(self.written)} written ({edited} edited on the web)"
        if self.archived_skipped:
            text += f", {self.archived_skipped} archived not written"
        return text


def documents_export(*, directory: Path, include_archived: bool = False) -> ExportReport:
    report = ExportReport()
    # An alert's runbook cut from a file with many is written with that file, never on its own.
    documents = Document.objects.exclude(runbook__part_anchor__gt="").order_by("kind", "identity")
    if not include_archived:
        report.archived_skipped = documents.filter(archived=True).count()
        documents = documents.filter(archived=False)
    taken: set[str] = set()
    root = directory.resolve()
    for document in documents.iterator():
        relative = document.file_path
        problem = "already written" if relative in taken else _target_problem(root, relative)
        if problem:
            fallback = f"{document.kind}s/{document.slug}.md"
            if fallback_problem := _target_problem(root, fallback):
                report.warnings.append(
                    f"{shown_name(relative)}: {problem}, and {fallback}: {fallback_problem}; not written"
                )
                continue
            report.warnings.append(
                f"{shown_name(relative)}: {problem}; written as {fallback}, so an import will see it as a new document"
            )
            relative = fallback
        reason = skip_reason(Path(relative))
        if reason:
            report.warnings.append(f"{relative}: import_docs will skip this file ({reason}); rename it to import it")
        taken.add(relative)
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        # Checked again once its folders exist: one of them may have been a link out of the tree.
        if not target.resolve().is_relative_to(root):
            report.warnings.append(f"{relative}: its folder leads outside {root}; not written")
            continue
        target.write_bytes(document.source_text.encode("utf-8"))
        report.written.append((relative, document))
    return report


def _target_problem(root: Path, relative: str) -> str | None:
    """Why `relative` cannot be written under `root`: a name no import could read back, or a path
    that (through `..`, an absolute path or a symbolic link already in the folder) leads out of it."""
    if problem := name_problem(relative):
        return problem
    if not (root / relative).resolve().is_relative_to(root):
        return f"a symbolic link in {root} leads outside it"
    return None
