"""What the mentions add up to: an entity's page, the entity lists and insights (related documents: kb.entities.related).

Every function here reads with a fixed number of queries, whatever the number of mentions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, reduce
from operator import or_

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
)
from django.db.models.functions import Cast
from django.utils import timezone

from kb.entities.grammar import reference_date
from kb.entities.names import name_pattern
from kb.entities.recurring import RecurringAlert, recurring_alerts_ranked, recurring_details
from kb.models import (
    DOCUMENT_TEXTS,
    Alert,
    Document,
    DocumentKind,
    Entity,
    EntityKind,
    FollowUp,
    Incident,
    Mention,
    PostMortem,
    named_any_case,
)

MAX_APPEARANCES = 200
INCIDENTS_SEARCHED = 2000  # the latest incidents an entity page looks for the entity's names in
RESOLUTIONS_SHOWN = 3  # the latest resolutions of each recurring alert on the insights page

# Alertmanager labels whose value may be an entity's name (a namespace, a pod, a node…).
INCIDENT_LABELS = (
    "namespace",
    "pod",
    "container",
    "deployment",
    "daemonset",
    "statefulset",
    "service",
    "job",
    "instance",
    "node",
)


def entities_annotated(queryset: QuerySet[Entity] | None = None) -> QuerySet[Entity]:
    """Entities with `implicated_in` (distinct post-mortems), `documents` and `has_runbook`, read from
    the counts kept on each entity (kb.entities.counts), not counted over the mentions.

    An alert has a runbook when a runbook is for it; any other entity when a runbook mentions it.
    """
    queryset = queryset if queryset is not None else Entity.objects.filter(ignored=False)
    return queryset.annotate(
        documents=F("document_count"),
        has_runbook=ExpressionWrapper(
            Q(subject_runbook_count__gt=0) | (~Q(kind=EntityKind.ALERT) & Q(runbook_count__gt=0)),
            output_field=BooleanField(),
        ),
    )


@dataclass
class Appearance:
    """An entity in one document: the first sentence that names it, and how often."""

    document: Document
    heading: str
    anchor: str
    snippet: str
    count: int = 0
    subject: bool = False

    @property
    def url(self) -> str:
        return self.document.get_absolute_url() + (f"#{self.anchor}" if self.anchor else "")


def entity_named(name: str) -> tuple[Entity | None, bool]:
    """The entity with this name or alias, any case, annotated by `entities_annotated`; the flag says it was found by an alias."""
    named = entities_annotated(Entity.objects.prefetch_related("aliases"))
    entity = named_any_case(named, name).first()
    if entity is not None:
        return entity, False
    entity = named_any_case(named, name, field="aliases__name").first()
    return (entity, True) if entity is not None else (None, False)


@dataclass
class EntityProfile:
    entity: Entity  # annotated by `entities_annotated`, as `entity_named` gives it
    postmortems: list[Appearance] = field(default_factory=list)
    runbooks_for: list[Appearance] = field(default_factory=list)
    runbooks_mentioning: list[Appearance] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    referenced: list[PostMortem] = field(default_factory=list)  # for a reference to a post-mortem by date

    @property
    def shown(self) -> int:
        """How many documents the page lists (at most MAX_APPEARANCES)."""
        return len(self.postmortems) + len(self.runbooks_for) + len(self.runbooks_mentioning)

    @property
    def headline(self) -> str:
        count = self.entity.implicated_in
        parts = [f"implicated in {count} post-mortem{'s' if count != 1 else ''}"]
        parts.append("has a runbook" if self.entity.has_runbook else "no runbook")
        open_count = len(self.follow_ups)
        if open_count:
            parts.append(f"{open_count} open follow-up{'s' if open_count != 1 else ''}")
        return " · ".join(parts)


# What the entity page shows of each incident (kb/partials/incident_item.html), with its alert.
INCIDENT_LISTED = ("reference", "title", "alert", "status", "started_at", "origin", "change_from", "change_to", "fix")


def entity_profile(entity: Entity, *, incident_documents: bool = True) -> EntityProfile:
    """Where an entity (as `entity_named` gives it) appears: post-mortems (newest first), runbooks, incidents, open
    follow-ups. `incident_documents`: each incident with its runbook and post-mortem (the API's); without, only
    what the page lists: building the query of three relations and their documents' columns was a third of the
    page's first view."""
    profile = EntityProfile(entity)
    names = entity.names
    by_document: dict[int, Appearance] = {}
    # The newest documents naming it, at most MAX_APPEARANCES: an entity named everywhere (a namespace)
    # would otherwise bring every mention of it; the headline's counts are the kept ones.
    shown = (
        Mention.objects.filter(entity=entity, document__archived=False)
        .order_by("-document_id")
        .values("document_id")
        .distinct()[:MAX_APPEARANCES]
    )
    mentions = (
        Mention.objects.filter(entity=entity, document_id__in=Subquery(shown))
        .select_related("document__postmortem", "document__runbook")
        # Their titles and addresses are shown, not their texts: up to 200 documents' source and two renderings
        # were read and decoded (an entity most documents name: 27 of a 30 ms first view on SQLite).
        .defer(*(f"document__{text}" for text in DOCUMENT_TEXTS))
        .order_by("document_id", "-count", "position")
    )
    for mention in mentions:
        appearance = by_document.get(mention.document_id)
        if appearance is None:
            document = mention.document
            concrete = getattr(document, "postmortem", None) or getattr(document, "runbook", None) or document
            appearance = by_document[mention.document_id] = Appearance(
                concrete, mention.heading, mention.anchor, mention.snippet
            )
        appearance.count += mention.count
        appearance.subject = appearance.subject or mention.subject
    for appearance in by_document.values():
        if appearance.document.kind == DocumentKind.POSTMORTEM:
            profile.postmortems.append(appearance)
        elif appearance.subject:
            profile.runbooks_for.append(appearance)
        else:
            profile.runbooks_mentioning.append(appearance)
    profile.postmortems.sort(key=lambda a: (a.document.date or date.min, a.document.title), reverse=True)
    profile.runbooks_for.sort(key=lambda a: a.document.title)
    profile.runbooks_mentioning.sort(key=lambda a: a.document.title)

    # A label's value is read out of the JSON only where its text holds one of the names as a JSON string:
    # ten JSON reads of each of the latest incidents took 20 ms of the page's first view on SQLite.
    spelled = {json.dumps(name, ensure_ascii=ascii) for name in names for ascii in (True, False)}
    written = reduce(or_, (Q(labels_text__contains=text) for text in spelled))
    labelled = reduce(or_, (Q(**{f"labels__{label}__in": names}) for label in INCIDENT_LABELS))
    touching = Q(reference__in=names) | (written & labelled)
    if entity.kind == EntityKind.ALERT:
        touching |= Q(alert_id__in=named_any_case(Alert.objects.order_by(), *names).values("pk"))
    # Labels are JSON, which no index reads: the names are looked for among the latest incidents received
    # (by id, an index range), not among all of them, so that the page costs the same at 100,000.
    # The first id of those, read first: given as a subquery, PostgreSQL filtered every incident (145 ms at 136,000).
    oldest = Incident.objects.order_by("-pk").values_list("pk", flat=True)[INCIDENTS_SEARCHED - 1 : INCIDENTS_SEARCHED]
    incidents = Incident.objects.alias(labels_text=Cast("labels", TextField())).filter(
        touching, pk__gte=next(iter(oldest), 0)
    )
    if incident_documents:
        incidents = incidents.select_related("alert", "runbook", "postmortem").defer(
            *(f"{document}__{text}" for document in ("runbook", "postmortem") for text in DOCUMENT_TEXTS)
        )
    else:
        incidents = incidents.select_related("alert").only(*INCIDENT_LISTED, "alert__name")
    profile.incidents = list(incidents.order_by("-started_at", "-created_at")[:50])

    pattern = name_pattern(names)
    # From the entity's mentions (an index), not from every open follow-up joined to them (13 ms at 50,000 entities).
    mentioning = Mention.objects.filter(entity=entity).values("document_id")
    candidates = FollowUp.objects.open().filter(postmortem_id__in=mentioning)
    profile.follow_ups = [f for f in candidates if pattern and pattern.search(f.text)]

    day = reference_date(entity.name)
    if day:
        profile.referenced = list(PostMortem.objects.filter(date=day, archived=False).order_by("title"))
    return profile


def document_entities(document: Document) -> list[dict]:
    """The entities one document mentions, by name: `[{name, kind}]`."""
    rows = (
        Mention.objects.filter(document=document, entity__ignored=False)
        .values("entity__name", "entity__kind")
        .distinct()
        .order_by("entity__name")
    )
    return [{"name": r["entity__name"], "kind": r["entity__kind"]} for r in rows]


class Insights:
    """The top of each list (`limit` rows), each read when first asked for: a page whose cache already holds
    some lists (kb/views/insights.py) runs only the queries of the others. After a list is read, `more` says
    whether it goes on at /insights/<list>/."""

    def __init__(self, *, limit: int = 25, resolutions: int | None = RESOLUTIONS_SHOWN) -> None:
        self.limit, self.resolutions = limit, resolutions
        self.more: dict[str, bool] = {}

    def _top(self, name: str) -> list:
        first = FIRST_ROWS.get(name)
        rows = first(self.limit + 1) if first else list(INSIGHT_LISTS[name][1]()[: self.limit + 1])
        self.more[name.replace("-", "_")] = len(rows) > self.limit
        return rows[: self.limit]

    @cached_property
    def wanted_alerts(self) -> list[Entity]:
        return self._top("wanted")

    @cached_property
    def most_implicated(self) -> list[Entity]:
        return self._top("most-implicated")

    @cached_property
    def open_follow_ups(self) -> list[FollowUp]:
        return self._top("open-follow-ups")

    @cached_property
    def recurring_alerts(self) -> list[RecurringAlert]:
        return recurring_details(self._top("recurring"), resolutions=self.resolutions)

    @cached_property
    def postmortems_without_follow_ups(self) -> list[PostMortem]:
        return self._top("no-follow-ups")

    @cached_property
    def _follow_up_counts(self) -> dict[str, int]:
        return FollowUp.objects.open().aggregate(
            open=Count("pk"), overdue=Count("pk", filter=Q(due__lt=timezone.localdate()))
        )

    @property
    def open_follow_up_count(self) -> int:
        """All of them, not only the top listed."""
        return self._follow_up_counts["open"]

    @property
    def overdue_follow_ups(self) -> int:
        return self._follow_up_counts["overdue"]


def wanted_alerts() -> QuerySet[Entity]:
    """Alerts the documents mention that no runbook is for, the most implicated first (an index, no counting)."""
    return Entity.objects.filter(
        ignored=False, kind=EntityKind.ALERT, subject_runbook_count=0, document_count__gt=0
    ).order_by("-implicated_in", "name")


def most_implicated() -> QuerySet[Entity]:
    return entities_annotated().filter(implicated_in__gt=0).order_by("-implicated_in", "name")


def postmortems_without_follow_ups() -> QuerySet[PostMortem]:
    return (
        PostMortem.objects.filter(archived=False)
        .filter(~Exists(FollowUp.objects.filter(postmortem=OuterRef("pk"))))
        # Listed by date and title: their texts (source, two renderings) were read and decoded for nothing.
        .defer(*DOCUMENT_TEXTS, "summary")
        .order_by(F("date").desc(nulls_last=True), "title")
    )


# The lists of the insights page, each with its own paginated page at /insights/<name>/.
INSIGHT_LISTS = {
    "wanted": ("Wanted: alerts without a runbook", wanted_alerts),
    "most-implicated": ("Most implicated", most_implicated),
    "open-follow-ups": ("Open follow-ups, oldest first", lambda: FollowUp.objects.open()),
    "recurring": ("Alerts that recur", recurring_alerts_ranked),
    "no-follow-ups": ("Post-mortems with no follow-ups", postmortems_without_follow_ups),
}


def open_follow_ups_first(count: int) -> list[FollowUp]:
    """The first `count` open follow-ups: their ids in order first (the follow-ups and their post-mortems' dates),
    then those rows with their post-mortems. Ordered and joined at once, PostgreSQL hash-joined every document
    row to sort them (29 ms at 12,000 documents; 4.5 ms so)."""
    ids = list(FollowUp.objects.open().values_list("pk", flat=True)[:count])
    found = FollowUp.objects.open().in_bulk(ids)
    return [found[pk] for pk in ids]


# Lists whose first rows are read otherwise than by slicing their whole list.
FIRST_ROWS = {"open-follow-ups": open_follow_ups_first}


def insights_gather(*, limit: int = 25, resolutions: int | None = RESOLUTIONS_SHOWN) -> Insights:
    """The first `limit` rows of each list, and how many follow-ups are open and overdue: ten queries at most, each
    bounded, whatever the size of the knowledge base; none until a list is read."""
    return Insights(limit=limit, resolutions=resolutions)
