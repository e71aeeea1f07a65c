"""Finding alerts and entities by the name an alert or a link gives, whatever its case (kb.models.named_any_case)."""

import json

import pytest
from django.db import connection

from kb.models import Alert, Entity, EntityAlias, EntityKind, entities_named

pytestmark = pytest.mark.django_db


def entity(name: str, *, aliases: tuple[str, ...] = (), ignored: bool = False) -> Entity:
    found = Entity.objects.create(name=name, kind=EntityKind.ALERT, ignored=ignored)
    EntityAlias.objects.bulk_create([EntityAlias(entity=found, name=alias) for alias in aliases])
    return found


def test_an_entity_is_found_by_its_name_or_an_alias_in_any_case_unless_ignored():
    kured = entity("KuredRebootBacklog", aliases=("kured-backlog",))
    entity("NodeDownstream")
    entity("NodeDown", ignored=True)
    assert list(entities_named("kuredrebootbacklog")) == [kured]
    assert list(entities_named("KURED-BACKLOG")) == [kured]
    assert list(entities_named("NodeDown")) == []
    assert list(entities_named("Kured")) == []


def test_an_alert_is_found_in_any_case_and_created_once():
    first = Alert.objects.for_name("HomelabPodOOMKilled")
    assert Alert.objects.named("homelabpodoomkilled") == first
    assert Alert.objects.for_name("HOMELABPODOOMKILLED") == first
    assert Alert.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's row estimates")
def test_postgresql_expects_a_name_to_give_a_few_entities_however_many_there_are():
    """Asked as an OR of the name's and the alias' subqueries, PostgreSQL expected three quarters of the
    entities and read all their mentions; the pages counting post-mortems that implicate an alert paid for it."""
    Entity.objects.bulk_create(Entity(name=f"Component{n}", kind=EntityKind.COMPONENT) for n in range(3000))
    EntityAlias.objects.bulk_create(EntityAlias(entity=e, name=f"alias-{e.pk}") for e in Entity.objects.all()[:1000])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE kb_entity; ANALYZE kb_entityalias")
        sql, params = entities_named("component1234").values("pk").query.sql_with_params()
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    assert plan[0]["Plan"]["Plan Rows"] <= 2, plan
