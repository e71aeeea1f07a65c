"""Conditional GETs of document pages: an ETag computed in one query before anything is rendered,
so that a browser (or a proxy) asking again for a page that has not changed gets a 304 at the cost of
that query.

A document page shows more than its document: incidents of its alert, related documents, the
entities it links, the answers to "did it help?". The ETag therefore holds the document's version, its
newest mention and answer, the newest write to any document and to any incident (created, resolved or
edited: each sets its `updated_at`), and the day (a review falls due); and the reader (user, CSRF cookie:
the page carries a token for that cookie) and the query string (labels filled into commands). Each is
read from an index, so the query costs the same however many documents and incidents there are.

Without the reader, the same stamp keys the page's cached parts (`page_key`): a write to anything the
page shows changes the key, and the old parts are never read again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.views.decorators.http import condition

from kb.gitsync.links import GitPlace, git_place_of
from kb.models import NEWEST_WRITES_SQL, Document, FeedbackAnswer, Incident, Mention, Revision, Runbook, RunbookFeedback

# How long a page's cached parts are kept: what they show is keyed by the stamp, but an incident firing
# "for 14 min" grows older without any write.
PAGE_SECONDS = 60


def _tables() -> dict[str, str]:
    return {
        "document": Document._meta.db_table,
        "incident": Incident._meta.db_table,
        "mention": Mention._meta.db_table,
        "answer": RunbookFeedback._meta.db_table,
        "revision": Revision._meta.db_table,
        "runbook": Runbook._meta.db_table,
    }


def document_etag(request, kind: str, slug: str) -> str | None:
    # Written out rather than built by the ORM: building four subqueries cost more than running them, and
    # this runs on every view of a document page (a page read again runs nothing else).
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.id, d.version, d.updated_at, {NEWEST_WRITES_SQL}, "
            # Mentions are rewritten whenever the document is read again (a curator's change, a new alert).
            f"(SELECT MAX(id) FROM {t['mention']} WHERE document_id = d.id), "
            # An answer given again about the same incident changes its time, not its id.
            f"(SELECT MAX(created_at) FROM {t['answer']} WHERE runbook_id = d.id), "
            # What the page's footer shows (its revisions, its place in Git), read here from the revisions'
            # (document, number) index rather than by a query and a subquery of the page's first view.
            f"(SELECT COUNT(*) FROM {t['revision']} WHERE document_id = d.id), r.git_commit, r.git_path, r.git_problem "
            f"FROM {t['document']} d LEFT JOIN {t['revision']} r ON r.id = "
            f"(SELECT id FROM {t['revision']} WHERE document_id = d.id ORDER BY number DESC LIMIT 1) "
            f"WHERE d.kind = %s AND d.slug = %s",
            [kind, slug],
        )
        row = cursor.fetchone()
    if row is None:
        return None  # the view answers 404
    request.kb_provenance = Provenance(revision_count=row[7], git=git_place_of(*row[8:11]))
    # What else the page shows changes with these: the key of its cached parts (kb.views.documents).
    request.kb_stamp = hashlib.sha256(repr((*row, timezone.localdate())).encode()).hexdigest()[:16]
    # What the document's linked HTML depends on: not the incidents, which change all through an alert storm.
    request.kb_document_stamp = hashlib.sha256(repr((row[:4], row[5])).encode()).hexdigest()[:16]
    reader = (
        getattr(request.user, "pk", None),
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        request.GET.urlencode(),
        bool(getattr(request, "htmx", False)),
    )
    return hashlib.sha256(repr((row, reader)).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Provenance:
    """A document page's footer: how many revisions it has, and where its newest is in Git (or None)."""

    revision_count: int
    git: GitPlace | None


@dataclass(frozen=True)
class SiteStamps:
    """The keys of the home and insights pages' cached parts: `everything` they show changes with; `documents`,
    what does not change with incidents (an alert storm writes one a second, and those parts stay cached);
    `stale`, the stale runbooks, which incidents change only through the alerts of runbooks answered "no"
    (kb.alerting.feedback: its alert fired since the edit and its last answers were "no")."""

    everything: str
    documents: str
    stale: str


def site_stamps() -> SiteStamps:
    """What the home and insights pages show changes with: the newest write to any document (a follow-up
    closed is one), to any incident, the newest mention and answer to "did it help?", and the day; and how
    many incidents the alerts of runbooks answered "no" have, and their newest write. One query, each part
    read from the end of an index (the answers, written by people, are few)."""
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {NEWEST_WRITES_SQL}, (SELECT MAX(id) FROM {t['mention']}), "
            f"(SELECT MAX(created_at) FROM {t['answer']}), COUNT(*), MAX(updated_at) FROM {t['incident']} "
            f"WHERE alert_id IN (SELECT alert_id FROM {t['runbook']} WHERE document_ptr_id IN "
            f"(SELECT runbook_id FROM {t['answer']} WHERE answer = %s))",
            [FeedbackAnswer.NO],
        )
        document, incident, mention, answer, answered_no_count, answered_no_newest = cursor.fetchone()
    today = timezone.localdate()
    return SiteStamps(
        everything=_digest(document, incident, mention, answer, today),
        documents=_digest(document, mention, answer, today),
        stale=_digest(document, mention, answer, today, answered_no_count, answered_no_newest),
    )


def site_stamp() -> str:
    return site_stamps().everything


def _digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def page_key(request) -> str:
    """The key of the parts of a document page that every reader sees alike: the stamp and the query
    string (labels filled into commands); empty when no stamp was read (nothing is cached then)."""
    stamp = getattr(request, "kb_stamp", None)
    return f"{stamp}:{request.GET.urlencode()}" if stamp else ""


def document_conditional(kind: str | None = None):
    """`condition` for a document view taking `slug` (and `kind`, unless given here)."""

    def etag(request, slug, **kwargs):
        return document_etag(request, kind or kwargs["kind"], slug)

    return condition(etag_func=etag)
