"""What the pages show about alerts received: an alert's recent incidents, what fires now, and
whether an incident repeats one whose post-mortem still has open follow-ups.

Each function does a fixed, small number of queries, whatever the number of incidents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from kb.alerting.webhook import silence_url
from kb.models import (
    Alert,
    Document,
    FollowUp,
    Incident,
    IncidentOrigin,
    IncidentStatus,
    Mention,
    PostMortem,
    Runbook,
    entity_ids_named,
)

RECENT = 10
# What the pages show of an incident in a short list (the recent incidents of an alert, a runbook's "Last time").
SHOWN_FIELDS = (
    "id", "reference", "title", "alert", "status", "started_at", "resolved_at", "fingerprint", "labels", "origin",
    "fix", "change_from", "change_to",
)  # fmt: skip
STARTED = "started_at IS NOT NULL"  # "Last time" and the recent incidents: those with a start
FIRING_LISTED = 100  # instances read to show a few per alert
FIRING_ALERTS_SHOWN = 20  # alerts listed on the home page: those that started last
FIRING_SHOWN_PER_ALERT = 3
FIRING_COLUMNS = ("reference", "title", "alert", "status", "started_at", "resolved_at", "labels", "runbook")
# Labels every instance of an alert shares in most setups; they say nothing about which instance it is.
UNINFORMATIVE_LABELS = {"alertname", "severity", "prometheus", "job"}


@dataclass
class IncidentRow:
    incident: Incident
    labels: dict[str, str]  # the labels that tell this instance from the others


@dataclass
class IncidentHistory:
    alert: Alert
    rows: list[IncidentRow]
    count_30d: int
    count_90d: int
    resolved_90d: int
    mean_time_to_resolve: timedelta | None  # over the incidents resolved among those of the last 90 days
    received: bool  # any from Alertmanager (they have its fingerprint), ever
    documented: int  # named in documents (a resolution history, a post-mortem); counted only when none was received


def alert_recent_end(*, alert_id: int) -> tuple[str, list, int]:
    """The end of the alert's index its last RECENT incidents are, as `incidents_latest` reads it."""
    return (f"alert_id = %s AND {STARTED}", [alert_id], RECENT)


def incidents_latest(
    ends: list[tuple[str, list, int]], *, counted: tuple[int, datetime] | None = None
) -> list[list[Incident]]:
    """The latest incidents (by start) under each condition (an end of an index: condition, its parameters, how
    many rows), read in one query: each a subquery of a UNION ALL (a LIMIT inside a compound is refused by
    SQLite), its rows told apart by a constant column. Written out, with the columns of SHOWN_FIELDS alone:
    building the ORM's querysets cost more CPU than running them on a page's first view.

    `counted` (an alert, now): every row also carries that alert's counts (`alert_counts` reads them), computed
    once in the same statement rather than asked by one of their own (a statement parsed and planned anew on
    PostgreSQL, and a round trip, on the first view of every runbook page)."""
    columns = ", ".join(Incident._meta.get_field(name).column for name in SHOWN_FIELDS)
    table = Incident._meta.db_table
    counts, carried, joined, parameters = "", "", "", []
    if counted is not None:
        counts_sql, parameters = _counts_sql(alert_id=counted[0], now=counted[1])
        counts, carried, joined = (
            f"WITH kb_counts AS MATERIALIZED ({counts_sql}) ",
            ", kb_counts.*",
            " CROSS JOIN kb_counts",
        )
    sql = counts + " UNION ALL ".join(
        f"SELECT end{n}.*, {n} AS kb_end{carried} FROM (SELECT {columns} FROM {table} WHERE {condition}"
        f" ORDER BY started_at DESC, id DESC LIMIT {int(limit)}) AS end{n}{joined}"
        for n, (condition, _, limit) in enumerate(ends)
    )
    parameters += [parameter for _, end_parameters, _ in ends for parameter in end_parameters]
    read: list[list[Incident]] = [[] for _ in ends]
    for incident in Incident.objects.raw(sql, parameters):
        read[incident.kb_end].append(incident)
    return read


def alert_counts(recent: list[Incident]) -> dict:
    """The counts an alert's last incidents carry (`incidents_latest`'s `counted`). None read: the alert has no
    incident with a start, none in any range of it."""
    if not recent:
        return {"count_30d": 0, "count_90d": 0, "resolved_90d": 0, "mean_time_to_resolve": None}
    first = recent[0]
    return _counts_of(first.kb_count_30d, first.kb_count_90d, first.kb_resolved_90d, first.kb_mean)


def latest_first(incidents: list[Incident]) -> list[Incident]:
    """Incidents that have a start, the latest first, as their index orders them."""
    return sorted(incidents, key=lambda incident: (incident.started_at, incident.pk), reverse=True)


def incident_history(
    *, alert: Alert, now: datetime | None = None, recent: list[Incident] | None = None
) -> IncidentHistory:
    """The last incidents of `alert` and its counts over 30 and 90 days (`recent`: both, when already read by
    `incidents_latest`, its `counted`): one query, reading two bounded ranges of the alert's index, not all its
    incidents (two more, rarely: see `received`)."""
    if recent is None:
        recent = latest_first(
            incidents_latest([alert_recent_end(alert_id=alert.pk)], counted=(alert.pk, now or timezone.now()))[0]
        )
    stats = alert_counts(recent)
    # Whether any came from Alertmanager, and (shown only when none did) how many its documents name: read from
    # the last incidents when they tell, else from the alert's index (the first one received ends the read).
    received = any(incident.fingerprint for incident in recent)
    documented = 0
    if not received and len(recent) < RECENT:
        documented = sum(incident.origin == IncidentOrigin.DOCUMENT for incident in recent)
    elif not received:
        timed = Incident.objects.filter(alert=alert, started_at__isnull=False)
        received = timed.exclude(fingerprint="").exists()
        documented = 0 if received else timed.filter(origin=IncidentOrigin.DOCUMENT).count()
    return IncidentHistory(alert=alert, rows=_rows(recent), received=received, documented=documented, **stats)


def _counts_sql(*, alert_id: int, now: datetime) -> tuple[str, list]:
    """The SELECT of an alert's incidents over the last 30 and 90 days, the resolved ones and their mean time to
    resolve (one row), from the range of its (alert, -started_at) index, and its parameters. Written out: compiling
    the ORM's aggregate of four filtered expressions took more than running it on a runbook page's first view."""
    if connection.vendor == "sqlite":
        lasted = "django_timestamp_diff(resolved_at, started_at)"  # microseconds, as the ORM computes it there
    else:
        lasted = "EXTRACT(EPOCH FROM resolved_at - started_at) * 1000000"
    since_30d, since_90d = (connection.ops.adapt_datetimefield_value(now - timedelta(days=d)) for d in (30, 90))
    return (
        "SELECT COUNT(*) FILTER (WHERE started_at >= %s) AS kb_count_30d, COUNT(*) AS kb_count_90d,"
        " COUNT(*) FILTER (WHERE resolved_at IS NOT NULL) AS kb_resolved_90d,"
        f" AVG({lasted}) FILTER (WHERE resolved_at IS NOT NULL) AS kb_mean FROM {Incident._meta.db_table}"
        " WHERE alert_id = %s AND started_at IS NOT NULL AND started_at >= %s",
        [since_30d, alert_id, since_90d],
    )


def _counts_of(count_30d: int, count_90d: int, resolved_90d: int, mean) -> dict:
    return {
        "count_30d": count_30d,
        "count_90d": count_90d,
        "resolved_90d": resolved_90d,
        "mean_time_to_resolve": None if mean is None else timedelta(microseconds=float(mean)),
    }


def _rows(incidents: list[Incident]) -> list[IncidentRow]:
    shared = set.intersection(*(set(i.labels.items()) for i in incidents)) if len(incidents) > 1 else set()
    return [
        IncidentRow(
            incident,
            {
                k: v
                for k, v in sorted(incident.labels.items())
                if k not in UNINFORMATIVE_LABELS and (k, v) not in shared
            },
        )
        for incident in incidents
    ]


@dataclass
class FiringAlert:
    alert: Alert  # annotated with `firing` (how many instances) and `since` (the earliest start)
    rows: list[IncidentRow]  # its latest few instances

    @property
    def unlisted(self) -> int:
        return self.alert.firing - len(self.rows)

    @property
    def runbook(self):
        """The runbook of its latest instance that has one: the one an operator opens first."""
        return next((row.incident.runbook for row in self.rows if row.incident.runbook), None)


@dataclass
class FiringNow:
    alerts: list[FiringAlert]  # those that started last, FIRING_ALERTS_SHOWN at most
    # False while KB_ALERTMANAGER_TOKEN is unset: the webhook refuses every delivery, so "nothing fires"
    # would be a guess.
    receiving: bool = True
    total: int = 0  # instances firing
    names: int | None = None  # how many alerts they are, when every one is listed; None when more are

    @property
    def more(self) -> bool:
        return self.names is None


def firing_now() -> FiringNow:
    """Alerts firing now, the latest started first, each with its latest instances: four queries, each
    bounded, whatever the number of incidents. The alerts are those of the latest instances (the partial
    index on firing incidents), so that an alert storm lists the alerts that started last, not all of them."""
    latest = list(
        Incident.objects.filter(status=IncidentStatus.FIRING, alert__isnull=False)
        # What the list shows of each: Alertmanager's annotations, notes and the like were decoded for nothing.
        .only(*FIRING_COLUMNS)
        .order_by(F("started_at").desc(nulls_last=True), "-pk")[:FIRING_LISTED]
    )
    by_alert: dict[int, list[Incident]] = {}
    for incident in latest:
        by_alert.setdefault(incident.alert_id, []).append(incident)
    shown = list(by_alert)[:FIRING_ALERTS_SHOWN]
    # Counted in the partial index of firing incidents alone (no other column read).
    total = Incident.objects.filter(status=IncidentStatus.FIRING).count() if latest else 0
    alerts = (
        Alert.objects.filter(pk__in=shown, incidents__status=IncidentStatus.FIRING)
        .annotate(firing=Count("incidents"), since=Min("incidents__started_at"), latest=Max("incidents__started_at"))
        .order_by(F("latest").desc(nulls_last=True), "name")
        if shown
        else []
    )
    every_one_listed = len(latest) < FIRING_LISTED and len(by_alert) <= FIRING_ALERTS_SHOWN
    firing = [FiringAlert(alert, _rows(by_alert[alert.pk])[:FIRING_SHOWN_PER_ALERT]) for alert in alerts]
    _runbooks_read([row.incident for group in firing for row in group.rows])
    return FiringNow(
        alerts=firing,
        receiving=bool(settings.KB_ALERTMANAGER_TOKEN),
        total=total,
        names=len(by_alert) if every_one_listed else None,
    )


def _runbooks_read(incidents: list[Incident]) -> None:
    """The runbooks of the incidents shown, their titles and addresses alone, in one query: joined to the
    hundred instances read, each a runbook built from its document's row, they took 10 ms."""
    ids = {incident.runbook_id for incident in incidents if incident.runbook_id}
    runbooks = {r.pk: r for r in Runbook.objects.filter(pk__in=ids).only("kind", "slug", "title")} if ids else {}
    for incident in incidents:
        if incident.runbook_id:
            incident.runbook = runbooks.get(incident.runbook_id)


def postmortems_implicating(*, alert: Alert) -> QuerySet[PostMortem]:
    """Post-mortems of the alert's incidents, or mentioning it, as the entity page counts them.

    A mention is of the alert's entity found by its name or an alias, unless a curator ignored it:
    `NodeDown` is not mentioned by `NodeDownstream`, and no document text is scanned.
    """
    implicating = _postmortem_ids_implicating(alert_id=alert.pk, entities=entity_ids_named(alert.name))
    return PostMortem.objects.filter(archived=False, pk__in=RawSQL(*implicating))


def postmortems_implicating_latest(*, alert_id: int | None, entity_ids: list[int], shown: int) -> list[PostMortem]:
    """The latest `shown` of the post-mortems implicating an alert (`postmortems_implicating`), its entities read
    (`entity_ids`), or of those mentioning an entity (`alert_id` None); with what a list shows of each (title,
    date, summary, address). Written out: building the ORM's query of the same lookups took 4 ms of CPU, the
    query under 1, on every alert page no runbook answers."""
    if alert_id is None and not entity_ids:
        return []
    entities = (", ".join(["%s"] * len(entity_ids)), entity_ids) if entity_ids else None
    ids, parameters = _postmortem_ids_implicating(alert_id=alert_id, entities=entities)
    documents, postmortems = Document._meta.db_table, PostMortem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT d.id, d.kind, d.slug, d.title, p.date, p.summary FROM {postmortems} p"
            f" JOIN {documents} d ON d.id = p.document_ptr_id WHERE NOT d.archived AND d.id IN ({ids})"
            f" ORDER BY p.date DESC NULLS LAST, d.title LIMIT {int(shown)}",
            parameters,
        )
        rows = cursor.fetchall()
    return [
        PostMortem(pk=pk, kind=kind, slug=slug, title=title, date=date, summary=summary)
        for pk, kind, slug, title, date, summary in rows
    ]


def _postmortem_ids_implicating(*, alert_id: int | None, entities: tuple[str, list] | None) -> tuple[str, list]:
    """The SQL of the ids of the post-mortems (archived or not) that implicate an alert, and its parameters: those
    its incidents are named in or are of (`alert_id`), and those mentioning its entities (`entities`: the SQL of
    their ids and its parameters). Three lookups, each on an index, put together by UNION ALL: an OR across
    joins to the incidents, made distinct, read every post-mortem with every incident it names (200 ms on
    PostgreSQL at 100,000 incidents)."""
    lookups: list[tuple[str, list]] = []
    if alert_id is not None:
        through, incidents = Incident.documents.through._meta.db_table, Incident._meta.db_table
        lookups += [
            (
                f"SELECT named.document_id FROM {through} named JOIN {incidents} i ON i.id = named.incident_id"
                " WHERE i.alert_id = %s",
                [alert_id],
            ),
            (f"SELECT postmortem_id FROM {incidents} WHERE alert_id = %s AND postmortem_id IS NOT NULL", [alert_id]),
        ]
    if entities is not None:
        lookups.append(
            (f"SELECT document_id FROM {Mention._meta.db_table} WHERE entity_id IN ({entities[0]})", entities[1])
        )
    return " UNION ALL ".join(sql for sql, _ in lookups), [p for _, parameters in lookups for p in parameters]


@dataclass
class IncidentAlerting:
    incident: Incident
    outstanding: list[FollowUp]  # open follow-ups of earlier post-mortems implicating the alert
    silence_url: str | None
    matchers: dict[str, str]

    @property
    def repeat_with_remediation_outstanding(self) -> bool:
        return bool(self.outstanding)

    @property
    def postmortems(self) -> list[PostMortem]:
        return list({f.postmortem_id: f.postmortem for f in self.outstanding}.values())


def incident_alerting(*, incident: Incident) -> IncidentAlerting:
    """The repeat banner's follow-ups (one query) and the silence link of an incident received from Alertmanager."""
    outstanding: list[FollowUp] = []
    if incident.alert_id is not None and incident.started_at is not None:
        earlier = postmortems_implicating(alert=incident.alert).exclude(
            Q(primary_incidents=incident) | Q(incidents_named=incident) | Q(date__gt=incident.started_at.date())
        )
        outstanding = list(
            FollowUp.objects.open()
            .filter(postmortem__in=earlier.values("pk"))
            .order_by("-postmortem__date", "postmortem__title", "position")  # the latest first in the banner
        )
    link = None
    matchers = silence_matchers(incident)
    if settings.KB_ALERTMANAGER_URL and matchers:
        link = silence_url(
            alertmanager_url=settings.KB_ALERTMANAGER_URL,
            labels=matchers,
            comment=f"Silenced from the knowledge base, incident {incident}",
        )
    return IncidentAlerting(incident=incident, outstanding=outstanding, silence_url=link, matchers=matchers)


def silence_matchers(incident: Incident) -> dict[str, str]:
    """What a silence of it matches: the labels Alertmanager sent, else (an incident documents name)
    its alert within its runbook's scope."""
    if incident.labels:
        return dict(sorted((str(k), str(v)) for k, v in incident.labels.items()))
    if incident.alert_id is None:
        return {}
    scope = incident.runbook.labels if incident.runbook else {}
    return {"alertname": incident.alert.name, **{str(k): str(v) for k, v in sorted(scope.items())}}
