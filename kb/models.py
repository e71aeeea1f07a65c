"""The knowledge model: documents (runbooks and post-mortems), their parts, alerts and incidents.

Runbook and PostMortem share one `Document` table (multi-table inheritance) so that
sections, revisions and search cover both kinds with one foreign key and one query.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


class DocumentKind(models.TextChoices):
    RUNBOOK = "runbook", "Runbook"
    POSTMORTEM = "postmortem", "Post-mortem"


class AlertManager(models.Manager):
    def for_name(self, name: str | None) -> Alert | None:
        """The alert of that name whatever its case, created when new; None for no name."""
        if not name:
            return None
        return self.filter(name__iexact=name).first() or self.create(name=name)


class Alert(models.Model):
    """A Prometheus alert name; unique regardless of case, displayed as first written."""

    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AlertManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="alert_name_unique_ci"),
            models.CheckConstraint(condition=~Q(name=""), name="alert_name_not_empty"),
        ]

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

    def runbook_choice(self, labels: dict[str, str]) -> tuple[Runbook | None, list[Runbook]]:
        """(the runbook with the most labels among those that fit, []), or (None, the runbooks tied for most)."""
        fitting = self.runbooks_for(labels)
        tied = [runbook for runbook in fitting if len(runbook.labels) == len(fitting[0].labels)]
        return (tied[0], []) if len(tied) == 1 else (None, tied)

    def best_runbook(self, labels: dict[str, str]) -> Runbook | None:
        """The runbook with the most labels among those that fit; None when none fits or two tie."""
        return self.runbook_choice(labels)[0]


class Document(models.Model):
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    slug = models.SlugField(max_length=200)
    # What makes a re-import find the same document: front matter `id`/`slug`, else the
    # path relative to the imported directory.
    identity = models.CharField(max_length=500, unique=True)
    title = models.CharField(max_length=500)
    source_path = models.CharField(max_length=1000, blank=True)
    # The text exactly as read (BOM and CRLF included): encoding it as UTF-8 gives back the file.
    source_text = models.TextField()
    content_hash = models.CharField(max_length=64)
    metadata = models.JSONField(default=dict, blank=True)
    html = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    edited_on_web = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "slug"], name="document_slug_unique_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="document_kind_valid"),
            models.CheckConstraint(condition=~Q(title=""), name="document_title_not_empty"),
            models.CheckConstraint(condition=Q(version__gte=1), name="document_version_positive"),
        ]
        indexes = [models.Index(fields=["kind", "archived", "-updated_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        prefix = "runbooks" if self.kind == DocumentKind.RUNBOOK else "postmortems"
        return f"/{prefix}/{self.slug}/"

    @property
    def reconstructed(self) -> bool:
        return any(w.startswith("structure reconstructed") for w in self.warnings)

    @property
    def file_path(self) -> str:
        """Where the document lives as a file, relative to a folder of documents: what the parser is
        given as its path, and where export_docs writes it.

        Its identity when that is a path (how the importer named it), else the file name it was
        imported from (its identity came from front matter `id:`), else `<slug>.md`.
        """
        if not self.identity.startswith("id:"):
            return self.identity
        return PurePosixPath(self.source_path.replace("\\", "/")).name or f"{self.slug}.md"


class Runbook(Document):
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="runbooks")
    # Label scope: the runbook applies to alerts whose labels contain all of these.
    labels = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["title"]


class PostMortem(Document):
    date = models.DateField(null=True, blank=True)
    duration = models.CharField(max_length=500, blank=True)
    severity = models.CharField(max_length=100, blank=True)
    affected = models.TextField(blank=True)
    status = models.TextField(blank=True)
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-date", "title"]
        verbose_name = "post-mortem"


class Section(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField()
    heading = models.CharField(max_length=500)
    level = models.PositiveSmallIntegerField()
    anchor = models.CharField(max_length=200)
    markdown = models.TextField(blank=True)

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(fields=["document", "position"], name="section_position_unique"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=6), name="section_level_1_to_6"),
        ]

    def __str__(self) -> str:
        return self.heading


class ResolutionEntry(models.Model):
    runbook = models.ForeignKey(Runbook, on_delete=models.CASCADE, related_name="resolution_entries")
    position = models.PositiveIntegerField()
    date = models.DateField(null=True, blank=True)
    incidents = models.JSONField(default=list, blank=True)
    old = models.CharField(max_length=500, blank=True)
    new = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    # Every original cell under its column header, whatever the columns were called.
    cells = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["runbook", "position"]
        verbose_name_plural = "resolution entries"
        constraints = [
            models.UniqueConstraint(fields=["runbook", "position"], name="resolution_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date or '?'} {self.old} → {self.new}".strip()


class FollowUpStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class FollowUpQuerySet(models.QuerySet):
    def open(self) -> FollowUpQuerySet:
        """Open follow-ups of post-mortems not archived, with their post-mortem, the oldest post-mortem first."""
        return (
            self.filter(status=FollowUpStatus.OPEN, postmortem__archived=False)
            .select_related("postmortem")
            .order_by(models.F("postmortem__date").asc(nulls_last=True), "postmortem_id", "position")
        )


class FollowUp(models.Model):
    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="follow_ups")
    position = models.PositiveIntegerField()
    text = models.TextField()
    status = models.CharField(max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    owner = models.CharField(max_length=200, blank=True)
    due = models.DateField(null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["postmortem", "position"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "position"], name="follow_up_position_unique"),
            models.CheckConstraint(condition=Q(status__in=FollowUpStatus.values), name="follow_up_status_valid"),
            models.CheckConstraint(condition=~Q(text=""), name="follow_up_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Lesson(models.Model):
    postmortem = models.ForeignKey(PostMortem, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["postmortem", "position"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "position"], name="lesson_position_unique"),
            models.CheckConstraint(condition=~Q(text=""), name="lesson_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class IncidentStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"
    UNKNOWN = "unknown", "Unknown"


class Incident(models.Model):
    """Something that happened: a `#236` named in a document, or an alert received from Alertmanager."""

    reference = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=500, blank=True)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents")
    status = models.CharField(max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.UNKNOWN)
    started_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    runbook = models.ForeignKey(Runbook, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents")
    postmortem = models.ForeignKey(
        PostMortem, null=True, blank=True, on_delete=models.SET_NULL, related_name="primary_incidents"
    )
    # Documents that name this incident (`#236` in a resolution history or a post-mortem).
    documents = models.ManyToManyField(Document, blank=True, related_name="incidents_named")
    notes = models.TextField(blank=True)
    # The Prometheus graph of the alert's expression, as Alertmanager sent it (http or https only).
    generator_url = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
            models.Index(fields=["-started_at"], condition=Q(status="firing"), name="incident_firing_recent"),
        ]

    def __str__(self) -> str:
        return self.reference or self.title or f"incident {self.pk}"

    def get_absolute_url(self) -> str:
        return f"/incidents/{self.pk}/"

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


class Revision(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    source_text = models.TextField()
    content_hash = models.CharField(max_length=64)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="revision_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.document} r{self.number}"


class SearchKind(models.TextChoices):
    RUNBOOK = "runbook", "Runbook"
    POSTMORTEM = "postmortem", "Post-mortem"
    INCIDENT = "incident", "Incident"
    # Entities join here: a kind, a nullable foreign key on SearchEntry (and in its one-owner constraint),
    # and a `search_index_entities` writer in kb/search_index.py.


class SearchScope(models.TextChoices):
    WHOLE = "whole", "Whole"  # ranked: one row per document or incident
    SECTION = "section", "Section"  # one row per section, to point a hit at its anchor


class SearchEntry(models.Model):
    """A row of the search index, written only by kb.search.ranking.

    The full-text index over these columns is the database's own and is not an ORM field
    (migration 0002_search): a weighted `vector` tsvector column with a GIN index on PostgreSQL,
    the FTS5 table `kb_searchentry_fts` kept in step by triggers on SQLite. A migration that
    rebuilds this table on SQLite must recreate those triggers.
    """

    kind = models.CharField(max_length=20, choices=SearchKind.choices)
    scope = models.CharField(max_length=10, choices=SearchScope.choices)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.CASCADE, related_name="search_entries"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="search_entries"
    )
    url = models.CharField(max_length=1000)
    title = models.CharField(max_length=500)
    alert = models.CharField(max_length=200, blank=True)
    heading = models.CharField(max_length=500, blank=True)
    # Matched, never shown: weight A (title, alert), B (headings), and D (body) with body_terms.
    title_terms = models.TextField(blank=True)
    heading_terms = models.TextField(blank=True)
    body = models.TextField(blank=True)  # plain text; snippets come from here
    body_terms = models.TextField(blank=True)  # identifiers of the body, joined and split into parts

    class Meta:
        verbose_name_plural = "search entries"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SearchKind.values), name="search_entry_kind_valid"),
            models.CheckConstraint(condition=Q(scope__in=SearchScope.values), name="search_entry_scope_valid"),
            models.CheckConstraint(
                condition=Q(document__isnull=False, incident__isnull=True)
                | Q(document__isnull=True, incident__isnull=False),
                name="search_entry_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}" + (f" § {self.heading}" if self.heading else "")


class SearchTerm(models.Model):
    """The words of the indexed text, as typed (lower case, not stemmed): known words and spelling corrections."""

    word = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.word


class EntityKind(models.TextChoices):
    ALERT = "alert", "Alert"
    METRIC = "metric", "Metric"
    COMPONENT = "component", "Component"
    NAMESPACE = "namespace", "Namespace"
    HOST = "host", "Host"
    FILE = "file", "File"
    INCIDENT = "incident", "Incident"
    POSTMORTEM = "postmortem", "Post-mortem reference"


class Entity(models.Model):
    """A thing documents mention (an alert, a metric, a host…), found by kb.entities.extraction or curated by hand.

    Mentions are derived and rewritten on every save; what a curator decided (the name, the kind,
    the aliases, ignoring it) lives here and survives every re-import.
    """

    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=EntityKind.choices)
    # A curator set the kind: extraction no longer votes on it.
    kind_curated = models.BooleanField(default=False)
    # A curator renamed, merged, aliased or typed it: its name and aliases are known everywhere.
    curated = models.BooleanField(default=False)
    # Ignored for good: never extracted again, mentions dropped.
    ignored = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="entity_name_unique_ci"),
            models.CheckConstraint(condition=~Q(name=""), name="entity_name_not_empty"),
            models.CheckConstraint(condition=Q(kind__in=EntityKind.values), name="entity_kind_valid"),
        ]
        indexes = [models.Index(fields=["kind", "ignored"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        # A leading slash would make "//" in the URL, which proxies may merge.
        name = "%2F" + quote(self.name[1:], safe="/") if self.name.startswith("/") else quote(self.name, safe="/")
        return f"/entities/{name}/"

    @property
    def names(self) -> list[str]:
        """Its name and aliases (aliases prefetched or not)."""
        return [self.name, *(alias.name for alias in self.aliases.all())]


class EntityAlias(models.Model):
    """Another name of an entity: found in a document, it counts as the entity."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=300)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entity aliases"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="entity_alias_unique_ci"),
            models.CheckConstraint(condition=~Q(name=""), name="entity_alias_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Mention(models.Model):
    """An entity named in one section of a document: how often, and the sentence of the first time."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="mentions")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="mentions")
    # The kind this document's evidence suggests; the entity's kind is the vote of all documents.
    kind = models.CharField(max_length=20, choices=EntityKind.choices)
    position = models.PositiveIntegerField()  # the section in the outline; 0 is the text before any heading
    heading = models.CharField(max_length=500, blank=True)
    anchor = models.CharField(max_length=200, blank=True)
    surface = models.CharField(max_length=300)  # as written there
    snippet = models.TextField(blank=True)
    count = models.PositiveIntegerField(default=1)
    # The document is for this entity: a runbook's own alert.
    subject = models.BooleanField(default=False)

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "document", "position"], name="mention_once_per_section"),
            models.CheckConstraint(condition=Q(kind__in=EntityKind.values), name="mention_kind_valid"),
        ]
        indexes = [models.Index(fields=["entity", "document"])]

    def __str__(self) -> str:
        return f"{self.entity} in {self.document_id} §{self.position}"
