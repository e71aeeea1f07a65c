"""Alerts that recur (the insights page and its list): ranked by the incidents counted as they are written, with
their resolutions and the days they fired, and how the gaps between those days move."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection
from django.db.models import Count, DateField, F, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate

from kb.models import Alert, Incident, ResolutionEntry


@dataclass
class RecurringAlert:
    alert: Alert
    incident_count: int
    resolution_count: int
    resolutions: (
        list  # the latest (all of them, or the few a page shows), oldest first: rows with date, old, new, notes
    )
    dates: list[date]

    @property
    def url(self) -> str:
        # The alert link, not the entity page: an alert only received from Alertmanager has no entity.
        return self.alert.get_absolute_url()

    @property
    def more_resolutions(self) -> int:
        """How many resolutions are not listed."""
        return self.resolution_count - len(self.resolutions)

    @property
    def trend(self) -> str:
        """How the gaps between occurrences move: the last one against the average before it."""
        days = sorted(set(self.dates))
        if len(days) < 2:
            return "one date on record"
        gaps = [(b - a).days for a, b in zip(days, days[1:])]
        average = sum(gaps) / len(gaps)
        text = f"{len(days)} dates, every {round(average)} days on average"
        if len(gaps) >= 2:
            earlier = sum(gaps[:-1]) / len(gaps[:-1])
            if gaps[-1] < earlier * 0.75:
                text += f"; last gap {gaps[-1]} days: recurring faster"
            elif gaps[-1] > earlier * 1.25:
                text += f"; last gap {gaps[-1]} days: recurring slower"
            else:
                text += "; steady"
        return text


def recurring_alerts_ranked() -> QuerySet[Alert]:
    """Alerts with several incidents or several resolution rows, the most incidents first. The incidents are
    counted as they are written (`Alert.incident_count`); the resolution rows, a few per runbook, by a
    subquery on an index."""
    resolutions = (
        ResolutionEntry.objects.filter(runbook__alert=OuterRef("pk"), runbook__archived=False)
        .order_by()
        .values("runbook__alert")
        .annotate(n=Count("pk"))
    )
    return (
        Alert.objects.annotate(resolution_count=Coalesce(Subquery(resolutions.values("n")), 0))
        .filter(Q(incident_count__gte=2) | Q(resolution_count__gte=2))
        .order_by("-incident_count", "-resolution_count", "name")
    )


def _day(field: str) -> Func:
    """The day of a datetime column. On SQLite, whose TruncDate calls a Python function for every row (a
    thousand incidents read took 10 ms), SQLite's own `date()`: the same day, the time zone being UTC."""
    if connection.vendor == "sqlite" and settings.TIME_ZONE == "UTC":
        return Func(F(field), function="date", output_field=DateField())
    return TruncDate(field)


def recurring_details(alerts: list[Alert], *, resolutions: int | None = None) -> list[RecurringAlert]:
    """These alerts (annotated by `recurring_alerts_ranked`) with their latest `resolutions` (all when None) and
    the days they fired (two queries)."""
    if not alerts:
        return []
    entries = defaultdict(list)
    for entry in (
        ResolutionEntry.objects.filter(runbook__alert__in=alerts, runbook__archived=False)
        .annotate(for_alert=F("runbook__alert_id"))
        .order_by("date", "position")
        # What is shown of each, as plain rows: model instances decoded two JSON columns each (the incidents and
        # original cells) for nothing, 314 of them for the first 25 alerts at 13,000 documents.
        .values_list("for_alert", "date", "old", "new", "notes", named=True)
    ):
        entries[entry.for_alert].append(entry)
    started = defaultdict(list)
    days = (
        Incident.objects.filter(alert__in=alerts, started_at__isnull=False)
        .annotate(day=_day("started_at"))
        .order_by()
        .values_list("alert_id", "day")
        .distinct()
    )
    for alert_id, day in days:
        started[alert_id].append(day)
    return [
        RecurringAlert(
            alert,
            alert.incident_count,
            alert.resolution_count,
            _latest(entries[alert.pk], resolutions),
            [e.date for e in entries[alert.pk] if e.date] + started[alert.pk],
        )
        for alert in alerts
    ]


def _latest(rows: list, count: int | None) -> list:
    """The last `count` rows (all when None)."""
    return rows if count is None else rows[max(len(rows) - count, 0) :]
