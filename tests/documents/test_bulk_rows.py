"""The inserts an import's batch makes that give ids back (kb.models.rows.rows_returning): new entities by name
(`names_inserted`) and new incidents in order (`rows_inserted`). On PostgreSQL all of a batch's rows go in one
statement from arrays, however many there are; each id must still land on its own row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kb.models import Entity, Incident
from kb.models.constraints import names_inserted
from kb.models.rows import rows_inserted

pytestmark = pytest.mark.django_db

# What an array literal or a quoted value must escape, and NULL spelled out.
AWKWARD = ["o'brien-db", 'say "hi"', "back\\slash", "{braces}", "a,b", "NULL", "émoji-✓"]


def test_new_names_get_their_own_ids_and_a_taken_name_is_left_to_its_caller():
    Entity.objects.create(name="Ledger-DB", kind="component")
    names = [*AWKWARD, *(f"worker-{n}" for n in range(120)), "ledger-db"]
    with CaptureQueriesContext(connection) as queries:
        inserted = names_inserted([Entity(name=name, kind="component") for name in names])
    assert set(inserted) == {name.lower() for name in names} - {"ledger-db"}
    stored = dict(Entity.objects.values_list("pk", "name"))
    for key, entity in inserted.items():
        assert stored[entity.pk].lower() == key
    if connection.vendor == "postgresql":
        assert len(queries) == 1  # 128 rows, 50 a statement before


def test_new_rows_ids_come_back_in_the_order_of_their_rows():
    now = timezone.now()
    rows = [
        {
            "reference": f"INC-{n:03d}",
            "title": AWKWARD[n % len(AWKWARD)],
            "labels": {"team": AWKWARD[n % len(AWKWARD)], "n": n} if n % 3 else {},
            "started_at": None if n % 2 else now,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(130)
    ]
    ids = rows_inserted(Incident, rows)
    assert len(set(ids)) == len(rows)
    stored = {i.pk: i for i in Incident.objects.all()}
    for pk, row in zip(ids, rows, strict=True):
        incident = stored[pk]
        assert (incident.reference, incident.title, incident.labels) == (row["reference"], row["title"], row["labels"])
        assert incident.started_at == row["started_at"]
