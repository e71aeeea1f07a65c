"""What the models named case-insensitively share: one name per spelling whatever its case, never empty;
and inserting those whose name is free in one statement that gives their ids back."""

from __future__ import annotations

from typing import TypeVar

from django.db import connection, models
from django.db.models import Q
from django.db.models.functions import Lower


def name_constraints(prefix: str) -> list[models.BaseConstraint]:
    """`<prefix>_unique_ci`, the name unique regardless of case, and `<prefix>_not_empty`."""
    return [
        models.UniqueConstraint(Lower("name"), name=f"{prefix}_unique_ci"),
        models.CheckConstraint(condition=~Q(name=""), name=f"{prefix}_not_empty"),
    ]


INSERTED_AT_ONCE = 50
Named = TypeVar("Named", bound=models.Model)


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
    meta, quote = model._meta, connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    inserted: dict[str, Named] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERTED_AT_ONCE):
            chunk = rows[start : start + INSERTED_AT_ONCE]
            values = f"({', '.join(['%s'] * len(fields))})"
            sql = (
                f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
                f"VALUES {', '.join([values] * len(chunk))} ON CONFLICT DO NOTHING "
                f"RETURNING {quote(meta.pk.column)}, {quote(meta.get_field('name').column)}"
            )
            cursor.execute(
                sql, [f.get_db_prep_save(f.pre_save(row, True), connection) for row in chunk for f in fields]
            )
            ids = {name.lower(): pk for pk, name in cursor.fetchall()}
            for row in chunk:
                if (pk := ids.get(row.name.lower())) is not None:
                    row.pk, row._state.adding, row._state.db = pk, False, connection.alias
                    inserted[row.name.lower()] = row
    return inserted
