"""Web edits written back to Git (opt-in: KB_GIT_COMMIT, KB_GIT_PUSH): after a web save, the document's
file in the working copy is rewritten and committed with the editor as author, then pushed to the
synced branch when KB_GIT_PUSH allows it (else kept on the local branch `kb-web-edits` of KB_GIT_CACHE).

Git stays the source: when the file changed upstream since the text the edit started from, nothing is
written and the conflict is recorded on the revision (the page says so) and in a `GitSync` record.
"""

from __future__ import annotations

import os
import time
from email.utils import parseaddr
from pathlib import Path

from django.conf import settings

from kb.gitsync.git import GitError
from kb.gitsync.syncing import GitConfig, git_lock, git_release
from kb.models import Document, GitSyncAction, GitSyncOutcome, Revision

LOCAL_BRANCH = "kb-web-edits"
LOCK_WAIT_SECONDS = 10


def git_commit_edit(*, document: Document, author) -> Revision | None:
    """Commits the newest revision of a document saved on the web; the revision says where it went
    (`git_commit`, `git_path`) or why it did not (`git_problem`). None when KB_GIT_COMMIT is off."""
    if not settings.KB_GIT_COMMIT:
        return None
    config = GitConfig.from_settings()
    revisions = list(document.revisions.order_by("-number")[:50])
    revision = revisions[0]
    base = next((r for r in revisions[1:] if r.git_commit), None)
    path = base.git_path if base else _new_path(document, config)
    record = _lock(config, trigger=f"edit by {author.get_username() if author else 'unknown'}", document=document)
    if record is None:
        return _problem(revision, "a Git sync was running for too long: this edit is saved here but not in Git")
    try:
        problem, commit = _commit(document, revision, base, path, config, author)
    except GitError as exc:
        git_release(record, GitSyncOutcome.FAILED, str(exc))
        return _problem(revision, f"{exc}; this edit is saved here but not in Git")
    record.commit = commit
    if problem:
        git_release(record, GitSyncOutcome.CONFLICT, problem)
        return _problem(revision, problem)
    git_release(record, GitSyncOutcome.SUCCEEDED, f"{path} committed{' and pushed' if settings.KB_GIT_PUSH else ''}")
    revision.git_commit, revision.git_path, revision.git_problem = commit, path, ""
    revision.save(update_fields=["git_commit", "git_path", "git_problem"])
    source_path = config.absolute(path)
    if document.source_path != source_path:  # a document written on the web: the sync finds it at its file
        Document.objects.filter(pk=document.pk).update(source_path=source_path)
    return revision


def _commit(document, revision, base, path: str, config: GitConfig, author) -> tuple[str, str]:
    """(a conflict, or "", the commit) for writing the document at `path`."""
    repository = config.repository()
    upstream = repository.fetch(url=config.url, branch=config.branch)
    now_upstream = repository.blob(upstream, path)
    if base is not None and repository.has_commit(base.git_commit):
        if repository.blob(base.git_commit, path) != now_upstream:
            return (
                f"{path} changed in Git since {base.git_commit[:12]}, the version this edit started from: "
                f"not committed, so that neither change is lost. Sync, then make the edit again on the new text.",
                upstream,
            )
    elif now_upstream is not None:
        return f"{path} already exists in Git: not committed over it", upstream
    if settings.KB_GIT_PUSH:
        repository.checkout(upstream)
    else:
        start = LOCAL_BRANCH if repository.has_commit(LOCAL_BRANCH) else upstream
        repository.run("checkout", "--quiet", "--force", "-B", LOCAL_BRANCH, start)
    file = config.cache / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(document.source_text.encode("utf-8"))
    repository.run("add", "--", path)
    if not repository.run("status", "--porcelain", "--", path).strip():
        return "", repository.commit_of("HEAD")  # the very text Git has
    name, email = _identity(author)
    committer_name, committer_email = parseaddr(settings.KB_GIT_COMMITTER)
    message = f"{document.title}: {revision.reason}\n\nRevision {revision.number}, written on the web by {name}."
    repository.run(
        "commit",
        "--quiet",
        f"--author={name} <{email}>",
        "-m",
        message,
        "--",
        path,
        config=("-c", f"user.name={committer_name or 'Knowledge base'}", "-c", f"user.email={committer_email}"),
    )
    commit = repository.commit_of("HEAD")
    if settings.KB_GIT_PUSH:
        try:
            repository.run("push", "--quiet", "origin", f"{commit}:refs/heads/{config.branch}")
        except GitError as exc:
            return f"{path} was committed but Git refused the push (someone pushed meanwhile?): {exc}", commit
    return "", commit


def _identity(author) -> tuple[str, str]:
    if author is None:
        return "Knowledge base", parseaddr(settings.KB_GIT_COMMITTER)[1] or "kb@localhost"
    name = author.get_full_name() or author.get_username()
    return name, author.email or f"{author.get_username()}@users.noreply.localhost"


def _new_path(document: Document, config: GitConfig) -> str:
    """Where a document written on the web goes: its file path under the first synced folder."""
    if document.source_path and Path(document.source_path).is_relative_to(config.cache):
        return config.relative(document.source_path)
    folder = config.paths[0] if config.paths else ""
    return os.path.join(folder, document.file_path) if folder else document.file_path


def _lock(config: GitConfig, *, trigger: str, document: Document):
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        record = git_lock(action=GitSyncAction.COMMIT, trigger=trigger, config=config, document=document)
        if record is not None or time.monotonic() > deadline:
            return record
        time.sleep(0.25)


def _problem(revision: Revision, problem: str) -> Revision:
    revision.git_problem = problem
    revision.save(update_fields=["git_problem"])
    return revision
