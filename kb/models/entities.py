"""Entities and their mentions: what documents name (an alert, a metric, a host…), other names of
it, and each section of a document that names it.
"""

from __future__ import annotations

from urllib.parse import quote

from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL

from kb.models.constraints import name_constraints
from kb.models.documents import Document


class EntityKind(models.TextChoices):
    ALERT = "alert", "Alert"
    METRIC = "metric", "Metric"
    COMPONENT = "component", "Component"
    NAMESPACE = "namespace", "Namespace"
    HOST = "host", "Host"
    FILE = "file", "File"
    INCIDENT = "incident", "Incident"
    POSTMORTEM = "postmortem", "Post-mortem reference"


def entity_url(name: str) -> str:
    """The page of the entity of that name (`Entity.get_absolute_url`), without an instance: an import links
    thousands of entities, and a model instance each was a fifth of that linking."""
    # A leading slash would make "//" in the URL, which proxies may merge.
    quoted = "%2F" + quote(name[1:], safe="/") if name.startswith("/") else quote(name, safe="/")
    return f"/entities/{quoted}/"


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
    # Kept up to date by kb.entities.counts as documents are written, never counted on a page: live
    # documents mentioning it, of which post-mortems, runbooks, and runbooks for it (its own alert).
    document_count = models.PositiveIntegerField(default=0)
    implicated_in = models.PositiveIntegerField(default=0)
    runbook_count = models.PositiveIntegerField(default=0)
    subject_runbook_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"
        constraints = [
            *name_constraints("entity_name"),
            models.CheckConstraint(condition=Q(kind__in=EntityKind.values), name="entity_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["kind", "ignored"]),
            # The insights' top lists and the entity list, read in order from these, never sorted whole.
            # Not `ignored`: Django writes `ignored=False` as `NOT ignored`, which no index answers.
            models.Index(fields=["-implicated_in", "name"], name="entity_most_implicated"),
            models.Index(fields=["kind", "-implicated_in", "name"], name="entity_kind_implicated"),
            # The insights' wanted alerts (no runbook is for them): read in order, not past every alert that has one.
            models.Index(fields=["kind", "subject_runbook_count", "-implicated_in", "name"], name="entity_wanted"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return entity_url(self.name)

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
        constraints = name_constraints("entity_alias")

    def __str__(self) -> str:
        return self.name


class Mention(models.Model):
    """An entity named in one section of a document: how often, and the sentence of the first time."""

    # No index of its own: the constraint's and `mention_votes` both start with it (migration 0026).
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="mentions", db_index=False)
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
        # An entity's kind is the vote of its mentions' documents (kb.entities.mentions.entities_revote):
        # counted from this index alone. Entity-and-document lookups use the unique constraint's index.
        indexes = [models.Index(fields=["entity", "kind", "document"], name="mention_votes")]

    def __str__(self) -> str:
        return f"{self.entity} in {self.document_id} §{self.position}"


def entity_ids_named(name: str) -> tuple[str, list[str]]:
    """The SQL of the ids of the entities, not ignored, with this name or alias whatever its case, and its
    parameters: two at most, each found on a unique index on LOWER(name) (named_any_case's comparison). One
    subquery of the two lookups' UNION: as an OR of two subqueries, PostgreSQL could not tell how few they give,
    expected 35,000 entities and read every mention of them. Written out: the ORM's union of two aliased
    lookups took 1.5 ms of CPU to build, the query 0.2, on every alert page no runbook answers."""
    entities, aliases = Entity._meta.db_table, EntityAlias._meta.db_table
    return (
        f"SELECT id FROM {entities} WHERE NOT ignored AND id IN (SELECT id FROM {entities} WHERE LOWER(name) = LOWER(%s)"
        f" UNION SELECT entity_id FROM {aliases} WHERE LOWER(name) = LOWER(%s))",
        [name, name],
    )


def entities_named(name: str) -> models.QuerySet[Entity]:
    """The entities of `entity_ids_named`."""
    return Entity.objects.filter(pk__in=RawSQL(*entity_ids_named(name)))
