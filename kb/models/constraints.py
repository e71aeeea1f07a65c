"""What the models named case-insensitively share: one name per spelling whatever its case, never empty;
finding them by name whatever its case; and inserting those whose name is free in one statement that
gives their ids back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from itertools import islice, product
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
    the database's (ASCII only on SQLite), as the unique index's is, and each name is also asked in its
    `lower_forms`, so that "/srv/übung" finds the "/srv/Übung" that SQLite keeps as it is."""
    forms = lower_forms(name.lower() for name in names)
    return rows.alias(name_any_case=Lower(field)).filter(name_any_case__in=[Lower(Value(form)) for form in forms])


# A name's forms asked at most: all its letters' where they are few, else those of the first, and every one
# capital.
FORMS_AT_MOST = 64


def lower_forms(keys: Iterable[str]) -> list[str]:
    """What the database's LOWER() may have made of names Python lower-cases to `keys`, to compare with
    LOWER(name) on the `<prefix>_unique_ci` index: the code keys names by `str.lower()`, but SQLite's LOWER()
    folds ASCII letters only (PostgreSQL's, those its locale folds), so the index holds "/srv/Übung" as
    "/srv/Übung", which the key "/srv/übung" does not find: an import naming it again inserted it, the
    index refused, and the name was found nowhere. A key with other letters that have capitals comes with
    its forms with those letters in capitals; an ASCII key (nearly every one) is its only form."""
    forms: list[str] = []
    for key in keys:
        forms.extend([key] if key.isascii() else islice(_key_forms(key), FORMS_AT_MOST))
    return forms


def _key_forms(key: str) -> Iterator[str]:
    capitals = _capitals()
    letters = [(char, *capitals.get(char, "")) for char in key]
    yield key
    if sum(len(options) > 1 for options in letters) <= 6:
        yield from ("".join(chars) for chars in islice(product(*letters), 1, None))
    else:
        capitalised = [options[-1] for options in letters]
        first = next(n for n, options in enumerate(letters) if len(options) > 1)
        yield key[:first] + capitalised[first] + key[first + 1 :]
        yield "".join(capitalised)


@cache
def _capitals() -> dict[str, str]:
    """Each non-ASCII lower-case letter of the Basic Multilingual Plane, and the letters Python lower-cases to it."""
    capitals: dict[str, str] = {}
    for code in range(0x80, 0x10000):
        letter = chr(code)
        lowered = letter.lower()
        if lowered != letter and len(lowered) == 1 and not lowered.isascii():
            capitals[lowered] = capitals.get(lowered, "") + letter
    return capitals


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
