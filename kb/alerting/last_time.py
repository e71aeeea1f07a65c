"""What a runbook page leads with: the last incidents of its alert that it applied to (from its
resolution history and from Alertmanager, merged, newest first) with what fixed each, the trend of
the change, and the runbook's own next step for when the fix does not hold.

One query, whatever the number of incidents: the last few rows of each, read through the indexes on
(runbook, -started_at) and on (alert, -started_at) of the incidents without a runbook, each limited on its
own and put together by UNION ALL. One query with an OR of the two read every incident of both and sorted
them (10 ms on PostgreSQL at 100,000 incidents); two queries were two round trips on the first view of
every runbook page. The query is written out, with the columns the page shows: building it with the ORM
(three querysets compiled) and reading every column of each incident (its annotations, notes, source URL)
cost 4 of the 23 ms of CPU of a runbook page's first view at 100,000 incidents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from kb.alerting.history import STARTED, alert_recent_end, incidents_latest, latest_first
from kb.markdown.fixes import NextStep, next_step
from kb.models import Incident, IncidentOrigin, Runbook

SHOWN = 4  # entries in the block
READ = 12  # rows read to fill them: incidents fixed by one history row share an entry


@dataclass
class LastTimeEntry:
    """One occasion: the incidents one history row names together (#236, #237), or one received."""

    incidents: list[Incident] = field(default_factory=list)

    @property
    def first(self) -> Incident:
        return self.incidents[0]


@dataclass
class LastTime:
    entries: list[LastTimeEntry]
    trend: str | None
    next_step: NextStep | None

    def __bool__(self) -> bool:
        return bool(self.entries or self.trend or self.next_step)


def last_time(*, runbook: Runbook, trend: str | None, read: list[Incident] | None = None) -> LastTime:
    """The "Last time" block of `runbook`, given the trend its resolution history sums up to: its
    incidents, and those of its alert for which no runbook was chosen (received before it was written);
    `read`, when given, those rows as `runbook_incidents_read` read them."""
    if read is None:
        read = latest_first([row for rows in incidents_latest(_last_time_ends(runbook)) for row in rows])
    return LastTime(entries=_entries(read[:READ])[:SHOWN], trend=trend, next_step=next_step(runbook.source_text))


@dataclass
class RunbookIncidents:
    last_time: list[Incident]  # what the "Last time" block is made of (last_time's `read`), latest first
    # Its alert's last incidents, with the alert's counts (incident_history's `recent`); None: no alert.
    alert_recent: list[Incident] | None
    named: dict[str, Incident] = field(default_factory=dict)  # by reference: those asked for that it names


def runbook_incidents_read(*, runbook: Runbook, references: list[str] | None = None) -> RunbookIncidents:
    """The incidents a runbook page shows, in one query: those of "Last time" and its alert's last ones (each
    the end of an index) with its alert's counts, and those of `references` (its resolution history's) that the
    runbook names; the alert's, its counts and the named ones were each a round trip of their own on the first
    view of every runbook page."""
    ends = _last_time_ends(runbook)
    counted = None
    if runbook.alert_id is not None:
        counted = (runbook.alert_id, timezone.now())  # the rows carry the alert's counts too
        ends.append(alert_recent_end(alert_id=runbook.alert_id))
    if references:
        through = Incident.documents.through._meta.db_table
        ends.append((
            f"id IN (SELECT incident_id FROM {through} WHERE document_id = %s) AND reference IN"
            f" ({', '.join(['%s'] * len(references))})",
            [runbook.pk, *references],
            len(references),
        ))  # fmt: skip
    read = incidents_latest(ends, counted=counted)
    named = {incident.reference: incident for incident in read.pop()} if references else {}
    if runbook.alert_id is None:
        return RunbookIncidents(last_time=latest_first(read[0]), alert_recent=None, named=named)
    return RunbookIncidents(last_time=latest_first(read[0] + read[1]), alert_recent=latest_first(read[2]), named=named)


def _last_time_ends(runbook: Runbook) -> list[tuple[str, list, int]]:
    """The ends of indexes "Last time" reads: (condition, its parameters, how many rows)."""
    ends = [(f"runbook_id = %s AND {STARTED}", [runbook.pk], READ)]
    if runbook.alert_id is not None:
        ends.append((f"alert_id = %s AND runbook_id IS NULL AND {STARTED}", [runbook.alert_id], READ))
    return ends


def _entries(incidents: list[Incident]) -> list[LastTimeEntry]:
    entries: list[LastTimeEntry] = []
    for incident in incidents:
        if entries and _same_occasion(entries[-1].first, incident):
            entries[-1].incidents.insert(0, incident)  # #236 before #237
        else:
            entries.append(LastTimeEntry([incident]))
    return entries


def _same_occasion(a: Incident, b: Incident) -> bool:
    return a.origin == b.origin == IncidentOrigin.DOCUMENT and (a.started_at, a.fix, a.change_from, a.change_to) == (
        b.started_at,
        b.fix,
        b.change_from,
        b.change_to,
    )
