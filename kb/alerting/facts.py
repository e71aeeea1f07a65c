"""What documents say about the incidents they name, merged into one record per incident.

A resolution history row gives the date, the alert and runbook of its runbook, the change made
(`512Mi` → `1Gi`) and its notes as the fix; the post-mortem that covers the incident gives its
title, severity, the post-mortem link, and its fix section when no history row says what fixed it.
A post-mortem covers an incident it names unless a history row dates the incident days away from
the post-mortem (the 2026-03-02 post-mortem recalling #236, fixed on 2026-02-24, does not cover it).

`incident_facts` reads everything it needs in a fixed number of queries, however many incidents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection

from kb.markdown.fixes import is_fix_heading, row_fix, short_text
from kb.models import (
    DOCUMENT_TEXTS,
    Incident,
    IncidentOrigin,
    IncidentStatus,
    PostMortem,
    ResolutionEntry,
    Runbook,
    Section,
)

# How far a post-mortem's date may be from its incident's history row for it to cover that incident.
COVER_DAYS = 2
FACT_FIELDS = (
    "alert",
    "runbook",
    "postmortem",
    "status",
    "started_at",
    "title",
    "severity",
    "fix",
    "change_from",
    "change_to",
    "updated_at",
)


# What the facts never read of a document, and the largest part of its row: each save of a document
# reads every runbook and post-mortem naming the same incidents.
@dataclass
class Facts:
    row: ResolutionEntry | None  # the latest history row naming it, its `runbook` (and alert) selected
    postmortem: PostMortem | None  # the post-mortem covering it
    postmortem_fix: str


def incidents_with_facts(*, ids: set[int], unsaved: dict[int, Incident] | None = None) -> list[tuple[Incident, Facts]]:
    """The incidents and what their documents say about each: six queries. `unsaved`: those of `ids` not
    inserted yet (new and blank: no start, created last), by id."""
    unsaved = unsaved or {}
    # Newest first, as listed; the later inserted first of those stamped in the same microsecond (an import
    # inserts a batch's new incidents in one statement), so that their search rows are written in one order.
    incidents = list(
        Incident.objects.filter(pk__in=ids - unsaved.keys())
        .select_related("alert")
        .order_by("-started_at", "-created_at", "-pk")
    )
    if unsaved:
        # Where the database puts them: among those with no start (first or last, as it orders nulls), newest first.
        blank = (
            0
            if connection.features.nulls_order_largest
            else next((n for n, incident in enumerate(incidents) if incident.started_at is None), len(incidents))
        )
        incidents[blank:blank] = sorted(unsaved.values(), key=lambda i: (i.created_at, i.pk), reverse=True)
    # Pairs, not a prefetch: its documents and their model instances cost more than the query (an import's
    # batch reads hundreds of incidents).
    named_by: dict[int, set[int]] = {}
    for incident_id, document_id in (
        Incident.documents.through.objects.filter(incident_id__in=ids, document__archived=False)
        .order_by()
        .values_list("incident_id", "document_id")
    ):
        named_by.setdefault(incident_id, set()).add(document_id)
    document_ids = {pk for named in named_by.values() for pk in named}
    runbooks = {
        runbook.pk: runbook
        for runbook in Runbook.objects.filter(pk__in=document_ids).select_related("alert").defer(*DOCUMENT_TEXTS)
    }
    runbook_ids = set(runbooks)
    # Each entry given its runbook's one instance: selected with each entry, a runbook (thirty fields) was
    # built for every row of its history, most of these facts' time in an import's batch.
    entries = list(ResolutionEntry.objects.filter(runbook_id__in=runbook_ids).order_by("pk"))
    for entry in entries:
        entry.runbook = runbooks[entry.runbook_id]
    postmortems = {
        pm.pk: pm
        for pm in PostMortem.objects.filter(pk__in=document_ids - runbook_ids).defer(*DOCUMENT_TEXTS, "summary")
    }
    fixes: dict[int, str] = {}
    sections = Section.objects.filter(document_id__in=postmortems).order_by("document_id", "position")
    for document_id, heading, markdown in sections.values_list("document_id", "heading", "markdown"):
        if document_id not in fixes and is_fix_heading(heading) and markdown.strip():
            fixes[document_id] = short_text(markdown)
    by_runbook: dict[int, list[ResolutionEntry]] = {}
    for entry in entries:
        by_runbook.setdefault(entry.runbook_id, []).append(entry)
    result = []
    for incident in incidents:
        named = named_by.get(incident.pk, set())
        # By runbook: an import's batch reads the facts of hundreds of incidents at once.
        rows = [e for pk in named for e in by_runbook.get(pk, ()) if incident.reference in e.incidents]
        row = max(rows, key=lambda e: (e.date or date.min, e.runbook_id, e.position), default=None)
        covering = _covering([postmortems[pk] for pk in named if pk in postmortems], row)
        result.append((incident, Facts(row, covering, fixes.get(covering.pk, "") if covering else "")))
    return result


def _covering(postmortems: list[PostMortem], row: ResolutionEntry | None) -> PostMortem | None:
    if row is not None and row.date is not None:
        postmortems = [pm for pm in postmortems if pm.date and abs(pm.date - row.date) <= timedelta(days=COVER_DAYS)]
    return min(postmortems, key=lambda pm: (pm.date or date.max, pm.pk), default=None)


def facts_apply(incident: Incident, facts: Facts) -> bool:
    """Writes what the documents say into `incident` (unsaved); True when it changed.

    An incident only documents know is rewritten from them at every save, so a fact removed from a
    document goes too; one received from Alertmanager or written by hand only has its blanks filled.
    """
    row, pm = facts.row, facts.postmortem
    runbook = row.runbook if row else None
    day = (row.date if row else None) or (pm.date if pm else None)
    values = {
        "alert": runbook.alert if runbook else None,
        "runbook": runbook,
        "postmortem": pm,
        "started_at": datetime.combine(day, time(), tzinfo=UTC) if day else None,
        "title": pm.title[:500] if pm else "",
        "severity": pm.severity[:100] if pm else "",
        "fix": (row_fix(row.cells, row.notes) if row else "") or facts.postmortem_fix,
        "change_from": row.old if row else "",
        "change_to": row.new if row else "",
    }
    known = row is not None or pm is not None
    before = _snapshot(incident)
    if incident.origin == IncidentOrigin.DOCUMENT:
        for name, value in values.items():
            setattr(incident, name, value)
        incident.status = IncidentStatus.RESOLVED if known else IncidentStatus.UNKNOWN
    else:
        if incident.resolved_at is not None and values["started_at"] and values["started_at"] > incident.resolved_at:
            del values["started_at"]
        for name, value in values.items():
            if value and not getattr(incident, _attname(name)):
                setattr(incident, name, value)
        if known and incident.status == IncidentStatus.UNKNOWN:
            incident.status = IncidentStatus.RESOLVED
    return _snapshot(incident) != before


def _attname(name: str) -> str:
    # The foreign keys by id: reading `incident.runbook` would cost a query per incident.
    return f"{name}_id" if name in ("alert", "runbook", "postmortem") else name


def _snapshot(incident: Incident) -> list:
    return [getattr(incident, _attname(name)) for name in FACT_FIELDS[:-1]]
