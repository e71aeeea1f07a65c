"""What the models named case-insensitively share: one name per spelling whatever its case, never empty;
finding them by name whatever its case; and inserting those whose name is free in one statement that
gives their ids back."""

from __future__ import annotations

from typing import TypeVar

from django.db import connection, models
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower

from kb.models.rows import insert_fields, insert_plan, row_values, rows_returning


def name_constraints(prefix: str) -> list[models.BaseConstraint]:
    """`<prefix>_unique_ci`, the name unique regardless of case, and `<prefix>_not_empty`."""
    return [
        models.UniqueConstraint(Lower("name"), name=f"{prefix}_unique_ci"),
        models.CheckConstraint(condition=~Q(name=""), name=f"{prefix}_not_empty"),
    ]


Named = TypeVar("Named", bound=models.Model)


def named_any_case(rows: QuerySet[Named], *names: str, field: str = "name") -> QuerySet[Named]:
    """The rows whose `field` is one of `names` whatever its case: LOWER() on both sides, the comparison the
    `<prefix>_unique_ci` index answers. `__iexact` is LIKE on SQLite and UPPER() on PostgreSQL: neither
    reads that index, so each read every row (13 ms of an entity page at 50,000 entities). The folding is
    the database's (ASCII only on SQLite), as the unique index's is."""
    return rows.alias(name_any_case=Lower(field)).filter(name_any_case__in=[Lower(Value(name)) for name in names])


INSERTED_AT_ONCE = 50


def names_inserted(rows: list[Named]) -> dict[str, Named]:
    """Inserts the rows (of one model with `name_constraints`) whose name is free and returns those by
    lower-cased name, their ids set: INSERT … ON CONFLICT DO NOTHING RETURNING, where `bulk_create`
    ignoring conflicts gives no ids and costs a read back. A name taken (by another writer meanwhile)
    is not returned: its caller reads it. Without RETURNING (SQLite before 3.35) none come back."""
    if not rows:
        return {}
    model = type(rows[0])
    if not connection.features.can_return_rows_from_bulk_insert:
        model.objects.bulk_create(rows, ignore_conflicts=True)
        return {}
    fields = insert_fields(model)
    plan = insert_plan(fields)
    returned = rows_returning(
        model,
        fields,
        [row_values(row, plan, connection) for row in rows],
        returning=[model._meta.pk.column, model._meta.get_field("name").column],
        size=INSERTED_AT_ONCE,
        on_conflict="ON CONFLICT DO NOTHING",
    )
    ids = {name.lower(): pk for pk, name in returned}
    inserted: dict[str, Named] = {}
    for row in rows:
        if (pk := ids.get(row.name.lower())) is not None:
            row.pk, row._state.adding, row._state.db = pk, False, connection.alias
            inserted[row.name.lower()] = row
    return inserted
