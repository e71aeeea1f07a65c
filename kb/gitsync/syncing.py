"""A sync of the repository into the knowledge base: fetch the branch, then import what changed since
the last synced commit (`git diff --name-status -M`): added and modified files through the importer,
renamed files moved (the same document, its history kept, at its new path), deleted files archived.
When the last synced commit is not an ancestor of the new one (a force-push, another repository) or
there is none (the first sync), every file of the tree is compared with the database instead.

Each run is a `GitSync` record. One runs at a time, in any process or pod: the record's "running" row
is the lock (a unique constraint), and a push that arrives meanwhile leaves a request that the
running sync takes up when it is done. A failed run changes nothing it had not finished: the last
good commit stays the one the next run compares with.
"""

from __future__ import annotations

import logging
import os
import posixpath
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kb.documents.importing import Candidate, FileResult, import_file, import_paths
from kb.gitsync.git import Change, GitError, Repository, without_credentials
from kb.markdown.parsing import ParseError, content_hash, decode
from kb.models import Document, GitSync, GitSyncAction, GitSyncOutcome, Revision
from kb.ops.metrics import import_outcomes_observe

logger = logging.getLogger(__name__)

NOT_CONFIGURED = "no repository: set KB_GIT_URL (and KB_GIT_BRANCH, KB_GIT_PATHS) to sync from Git"


@dataclass(frozen=True)
class GitConfig:
    url: str
    branch: str
    paths: tuple[str, ...]  # folders of the repository holding documents; () for all of it
    cache: Path
    timeout: int = 300

    @classmethod
    def from_settings(cls) -> GitConfig:
        paths = tuple(p.strip("/") for p in settings.KB_GIT_PATHS if p.strip("/") not in ("", "."))
        return cls(
            url=settings.KB_GIT_URL,
            branch=settings.KB_GIT_BRANCH,
            paths=paths,
            cache=Path(os.path.abspath(settings.KB_GIT_CACHE)),
            timeout=settings.KB_GIT_TIMEOUT,
        )

    @property
    def shown_url(self) -> str:
        return without_credentials(self.url)

    def repository(self) -> Repository:
        return Repository(self.cache, timeout=self.timeout)

    def root_of(self, path: str) -> str:
        """The configured folder `path` is in ("" for the whole repository): identities are relative to it,
        as `import_docs <clone>/<folder>` would make them."""
        return max((p for p in self.paths if path.startswith(p + "/")), key=len, default="")

    def absolute(self, path: str) -> str:
        return os.path.normpath(self.cache / path)

    def relative(self, source_path: str) -> str:
        return Path(source_path.partition("#")[0]).relative_to(self.cache).as_posix()

    def identity(self, path: str) -> str:
        root = self.root_of(path)
        return posixpath.relpath(path, root) if root else path

    def candidate(self, path: str) -> Candidate:
        root = self.root_of(path)
        return Candidate(self.cache / path, self.identity(path), self.cache / root if root else self.cache)


# --- the lock ------------------------------------------------------------------------------------------


def git_lock(*, action: str, trigger: str, config: GitConfig, **fields) -> GitSync | None:
    """The running record, which holds the lock until its outcome is set; None when another holds it."""
    # A process killed mid-run never finished its record: after this long it holds the lock no more.
    stale = timezone.now() - timedelta(seconds=max(3 * config.timeout, 900))
    GitSync.objects.filter(outcome=GitSyncOutcome.RUNNING, started_at__lt=stale).update(
        outcome=GitSyncOutcome.FAILED, finished_at=timezone.now(), message="abandoned: the process running it stopped"
    )
    try:
        with transaction.atomic():
            return GitSync.objects.create(
                action=action, trigger=trigger[:100], url=config.shown_url, branch=config.branch, **fields
            )
    except IntegrityError:
        return None


def git_release(record: GitSync, outcome: str, message: str = "") -> GitSync:
    record.outcome = outcome
    record.message = "\n".join(filter(None, [record.message, message]))
    record.finished_at = timezone.now()
    record.save()
    return record


# --- the sync ------------------------------------------------------------------------------------------


def last_good_sync(config: GitConfig) -> GitSync | None:
    return (
        GitSync.objects.filter(
            action=GitSyncAction.SYNC, outcome=GitSyncOutcome.SUCCEEDED, url=config.shown_url, branch=config.branch
        )
        .exclude(commit="")
        .first()
    )


def git_sync(*, trigger: str, config: GitConfig | None = None) -> GitSync:
    """Syncs the repository; while another sync runs, records a request for it instead (returned, pending)."""
    config = config or GitConfig.from_settings()
    if not config.url:
        raise GitError(NOT_CONFIGURED)
    record = git_lock(action=GitSyncAction.SYNC, trigger=trigger, config=config)
    if record is None:
        return GitSync.objects.create(
            action=GitSyncAction.REQUEST, outcome=GitSyncOutcome.PENDING, trigger=trigger[:100], branch=config.branch
        )
    while True:
        started = record.started_at
        _run(record, config)
        requests = GitSync.objects.filter(action=GitSyncAction.REQUEST, outcome=GitSyncOutcome.PENDING)
        # Requested before this run fetched: it fetched what they asked for.
        requests.filter(started_at__lt=started).delete()
        if not requests.exists():
            return record
        # Pushes arrived while it ran: one more run takes them all.
        triggers = ", ".join(sorted(set(requests.values_list("trigger", flat=True))))
        requests.delete()
        following = git_lock(action=GitSyncAction.SYNC, trigger=f"requested: {triggers}", config=config)
        if following is None:
            return record
        record = following


def _run(record: GitSync, config: GitConfig) -> None:
    repository = config.repository()
    last = last_good_sync(config)
    try:
        commit = repository.fetch(url=config.url, branch=config.branch)
        repository.checkout(commit)
    except GitError as exc:
        git_release(record, GitSyncOutcome.FAILED, f"{exc}; the documents stay as synced from {_short(last)}")
        return
    record.commit = commit
    record.previous_commit = last.commit if last else ""
    try:
        if last and last.commit == commit:
            results, message = [], f"already at {commit[:12]}"
        elif last and repository.has_commit(last.commit) and repository.is_ancestor(last.commit, commit):
            changes = repository.changes(last.commit, commit, list(config.paths))
            results, message = _apply(changes, config, commit), ""
        else:
            record.full_comparison = True
            message = (
                f"{last.commit[:12]} (the last synced commit) is not an ancestor of {commit[:12]} "
                "(a force-push?): every file was compared with the database"
                if last
                else "first sync: every file was imported"
            )
            results = _compare_all(config, commit)
    except Exception as exc:
        logger.exception("Git sync of %s failed", config.shown_url)
        git_release(record, GitSyncOutcome.FAILED, f"{type(exc).__name__}: {exc}")
        return
    _count(record, results)
    failures = [f"{r.path}: {r.message}" for r in results if r.outcome == "failed"]
    if failures:
        message = "\n".join(filter(None, [message, "failed files:", *failures]))
    git_release(record, GitSyncOutcome.SUCCEEDED, message)


def _short(record: GitSync | None) -> str:
    return f"{record.commit[:12]} ({record.finished_at:%Y-%m-%d %H:%M} UTC)" if record else "no commit yet"


def _hidden(path: str) -> bool:
    """What the importer never reads when given the folder (`.github/`, `.gitignore`)."""
    return any(part.startswith(".") for part in path.split("/"))


def _apply(changes: list[Change], config: GitConfig, commit: str) -> list[FileResult]:
    results: list[FileResult] = []
    for change in changes:
        if change.status == "R" and _hidden(change.path):
            change = Change("D", change.old_path)
        elif change.status == "R" and _hidden(change.old_path):
            change = Change("A", change.path)
        if _hidden(change.path):
            continue
        if change.status == "D":
            results.extend(_archive(change.path, config, "file deleted in Git"))
            continue
        moved = _move(change.old_path, change.path, config) if change.status == "R" else []
        result = import_file(config.candidate(change.path))
        if moved and result.outcome in ("unchanged", "updated"):
            result.outcome, result.message = "renamed", f"renamed from {change.old_path}"
        if result.outcome == "skipped":
            # A document renamed to a file the importer skips (README.md, an image) is gone as a document.
            results.extend(_archive(change.path, config, f"{change.path} is not a document"))
        if change.status == "R":
            results.extend(_archive(change.old_path, config, f"renamed to {change.path}"))
        results.append(result)
        _record_commit(result, config, commit, moved=bool(moved))
    import_outcomes_observe(r.outcome for r in results if r.outcome != "renamed")
    return results


def _move(old: str, new: str, config: GitConfig) -> list[Document]:
    """The documents of `old` now at `new`: the same records (slug, revisions, links) under the new path."""
    old_identity, new_identity = config.identity(old), config.identity(new)
    moved = []
    for document in Document.objects.filter(source_path=config.absolute(old)):
        base, hash_sign, part = document.identity.partition("#")
        if base == old_identity:
            identity = new_identity + hash_sign + part
            if Document.objects.filter(identity=identity).exclude(pk=document.pk).exists():
                continue  # a document already has the new path: it is updated, this one archived
            document.identity = identity
        document.source_path = config.absolute(new)
        document.save(update_fields=["identity", "source_path"])
        moved.append(document)
    return moved


def _archive(path: str, config: GitConfig, reason: str) -> list[FileResult]:
    gone = Document.objects.filter(source_path=config.absolute(path), archived=False)
    results = [FileResult(path, "archived", reason, document) for document in gone]
    gone.update(archived=True, updated_at=timezone.now())
    return results


def _compare_all(config: GitConfig, commit: str) -> list[FileResult]:
    roots = [config.cache / path for path in config.paths] or [config.cache]
    missing = [str(root.relative_to(config.cache)) for root in roots if not root.is_dir()]
    if missing:
        raise GitError(f"KB_GIT_PATHS: {', '.join(missing)} is not a folder of the repository at {commit[:12]}")
    _move_renamed_files(config, roots)
    report = import_paths(roots, prune=True)
    # After a force-push the old commits may be gone from the forge: every link points at the new one.
    for result in report.results:
        _record_commit(result, config, commit, moved=True)
    return report.results


def _move_renamed_files(config: GitConfig, roots: list[Path]) -> None:
    """Without a diff to say so, a file that is new to the database with the very text of a document whose
    file vanished is that document renamed: it is moved, so that its history stays with it."""
    present = {
        os.path.normpath(file)
        for root in roots
        for file in root.rglob("*")
        if file.is_file() and not _hidden(file.relative_to(config.cache).as_posix())
    }
    stored = Document.objects.filter(source_path__startswith=os.path.join(config.cache, ""), archived=False)
    known = set(stored.filter(source_path__in=present).values_list("source_path", flat=True))
    vanished = {
        document.content_hash: document
        for document in stored.exclude(source_path__in=present)
        if "#" not in document.identity  # an alert section's runbook moves with its file
    }
    for source_path in sorted(present - known):
        if not vanished:
            return
        try:
            digest = content_hash(decode(Path(source_path).read_bytes()))
        except (ParseError, OSError):
            continue
        document = vanished.pop(digest, None)
        if document is not None:
            _move(config.relative(document.source_path), config.relative(source_path), config)


def _record_commit(result: FileResult, config: GitConfig, commit: str, *, moved: bool) -> None:
    """The commit (and path) each revision the sync wrote came from; a moved document's newest revision
    is at the new path from this commit on."""
    for saved in (result, *result.parts):
        document_id = saved.document.pk if saved.document is not None else saved.document_id
        if document_id is None or saved.outcome not in ("created", "updated", "renamed", "unchanged"):
            continue
        if saved.outcome == "unchanged" and not moved:
            continue
        newest = Revision.objects.filter(document_id=document_id).order_by("-number").values("pk")[:1]
        Revision.objects.filter(pk=newest).update(git_commit=commit, git_path=config.relative(saved.path))


def _count(record: GitSync, results: list[FileResult]) -> None:
    for outcome in ("created", "updated", "renamed", "archived", "unchanged", "failed"):
        setattr(record, outcome, sum(1 for r in results if r.outcome == outcome))
