"""What a curator decides about entities: create, rename, merge, set the kind, add, rename or remove an
alias, ignore for good and take that back.

Every decision is stored on the entity (its name, kind, aliases, flags), so the next import or
`manage.py relink` extracts the same way, and every decision that changes what a name means re-reads
the documents concerned before it returns. Each function checks the names it is given and fails
with a `ValidationError` naming the field and the clash. The admin calls these and nothing else.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from kb.entities.counts import entities_recount
from kb.entities.links import documents_relink
from kb.entities.mentions import entities_revote, mentions_refresh, mentions_reread
from kb.models import Document, Entity, EntityAlias, EntityKind, Mention


def name_check_free(name: str, *, field: str, entity: Entity | None = None) -> str:
    """`name` stripped, when no other entity has it as its name or an alias; else a ValidationError on `field`."""
    name = name.strip()
    if not name:
        raise ValidationError({field: "a name cannot be empty"})
    others = Entity.objects.exclude(pk=entity.pk) if entity is not None else Entity.objects.all()
    other = others.filter(name__iexact=name).first()
    if other is not None:
        raise ValidationError(
            {field: f"{name!r} is already the entity {other.name!r} ({other.get_kind_display()}); merge them instead"}
        )
    alias = EntityAlias.objects.filter(name__iexact=name).select_related("entity")
    alias = (alias.exclude(entity=entity) if entity is not None else alias).first()
    if alias is not None:
        raise ValidationError({field: f"{name!r} is already an alias of {alias.entity.name!r}"})
    return name


def _check_kind(kind: str) -> None:
    if kind not in EntityKind.values:
        raise ValidationError({"kind": f"{kind!r} is not one of {', '.join(EntityKind.values)}"})


@transaction.atomic
def entity_create(*, name: str, kind: str) -> Entity:
    """An entity named by hand: extraction knows the name and kind from now on, in the documents already stored too."""
    name = name_check_free(name, field="name")
    _check_kind(kind)
    entity = Entity.objects.create(name=name, kind=kind, curated=True, kind_curated=True)
    mentions_refresh(names=[name])
    return entity


@transaction.atomic
def entity_rename(*, entity: Entity, name: str) -> Entity:
    """The new name replaces the old one, which stays as an alias so documents still find it."""
    name = name_check_free(name, field="name", entity=entity)
    old = entity.name
    entity.name, entity.curated = name, True
    entity.save(update_fields=["name", "curated"])
    entity.aliases.filter(name__iexact=name).delete()
    if old.lower() != name.lower():
        EntityAlias.objects.get_or_create(entity=entity, name=old)
    mentions_refresh(names=[name])
    _relink_mentioning(entity)
    return entity


def _relink_mentioning(entity: Entity) -> None:
    """The documents that mention `entity` store their links again: a link holds its name and kind."""
    documents_relink(document_ids=Mention.objects.filter(entity=entity).values_list("document_id", flat=True))


@transaction.atomic
def entity_set_kind(*, entity: Entity, kind: str) -> Entity:
    _check_kind(kind)
    entity.kind, entity.kind_curated, entity.curated = kind, True, True
    entity.save(update_fields=["kind", "kind_curated", "curated"])
    _relink_mentioning(entity)
    return entity


@transaction.atomic
def entity_alias_add(*, entity: Entity, alias: str) -> EntityAlias:
    """Another name for the entity. An entity of that name is merged into this one."""
    alias = alias.strip()
    same = Entity.objects.filter(name__iexact=alias).exclude(pk=entity.pk).first()
    if same is not None:
        entity_merge(source=same, into=entity)
        return entity.aliases.get(name__iexact=alias)
    alias = name_check_free(alias, field="alias", entity=entity)
    if alias.lower() == entity.name.lower():
        raise ValidationError({"alias": f"{alias!r} is the entity's own name"})
    created, _ = EntityAlias.objects.get_or_create(entity=entity, name=alias)
    if not entity.curated:
        entity.curated = True
        entity.save(update_fields=["curated"])
    mentions_refresh(names=[alias])
    return created


@transaction.atomic
def entity_alias_rename(*, alias: EntityAlias, name: str) -> EntityAlias:
    """The alias reads `name` now: documents naming the entity only by the old spelling lose it, those with the new one gain it."""
    entity = alias.entity
    name = name_check_free(name, field="alias", entity=entity)
    if name.lower() == entity.name.lower():
        raise ValidationError({"alias": f"{name!r} is the entity's own name"})
    old = alias.name
    alias.name = name
    alias.save(update_fields=["name"])
    if old.lower() != name.lower():
        mentions_reread(documents=Document.objects.filter(Q(mentions__entity=entity) | Q(source_text__icontains=name)))
    return alias


@transaction.atomic
def entity_alias_remove(*, alias: EntityAlias) -> None:
    """The entity is no longer found by this name: the documents that mention the entity are read again."""
    entity = alias.entity
    alias.delete()
    mentions_reread(documents=Document.objects.filter(mentions__entity=entity))


@transaction.atomic
def entity_merge(*, source: Entity, into: Entity) -> Entity:
    """`source` becomes part of `into`: its mentions, its name and aliases (as aliases)."""
    if source.pk == into.pk:
        raise ValidationError({"merge_into": "an entity cannot be merged into itself"})
    taken = {(m.document_id, m.position): m for m in into.mentions.all()}
    moved, added = [], []
    for mention in source.mentions.all():
        existing = taken.get((mention.document_id, mention.position))
        if existing is None:
            mention.entity = into
            moved.append(mention)
        else:
            existing.count += mention.count
            existing.subject = existing.subject or mention.subject
            added.append(existing)
    Mention.objects.bulk_update(moved, ["entity"])
    Mention.objects.bulk_update(added, ["count", "subject"])
    names = [source.name, *(a.name for a in source.aliases.all())]
    source.delete()
    EntityAlias.objects.bulk_create(
        [EntityAlias(entity=into, name=n) for n in names if n.lower() != into.name.lower()], ignore_conflicts=True
    )
    into.curated = True
    into.save(update_fields=["curated"])
    entities_revote(entity_ids=[into.pk])
    entities_recount(entity_ids=[into.pk])
    _relink_mentioning(into)
    return into


@transaction.atomic
def entity_ignore(*, entity: Entity) -> Entity:
    """Never an entity again: its mentions go, and extraction skips its names from now on."""
    entity.ignored, entity.curated = True, True
    entity.save(update_fields=["ignored", "curated"])
    mentioning = set(entity.mentions.values_list("document_id", flat=True))
    entity.mentions.all().delete()
    entities_recount(entity_ids=[entity.pk])
    documents_relink(document_ids=mentioning)
    return entity


@transaction.atomic
def entity_unignore(*, entity: Entity) -> Entity:
    """An ignored entity is extracted again: the documents naming it (or an alias) are read again."""
    entity.ignored = False
    entity.save(update_fields=["ignored"])
    mentions_refresh(names=entity.names)
    return entity
