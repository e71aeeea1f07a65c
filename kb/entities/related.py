"""The documents related to one: those sharing the most entities with it, read in one query."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from kb.models import Document, Entity, Mention

# Mentions read to rank the related documents of one (see related_documents).
RELATED_READ = 400


@dataclass
class Related:
    document_id: int
    title: str
    url: str
    kind: str
    shared: int
    names: list[str] = field(default_factory=list)


def related_documents(*, document: Document, limit: int = 5, read: int = RELATED_READ) -> list[Related]:
    """The documents sharing the most entities with this one (the most first, then by title), with the names
    they share: one query. Written out rather than built by the ORM: building its subqueries cost more than
    running them, on the first view of every document page.

    The documents are ranked by the rarer entities of this one: those of the fewest documents, as many as
    `read` mentions of them hold (each entity's document count is kept on write). A metric that
    2,000 of 13,000 documents name relates this one to all of them, says little, and made the query read
    every one of those mentions (76 ms of a 130 ms first view of a runbook); every name a related document
    shares is still listed. The mentions are counted by document (from the index `mention_votes` alone) before
    any document is read: joined to its document first, each of those mentions (1,300 for a runbook at
    13,000 documents) read its document's row, 4 of the 6 ms of a cold runbook page's database time. Only the
    documents ranked among the first `limit` by count (`RANK()`: the ties the title then orders) are read for
    their titles, and the archived ones are left out before, from their partial index: on PostgreSQL ~60 rows
    rather than all ~240 counted for most runbooks, a third of the buffers (all of them when every one shares
    a single entity)."""
    t = {model.__name__: model._meta.db_table for model in (Mention, Entity, Document)}
    sql = f"""
        WITH mine AS (
            SELECT DISTINCT m.entity_id, e.document_count, e.name
            FROM {t["Mention"]} m JOIN {t["Entity"]} e ON e.id = m.entity_id
            WHERE m.document_id = %s AND NOT e.ignored
        ), read_from AS (
            SELECT entity_id FROM (
                SELECT entity_id, SUM(document_count) OVER (ORDER BY document_count, entity_id) AS reads FROM mine
            ) AS rarest WHERE reads <= %s
        ), counted AS (
            SELECT m.document_id, COUNT(DISTINCT m.entity_id) AS shared
            FROM {t["Mention"]} m JOIN read_from ON read_from.entity_id = m.entity_id
            WHERE m.document_id <> %s
            GROUP BY m.document_id
        ), live AS (
            SELECT document_id, shared, RANK() OVER (ORDER BY shared DESC) AS place FROM counted
            WHERE NOT EXISTS (SELECT 1 FROM {t["Document"]} a WHERE a.id = counted.document_id AND a.archived)
        ), ranked AS (
            SELECT live.document_id, live.shared, d.title, d.slug, d.kind
            FROM live JOIN {t["Document"]} d ON d.id = live.document_id
            WHERE live.place <= %s ORDER BY live.shared DESC, d.title LIMIT %s
        )
        SELECT DISTINCT ranked.document_id, ranked.title, ranked.slug, ranked.kind, ranked.shared, mine.name
        FROM ranked JOIN {t["Mention"]} m ON m.document_id = ranked.document_id JOIN mine ON mine.entity_id = m.entity_id
        ORDER BY ranked.shared DESC, ranked.title, ranked.document_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [document.pk, read, document.pk, limit, limit])
        rows = cursor.fetchall()
    related: dict[int, Related] = {}
    for document_id, title, slug, kind, shared, name in rows:
        if document_id not in related:
            url = Document.url_of(kind=kind, slug=slug)
            related[document_id] = Related(document_id, title, url, kind, shared)
        related[document_id].names.append(name)
    for r in related.values():
        r.names.sort(key=str.lower)
        r.shared = len(r.names)
    return sorted(related.values(), key=lambda r: (-r.shared, r.title))
