"""An import's batch of document saves: what their mentions leave to do once, at the batch's end
(`MentionsLater`), where `kb.entities.mentions` does it after each save of a single document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import count

from kb.entities.counts import COUNTS, NOTHING, Contribution, counts_shift
from kb.entities.extraction import Vocabulary
from kb.entities.mentions import (
    Computed,
    KnownEntity,
    Naming,
    entities_by_name,
    entities_revote,
    mentions_refresh_many,
)
from kb.models import Entity, Mention
from kb.models.constraints import names_inserted
from kb.models.rows import NewRow

# The names a batch reads at once (`MentionsLater.entities_read`): one query's `IN` list.
ENTITIES_READ_AT_ONCE = 500


class MentionsLater:
    """What the mentions of many document saves (an import's batch) leave to do once, at `write`: the
    entities' counts moved by the sum of the documents' differences, their kinds voted again, entities
    no document mentions any more deleted, and the documents naming an alert first seen re-read. The
    result is the one a write after each document gives. The entities read or created during the
    import are kept by lower-cased name, so that each is read once, not once a document.

    The mentions themselves go to `rows` and each document's linked HTML to `linked` (by id), for the
    batch to insert and store before `write` reads them (kb.documents.batches). So do the entities first
    named in the batch (`pending`, under a temporary negative id until `pending_insert`): one insert a
    batch, each with the counts its documents give it, where an insert a document and an update of
    their counts after cost 11,846 statements at 12,000 documents, each into a table of six indexes."""

    def __init__(self, rows: list | None = None) -> None:
        self.rows: list = [] if rows is None else rows
        self.linked: dict[int, str] = {}
        # Each read or inserted as what a save reads of it (`KnownEntity`); a pending one (below) as its model instance.
        self.entities: dict[str, Entity | KnownEntity] = {}
        # Lower-cased names read with the batch's (`entities_read`) and not stored then: inserted unread.
        self.absent: set[str] = set()
        self.counts: dict[int, Contribution] = {}
        self.revote: set[int] = set()
        self.dropped: set[int] = set()
        self.new_alerts: dict[str, None] = {}  # in the order first seen
        # What was computed beforehand for the documents being saved, by id() (set around each file's saves).
        self.computed: Mapping[int, Computed] = {}
        # The entities first named during the batch, not inserted yet, by lower-cased name, in the order
        # first named (the order saving the documents one by one inserts them: the same ids), each with its
        # temporary id (negative: no stored row has it), which the rows and counts hold until `pending_insert`.
        self.pending: dict[str, tuple[Entity, int]] = {}
        self.temporary_ids = count(-1, -1)

    def entities_read(self, names: Iterable[str]) -> None:
        """The entities of these names (those the batch's documents may mention) read for the whole
        batch at its start: each save then reads only the names it finds that were not among them."""
        keys = sorted({name.lower() for name in names} - self.entities.keys())
        self.absent = set()
        for start in range(0, len(keys), ENTITIES_READ_AT_ONCE):
            chunk = keys[start : start + ENTITIES_READ_AT_ONCE]
            found = entities_by_name(chunk)
            self.entities.update(found)
            self.absent.update(key for key in chunk if key not in found)

    def shift(self, before: dict[int, Contribution], after: dict[int, Contribution]) -> None:
        for entity_id in before.keys() | after.keys():
            old, new = before.get(entity_id, NOTHING), after.get(entity_id, NOTHING)
            total = self.counts.get(entity_id, NOTHING)
            self.counts[entity_id] = tuple(t + n - o for t, n, o in zip(total, new, old))  # type: ignore[assignment]

    def named_later(self, entities: list[Entity]) -> dict[str, Entity]:
        """New entities (names not stored) for `pending_insert` to insert, given a temporary id meanwhile."""
        for entity in entities:
            entity.pk = next(self.temporary_ids)
            self.pending[entity.name.lower()] = (entity, entity.pk)
        return {entity.name.lower(): entity for entity in entities}

    def pending_insert(self) -> None:
        """Inserts the entities first named since the last call, with the counts their documents give them so
        far, and gives their rows and counts the entities' ids: before the rows are inserted (`rows`)."""
        if not self.pending:
            return
        entities = [entity for entity, _ in self.pending.values()]
        counted: dict[str, Contribution] = {}
        for entity in entities:
            counted[entity.name.lower()] = self.counts.pop(entity.pk, NOTHING)
            for name, value in zip(COUNTS, counted[entity.name.lower()]):
                setattr(entity, name, value)
            entity.pk = None
        # Kept as what a save reads of them, not as the instances inserted.
        found = {key: KnownEntity(e.pk, e.name, e.kind, e.ignored) for key, e in names_inserted(entities).items()}
        if keys := [key for key in self.pending if key not in found]:
            # Names another writer inserted meanwhile (or all, where no id comes back): their counts shift.
            taken = entities_by_name(keys)
            for key in keys:
                self.counts[taken[key].pk] = counted[key]
            found |= taken
        self.entities.update(found)
        stored = {temporary: found[key].pk for key, (_, temporary) in self.pending.items()}
        # New rows, not the old ones changed: a savepoint rolled back gives the old ones back (`restore`).
        self.rows[:] = [
            NewRow(Mention, {**row.values, "entity_id": stored[row.values["entity_id"]]})
            if type(row) is NewRow and row.model is Mention and row.values["entity_id"] < 0
            else row
            for row in self.rows
        ]
        self.revote = {stored.get(pk, pk) for pk in self.revote}
        self.pending = {}

    def snapshot(self) -> tuple:
        return dict(self.counts), set(self.revote), set(self.dropped), dict(self.new_alerts), dict(self.pending)

    def restore(self, snapshot: tuple) -> None:
        """Back to `snapshot`, after a document's save was rolled back: the entities it created went with it,
        those inserted since the snapshot too (`pending_insert`), and are pending again."""
        self.counts, self.revote, self.dropped, self.new_alerts, self.pending = snapshot
        self.entities.clear()
        for key, (entity, temporary) in self.pending.items():
            entity.pk, entity._state.adding = temporary, True
            self.entities[key] = entity
        self.absent = set()

    def write(self, *, vocabulary: Vocabulary, naming: Naming) -> None:
        counts_shift(before={}, after=self.counts)
        for entity in entities_revote(entity_ids=self.revote):
            if (cached := self.entities.get(entity.name.lower())) is not None and cached.pk == entity.pk:
                cached.kind = entity.kind
        if self.dropped:
            orphans = Entity.objects.filter(pk__in=self.dropped, curated=False, ignored=False, mentions__isnull=True)
            deleted = set(orphans.values_list("pk", flat=True))
            if deleted:
                Entity.objects.filter(pk__in=deleted).delete()
                self.entities = {key: e for key, e in self.entities.items() if e.pk not in deleted}
        if mentions_refresh_many(names=list(self.new_alerts), vocabulary=vocabulary, naming=naming):
            # Those saves created and deleted entities of their own.
            self.entities.clear()
            self.absent = set()
        self.counts, self.revote, self.dropped, self.new_alerts = {}, set(), set(), {}
