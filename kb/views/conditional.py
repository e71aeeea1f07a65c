"""Conditional GETs of document pages: an ETag computed in one query before anything is rendered,
so that a browser (or a proxy) asking again for a page that has not changed gets a 304 at the cost of
that query.

A document page shows more than its document: incidents of its alert, related documents, the
entities it links. The ETag therefore holds the document's version, its newest mention, the newest
write to any document, the newest incident and how many fire now; and the reader (user, CSRF cookie: the page
carries a token for that cookie) and the query string (labels filled into commands).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery
from django.views.decorators.http import condition

from kb.models import Document, Incident, IncidentStatus, Mention


def document_etag(request, kind: str, slug: str) -> str | None:
    firing = Incident.objects.filter(status=IncidentStatus.FIRING).order_by().values("status").annotate(n=Count("pk"))
    row = (
        Document.objects.filter(kind=kind, slug=slug)
        .annotate(
            newest=Subquery(Document.objects.order_by("-updated_at").values("updated_at")[:1]),
            last_incident=Subquery(Incident.objects.order_by("-pk").values("pk")[:1]),
            firing=Subquery(firing.values("n")),
            # Mentions are rewritten whenever the document is read again (a curator's change, a new alert).
            last_mention=Subquery(Mention.objects.filter(document=OuterRef("pk")).order_by("-pk").values("pk")[:1]),
        )
        .values_list("pk", "version", "updated_at", "newest", "last_incident", "firing", "last_mention")
        .first()
    )
    if row is None:
        return None  # the view answers 404
    # What else the page shows changes with these: the key of its cached parts (kb.views.documents).
    request.kb_stamp = hashlib.sha256(repr(row[1:]).encode()).hexdigest()[:16]
    reader = (
        getattr(request.user, "pk", None),
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        request.GET.urlencode(),
        bool(getattr(request, "htmx", False)),
    )
    return hashlib.sha256(repr((row, reader)).encode()).hexdigest()[:32]


def document_conditional(kind: str | None = None):
    """`condition` for a document view taking `slug` (and `kind`, unless given here)."""

    def etag(request, slug, **kwargs):
        return document_etag(request, kind or kwargs["kind"], slug)

    return condition(etag_func=etag)
