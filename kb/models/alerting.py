"""Alerts and incidents: an alert name as Prometheus sends it, the runbooks that fit its labels, and
what happened (an incident named in a document or an alert received from Alertmanager).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from urllib.parse import quote

from django.db import connections, models
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from kb.models.constraints import name_constraints, named_any_case
from kb.models.documents import Document, PostMortem, Runbook


class AlertQuerySet(models.QuerySet):
    def named(self, name: str) -> Alert | None:
        """The alert of that name whatever its case, or None."""
        return named_any_case(self, name).first()


class AlertManager(models.Manager.from_queryset(AlertQuerySet)):
    def for_name(self, name: str | None) -> Alert | None:
        """The alert of that name whatever its case, created when new; None for no name."""
        if not name:
            return None
        return self.named(name) or self.create(name=name)


class Alert(models.Model):
    """A Prometheus alert name; unique regardless of case, displayed as first written."""

    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    # Its incidents, kept by kb.alerting.incidents (the one write path of incidents) as they are written:
    # the insights rank recurring alerts by it, never counting incidents on a page.
    incident_count = models.PositiveIntegerField(default=0)

    objects = AlertManager()

    class Meta:
        ordering = ["name"]
        constraints = name_constraints("alert_name")
        indexes = [models.Index(fields=["-incident_count", "name"], name="alert_most_incidents")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"/alerts/{quote(self.name, safe=':')}/"

    def runbooks_for(self, labels: dict[str, str]) -> list[Runbook]:
        """Runbooks whose label scope the given labels satisfy, most specific first."""
        # .all(), filtered here, so that a prefetch of the runbooks (the webhook's, for 1,000 alerts) is used.
        fitting = [
            runbook
            for runbook in self.runbooks.all()
            if not runbook.archived and all(labels.get(key) == str(value) for key, value in runbook.labels.items())
        ]
        return sorted(fitting, key=lambda r: (-len(r.labels), r.title))

    def runbook_choice(
        self, labels: dict[str, str], *, follow_stub: bool = True
    ) -> tuple[Runbook | None, list[Runbook]]:
        """(the runbook with the most labels among those that fit, []), or (None, the runbooks tied for most).

        A stub ("Same as X", "moved to X") never competes with a real runbook of this alert; chosen for
        want of one, it leads to the runbook of the alert it names when that alert has one.
        """
        fitting = self.runbooks_for(labels)
        fitting = [runbook for runbook in fitting if not runbook.stub_of] or fitting
        tied = [runbook for runbook in fitting if len(runbook.labels) == len(fitting[0].labels)]
        if len(tied) > 1 and all(runbook.stub_of for runbook in tied):
            tied = tied[:1]  # stubs alone: any of them says where to go
        if len(tied) != 1:
            return None, tied
        best = tied[0]
        if follow_stub and best.stub_of:
            target = Alert.objects.filter(name__iexact=best.stub_of).exclude(pk=self.pk).first()
            followed = target.runbook_choice(labels, follow_stub=False)[0] if target else None
            if followed is not None and not followed.stub_of:
                return followed, []
        return best, []

    def best_runbook(self, labels: dict[str, str]) -> Runbook | None:
        """The runbook with the most labels among those that fit; None when none fits or two tie."""
        return self.runbook_choice(labels)[0]


class IncidentStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"
    UNKNOWN = "unknown", "Unknown"


class IncidentOrigin(models.TextChoices):
    DOCUMENT = "document", "Named in a document"
    ALERTMANAGER = "alertmanager", "Received from Alertmanager"
    MANUAL = "manual", "Written by hand"


class IncidentQuerySet(models.QuerySet):
    def at_url(self, *, key: str | None = None, pk: int | None = None) -> IncidentQuerySet:
        """The incident `get_absolute_url` gives that URL: by reference (`236` is `#236`), or, under
        `received/`, by id among those without a reference."""
        if key is None:
            return self.filter(pk=pk, reference="")
        return self.filter(reference__in=[f"#{key}", key]).order_by(models.F("reference").desc())

    def received(self, keys: Collection[tuple[str, datetime]]) -> IncidentQuerySet:
        """The incidents received from Alertmanager with these keys (fingerprint, start), unordered: each key
        looked up in `incident_fingerprint_start_unique`, joined to the keys as a list of rows. A fingerprint in
        one list and a start in another made SQLite read every incident (the partial index unproven); with the
        index, try each start with each fingerprint found (a million lookups for a 1,000-alert group already
        stored); and with the pairs in `IN (VALUES …)`, read the whole index."""
        if not keys:
            return self.none()
        connection = connections[self.db]
        quote, meta = connection.ops.quote_name, self.model._meta
        fingerprint, start = quote(meta.get_field("fingerprint").column), meta.get_field("started_at")
        pairs = [[key, start.get_db_prep_value(at, connection)] for key, at in keys]
        if connection.vendor == "sqlite":
            # One JSON parameter, so one statement's text whatever the number of keys: the driver keeps each text
            # it compiles (kb.models.lookups).
            rows = "SELECT json_extract(value, '$[0]') AS column1, json_extract(value, '$[1]') AS column2 FROM json_each(%s)"
            params = [json.dumps(pairs, ensure_ascii=False)]
        else:
            rows = "VALUES " + ", ".join(["(%s, %s)"] * len(pairs))
            params = [value for pair in pairs for value in pair]
        stored = RawSQL(
            f"SELECT i.{quote(meta.pk.column)} FROM ({rows}) AS k JOIN {quote(meta.db_table)} AS i"
            f" ON i.{fingerprint} = k.column1 AND i.{quote(start.column)} = k.column2 WHERE NOT (i.{fingerprint} = '')",
            params,
        )
        return self.filter(pk__in=stored).order_by()


class Incident(models.Model):
    """Something that happened: a `#236` named in a document, or an alert received from Alertmanager.

    An incident documents name carries what they say about it (`kb.alerting.incidents`): the date,
    alert and runbook of its resolution history row, the change made and the fix, and the title and
    severity of the post-mortem that covers it.
    """

    reference = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=500, blank=True)
    # No index of its own, nor `runbook`: those of (alert, -started_at) and (runbook, -started_at) start with them
    # (migration 0026).
    alert = models.ForeignKey(
        Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents", db_index=False
    )
    status = models.CharField(max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.UNKNOWN)
    started_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    runbook = models.ForeignKey(
        Runbook, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents", db_index=False
    )
    postmortem = models.ForeignKey(
        PostMortem, null=True, blank=True, on_delete=models.SET_NULL, related_name="primary_incidents"
    )
    # Documents that name this incident (`#236` in a resolution history or a post-mortem).
    documents = models.ManyToManyField(Document, blank=True, related_name="incidents_named")
    notes = models.TextField(blank=True)
    # What fixed it, and the value it changed (`512Mi` → `1Gi`), as its documents tell.
    fix = models.TextField(blank=True)
    change_from = models.CharField(max_length=500, blank=True)
    change_to = models.CharField(max_length=500, blank=True)
    severity = models.CharField(max_length=100, blank=True)
    # Where it came from: documents (their facts are rewritten at each save of one), Alertmanager, or a person.
    origin = models.CharField(
        max_length=20, choices=IncidentOrigin.choices, default=IncidentOrigin.MANUAL, editable=False
    )
    # The Prometheus graph of the alert's expression, as Alertmanager sent it (http or https only).
    generator_url = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["reference"], condition=~Q(reference=""), name="incident_reference_unique"),
            models.UniqueConstraint(
                fields=["fingerprint", "started_at"],
                condition=~Q(fingerprint=""),
                name="incident_fingerprint_start_unique",
            ),
            models.CheckConstraint(condition=Q(status__in=IncidentStatus.values), name="incident_status_valid"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | Q(started_at__isnull=True)
                | Q(resolved_at__gte=models.F("started_at")),
                name="incident_resolved_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["alert", "-started_at"]),
            models.Index(fields=["runbook", "-started_at"]),
            # A runbook's "Last time" also lists its alert's incidents received before any runbook fitted them.
            models.Index(
                fields=["alert", "-started_at"], condition=Q(runbook__isnull=True), name="incident_alert_no_runbook"
            ),
            models.Index(fields=["-started_at"], condition=Q(status="firing"), name="incident_firing_recent"),
            # How many fire, and the latest of them (the home page): SQLite uses no partial index for
            # `status = %s`, a bound parameter, and counted them by reading every incident (15 ms at 8,000).
            models.Index(fields=["status", "-started_at"], name="incident_status"),
            # What fires now per alert (the home page), without reading the alerts' resolved incidents.
            models.Index(
                fields=["alert", "-started_at"], condition=Q(status="firing"), name="incident_firing_by_alert"
            ),
            # The incident list's order (newest first, by start or else arrival), read page by page from here.
            models.Index(Coalesce("started_at", "created_at").desc(), F("id").desc(), name="incident_list_order"),
            # The newest write to any incident: part of what a cached page is keyed by (kb.views.conditional).
            models.Index(fields=["-updated_at"], name="incident_newest_write"),
        ]

    def __str__(self) -> str:
        return self.reference or self.title or f"incident {self.pk}"

    def get_absolute_url(self) -> str:
        """`/incidents/236/` for `#236`, `/incidents/INC-42/` for `INC-42`; an incident without a
        reference (received from Alertmanager, written by hand) under `/incidents/received/<id>/`,
        so that the two never collide."""
        if self.reference:
            return f"/incidents/{quote(self.url_key, safe='')}/"
        return f"/incidents/received/{self.pk}/"

    @property
    def url_key(self) -> str:
        """What names it in its URL: the reference without its `#` (`236`, `INC-42`)."""
        return self.reference.removeprefix("#")

    def get_edit_url(self) -> str:
        return f"{self.get_absolute_url()}edit/"

    @property
    def dated_only(self) -> bool:
        """Its documents give a day, not a time: show the date alone."""
        return self.origin == IncidentOrigin.DOCUMENT

    @property
    def change(self) -> str:
        """ "512Mi → 1Gi", "→ 1Gi", or "" when its documents record no value."""
        if not (self.change_from or self.change_to):
            return ""
        return f"{self.change_from} → {self.change_to}".strip()

    @property
    def duration(self):
        """How long it lasted, or has lasted so far while firing; None without a start."""
        if self.started_at is None:
            return None
        if self.resolved_at is not None:
            return self.resolved_at - self.started_at
        return timezone.now() - self.started_at if self.status == IncidentStatus.FIRING else None

    def resolve(self, *, at) -> bool:
        """Marks it resolved at `at` (not before its start), unsaved; False when it already was: the first time stands."""
        if self.status == IncidentStatus.RESOLVED:
            return False
        self.status = IncidentStatus.RESOLVED
        self.resolved_at = max(at, self.started_at) if self.started_at else at
        return True
