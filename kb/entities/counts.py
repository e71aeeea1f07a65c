"""What each entity adds up to, kept on the entity as documents are written: in how many live
documents it is mentioned, how many of them are post-mortems (`implicated_in`), runbooks, and
runbooks for it (a runbook's own alert).

Counting these over every mention on each view took seconds at ten thousand documents; they change
only when a document's mentions or its archived flag change, so the writers shift them there:
`mentions_write` by the difference between a document's old and new mentions, an archive by what
the archived documents counted for. `entities_recount` counts again from the mentions (after a
curator moved mentions between entities, and in the migration that added the counts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Q

from kb.models import DocumentKind, Entity, Mention
from kb.models.rows import rows_update

COUNTS = ("document_count", "implicated_in", "runbook_count", "subject_runbook_count")

# What one live document adds to the counts of an entity it mentions.
Contribution = tuple[int, int, int, int]
NOTHING: Contribution = (0, 0, 0, 0)


def contribution(*, kind: str, subject: bool) -> Contribution:
    runbook = kind == DocumentKind.RUNBOOK
    return (1, int(kind == DocumentKind.POSTMORTEM), int(runbook), int(runbook and subject))


def counts_shift(*, before: dict[int, Contribution], after: dict[int, Contribution]) -> None:
    """Moves each entity's counts from what a document counted for (`before`, by entity id) to what it
    counts for now (`after`): one statement on PostgreSQL (an UPDATE a distinct difference was a dozen a
    batch of an import, each its thousand ids compiled by the ORM), a row at a time in C on SQLite."""
    deltas = []
    for entity_id in sorted(before.keys() | after.keys()):
        old, new = before.get(entity_id, NOTHING), after.get(entity_id, NOTHING)
        delta = [n - o for n, o in zip(new, old)]
        if any(delta):
            deltas.append((entity_id, delta))
    rows_update(Entity, [Entity._meta.get_field(name) for name in COUNTS], deltas, added=True)


def counts_documents_archived(*, document_ids: Iterable[int]) -> None:
    """Takes live documents about to be archived out of their entities' counts."""
    per_entity: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    rows = (
        Mention.objects.filter(document_id__in=list(document_ids), document__archived=False)
        .values("entity_id", "document_id", "document__kind")
        .annotate(subject=Count("pk", filter=Q(subject=True)))
    )
    for row in rows:
        for i, step in enumerate(contribution(kind=row["document__kind"], subject=row["subject"] > 0)):
            per_entity[row["entity_id"]][i] += step
    counts_shift(before={pk: tuple(c) for pk, c in per_entity.items()}, after={})


def entities_recount(*, entity_ids: Iterable[int] | None = None) -> None:
    """Counts again from the mentions: these entities, or every one."""
    entities = Entity.objects.all() if entity_ids is None else Entity.objects.filter(pk__in=list(entity_ids))
    live = Q(mentions__document__archived=False)
    runbook = live & Q(mentions__document__kind=DocumentKind.RUNBOOK)
    counted = entities.annotate(
        n_documents=Count("mentions__document", filter=live, distinct=True),
        n_implicated=Count(
            "mentions__document", filter=live & Q(mentions__document__kind=DocumentKind.POSTMORTEM), distinct=True
        ),
        n_runbooks=Count("mentions__document", filter=runbook, distinct=True),
        n_subject=Count("mentions__document", filter=runbook & Q(mentions__subject=True), distinct=True),
    )
    changed = []
    for entity in counted.iterator(chunk_size=2000):
        values = (entity.n_documents, entity.n_implicated, entity.n_runbooks, entity.n_subject)
        if values != tuple(getattr(entity, name) for name in COUNTS):
            for name, value in zip(COUNTS, values):
                setattr(entity, name, value)
            changed.append(entity)
    Entity.objects.bulk_update(changed, COUNTS, batch_size=500)
