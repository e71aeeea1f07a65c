"""The one write path of incidents: the incident form, the admin, the Alertmanager webhook and the
importer (incidents a document names) all write through here, so every incident written is
findable by search at once, and the row and its search entry commit or roll back together.

`incident_save` writes one incident; `incidents_create` and `incidents_save` write many in a fixed
number of queries, however many there are; `document_incidents_save` links the incidents a document
names and writes what the documents say about them (`kb.alerting.facts`).

Each keeps the count of incidents of every alert it touches (`Alert.incident_count`): what the insights
rank recurring alerts by.

Each joins the caller's transaction without a savepoint (`savepoint=False`): its writes and the
caller's are one unit either way, and a savepoint would cost two more queries on every write
(the webhook's query budget counts them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from kb.alerting.facts import FACT_FIELDS, facts_apply, incidents_with_facts
from kb.models import Alert, Document, Incident, IncidentOrigin
from kb.models.rows import NewRow, ids_reserved, rows_insert, rows_inserted, rows_update
from kb.search import search_index_incidents


@transaction.atomic(savepoint=False)
def incident_save(*, incident: Incident) -> Incident:
    """Writes one incident, new or edited, and its search entry."""
    before = Incident.objects.filter(pk=incident.pk).values_list("alert_id", flat=True).first() if incident.pk else None
    incident.save()
    if before != incident.alert_id:
        _alerts_shift(Counter({before: -1, incident.alert_id: 1}))
    search_index_incidents(incidents=[incident])
    return incident


@transaction.atomic(savepoint=False)
def incidents_create(*, incidents: Sequence[Incident]) -> list[Incident]:
    """Inserts new incidents and their search entries; returns them with their ids (PostgreSQL, SQLite 3.35+)."""
    created = Incident.objects.bulk_create(incidents)
    _alerts_shift(Counter(incident.alert_id for incident in created))
    search_index_incidents(incidents=created, created={incident.pk for incident in created})
    return created


@transaction.atomic(savepoint=False)
def incidents_save(*, created: Sequence[Incident], updated: Sequence[Incident], fields: Sequence[str]) -> None:
    """Inserts `created`, writes `fields` of `updated`, and the search entries of both: incidents
    received from Alertmanager, keyed by fingerprint and start.

    A new incident whose key is already stored is left as stored: a concurrent delivery of the
    same group (two Alertmanagers in a cluster) inserted it first.
    """
    if not created and not updated:
        return
    Incident.objects.bulk_create(created, ignore_conflicts=True)
    # An incident of these that a concurrent delivery inserted first is counted twice: `alerts_recount` mends it.
    _alerts_shift(Counter(incident.alert_id for incident in created))
    Incident.objects.bulk_update(updated, fields)
    # bulk_create leaves primary keys unset when conflicts are ignored, and the updated ones were
    # read without their alert, which the index names: read both back in one query.
    keys = {(incident.fingerprint, incident.started_at) for incident in [*created, *updated]}
    search_index_incidents(incidents=list(Incident.objects.select_related("alert").received(keys)))


class IncidentFacts:
    """The incidents many document saves named (an import's batch), whose facts and search rows are
    written once for all of them (`write`), from what the batch's documents say in the end: the same
    as writing them after each document, in six queries a batch instead of ten a document."""

    def __init__(self, rows: list | None = None) -> None:
        self.ids: set[int] = set()
        self.new: dict[int, Incident] = {}
        # A new document's links to the incidents it names, for the batch to insert with its other rows.
        self.rows: list = [] if rows is None else rows
        # The new documents' references, (document id, references) in the order saved, not read yet (`link`).
        self.naming: list[tuple[int, Sequence[str]]] = []
        # New incidents given their ids but not inserted yet (`link(unsaved=True)`): `write` inserts them with
        # their facts.
        self.unsaved: dict[int, Incident] = {}

    def link(self, *, unsaved: bool = False) -> None:
        """The incidents the new documents name, read and the new ones inserted for all of them at once,
        and their links left to `rows`: two queries a batch, not two a document. The incidents are
        inserted in the order first named, so each gets the id that saving the documents one by one gives.
        `unsaved`: the new ones only given their ids (`ids_reserved`), for `write` to insert with their facts,
        where inserting them blank and then updating them wrote each incident's six indexes twice (at the
        batch's end, when nothing reads them before `write`)."""
        if not self.naming:
            return
        references = list(dict.fromkeys(ref for _, named in self.naming for ref in named))
        existing: dict[str, Incident] = {}
        for start in range(0, len(references), REFERENCES_READ_AT_ONCE):
            chunk = references[start : start + REFERENCES_READ_AT_ONCE]
            # Not blank (none is): the index of references holds only those.
            existing |= {i.reference: i for i in Incident.objects.filter(reference__in=chunk).exclude(reference="")}
        # Each its own time, as `bulk_create` stamps them: incidents are listed newest first.
        rows = [
            {
                "reference": ref,
                "origin": IncidentOrigin.DOCUMENT,
                "created_at": (now := timezone.now()),
                "updated_at": now,
            }
            for ref in references
            if ref not in existing
        ]
        ids = ids_reserved(Incident, len(rows)) if unsaved else rows_inserted(Incident, rows)
        new = [Incident(pk=pk, **values) for pk, values in zip(ids, rows)]
        by_reference = existing | {i.reference: i for i in new}
        link = Incident.documents.through
        self.rows.extend(
            NewRow(link, {"incident_id": by_reference[ref].pk, "document_id": document_id})
            for document_id, named in self.naming
            for ref in named
        )
        self.ids |= {i.pk for i in by_reference.values()}
        self.new |= {i.pk: i for i in new}
        if unsaved:
            self.unsaved |= {i.pk: i for i in new}
        self.naming = []

    def write(self) -> None:
        changed: list[Incident] = []
        ordered = sorted(self.ids)
        for start in range(0, len(ordered), FACTS_BATCH):
            changed.extend(_facts_write(ids=set(ordered[start : start + FACTS_BATCH]), unsaved=self.unsaved))
        self.unsaved = {}
        written = {i.pk for i in changed}
        # An import's batch: the import compacts the search index once at its end.
        search_index_incidents(
            incidents=[*changed, *(i for pk, i in self.new.items() if pk not in written)],
            created=self.new.keys(),
            compacted_later=True,
        )
        self.ids, self.new = set(), {}


FACTS_BATCH = 500
REFERENCES_READ_AT_ONCE = 500


@transaction.atomic(savepoint=False)
def document_incidents_save(
    *, document: Document, references: Sequence[str], created: bool = False, later: IncidentFacts | None = None
) -> None:
    """Links the incidents `document` names, creating the new ones, and rewrites what the documents
    say about every incident it names now or named before its save: a fixed number of queries.
    `created`: the document was just inserted, so it named none before. `later`: the facts and
    search rows are left to it, for a batch of saves."""
    if created and later is not None and all(references):
        # Read and inserted with those of the batch's other new documents (`IncidentFacts.link`).
        later.naming.append((document.pk, references))
        return
    previous = set() if created else set(document.incidents_named.values_list("pk", flat=True))
    # Not blank: the index of references holds only those (without it, every incident was read).
    existing = {i.reference: i for i in Incident.objects.filter(reference__in=references).exclude(reference="")}
    new = Incident.objects.bulk_create(
        Incident(reference=ref, origin=IncidentOrigin.DOCUMENT) for ref in references if ref not in existing
    )
    named = [*existing.values(), *new]
    if created and later is not None:
        link = Incident.documents.through
        later.rows.extend(NewRow(link, {"incident_id": incident.pk, "document_id": document.pk}) for incident in named)
    elif created:
        document.incidents_named.add(*named)
    else:
        document.incidents_named.set(named)
    if later is not None:
        later.ids |= previous | {i.pk for i in named}
        later.new |= {i.pk: i for i in new}
        return
    changed = _facts_write(ids=previous | {i.pk for i in named})
    written = {i.pk for i in changed}
    search_index_incidents(incidents=[*changed, *(i for i in new if i.pk not in written)], created={i.pk for i in new})


@transaction.atomic
def document_incidents_refresh() -> int:
    """Rewrites what the documents say about every incident they name (after an upgrade: `manage.py
    reindex`); returns how many changed."""
    ids = set(Incident.objects.filter(documents__isnull=False).values_list("pk", flat=True))
    changed = []
    for start in range(0, len(ids), FACTS_BATCH):
        changed.extend(_facts_write(ids=set(sorted(ids)[start : start + FACTS_BATCH])))
    search_index_incidents(incidents=changed)
    return len(changed)


def _facts_write(*, ids: set[int], unsaved: dict[int, Incident] | None = None) -> list[Incident]:
    """The facts of these incidents written; `unsaved`: new incidents given their ids, inserted here with them."""
    now = timezone.now()
    changed = []
    moved: Counter = Counter()
    unsaved = {pk: incident for pk, incident in (unsaved or {}).items() if pk in ids}
    for incident, facts in incidents_with_facts(ids=ids, unsaved=unsaved):
        before = incident.alert_id
        if facts_apply(incident, facts):
            incident.updated_at = now
            changed.append(incident)
            if incident.alert_id != before:
                moved.update({before: -1, incident.alert_id: 1})
    _rows_update([incident for incident in changed if incident.pk not in unsaved], FACT_FIELDS)
    rows_insert(list(unsaved.values()), keyed=True)
    _alerts_shift(moved)
    return changed


def _alerts_shift(deltas: Counter) -> None:
    """Moves each alert's incident count by its delta (None: no alert), in one statement (`rows_update`)."""
    moved = sorted((alert_id, [delta]) for alert_id, delta in deltas.items() if alert_id is not None and delta)
    rows_update(Alert, [Alert._meta.get_field("incident_count")], moved, added=True)


def alerts_recount(*, alert_ids: Iterable[int] | None = None) -> None:
    """Counts the incidents of these alerts (or of every one) again: after incidents were deleted in the admin."""
    alerts = Alert.objects.all() if alert_ids is None else Alert.objects.filter(pk__in=list(alert_ids))
    counted = Incident.objects.filter(alert=OuterRef("pk")).order_by().values("alert").annotate(n=Count("pk"))
    alerts.update(incident_count=Coalesce(Subquery(counted.values("n")), 0))


def _rows_update(incidents: list[Incident], fields: Sequence[str]) -> None:
    """`fields` of each incident (`rows_update`): `bulk_update`'s CASE WHEN for each field and row took longer
    to build than the database took to run it."""
    columns = [Incident._meta.get_field(name) for name in fields]
    rows_update(
        Incident,
        columns,
        [
            (incident.pk, [field.get_db_prep_save(getattr(incident, field.attname), connection) for field in columns])
            for incident in incidents
        ],
    )
