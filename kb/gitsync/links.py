"""A document's place in Git, for its page: the commit and path its newest revision is at (a link to
the file in the forge's web UI when KB_GIT_WEB_URL is set), or why a web edit is not in Git."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery

from kb.models import Revision


@dataclass(frozen=True)
class GitPlace:
    commit: str
    path: str
    problem: str

    @property
    def url(self) -> str:
        """The file at that commit in the forge: `…/src/commit/{commit}/{path}` (Gitea, Forgejo),
        `…/blob/{commit}/{path}` (GitHub), `…/-/blob/{commit}/{path}` (GitLab)."""
        if not (settings.KB_GIT_WEB_URL and self.commit and self.path):
            return ""
        return settings.KB_GIT_WEB_URL.format(commit=self.commit, path=quote(self.path))


def with_git_place(documents: QuerySet) -> QuerySet:
    """The documents with their newest revision's Git fields, in the same query (no query more per page)."""
    newest = Revision.objects.filter(document=OuterRef("pk")).order_by("-number")
    return documents.annotate(
        newest_git_commit=Subquery(newest.values("git_commit")[:1]),
        newest_git_path=Subquery(newest.values("git_path")[:1]),
        newest_git_problem=Subquery(newest.values("git_problem")[:1]),
    )


def git_place(document) -> GitPlace | None:
    """Where a document from `with_git_place` is in Git; None when it never came from or went to Git."""
    commit = getattr(document, "newest_git_commit", "") or ""
    problem = getattr(document, "newest_git_problem", "") or ""
    if not commit and not problem:
        return None
    return GitPlace(commit, getattr(document, "newest_git_path", "") or "", problem)


def git_place_read(document) -> GitPlace | None:
    """Where a document is in Git, read from its newest revision (one query): for a page that reads the
    document alone, where `with_git_place`'s three subqueries cost more to build than this query."""
    newest = (
        Revision.objects.filter(document=document)
        .order_by("-number")
        .values_list("git_commit", "git_path", "git_problem")
        .first()
    )
    return git_place_of(*newest) if newest is not None else None


def git_place_of(commit: str | None, path: str | None, problem: str | None) -> GitPlace | None:
    """The place of a document whose newest revision has these Git fields; None when it never came from or
    went to Git (or has no revision)."""
    if not (commit or problem):
        return None
    return GitPlace(commit or "", path or "", problem or "")
