"""A new row to insert that is not built as a model instance: an import inserts thousands of rows a batch
(sections, mentions, links to incidents…), and `Model.__init__` (a descriptor and a default for every field)
cost more than their insert. `kb.documents.batches.rows_insert` inserts these and model instances alike, each
value read as `row_values` reads it (as `constraints.names_inserted` reads its rows' values too)."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db import models
from django.db.models import Field


class NewRow(NamedTuple):
    """`model`'s row of these values, by field attname (`document_id`, not `document`): a field left out takes
    its default. Not for a model with `auto_now`/`auto_now_add` fields, whose value is the save's."""

    model: type[models.Model]
    values: dict[str, Any]


# The fields whose value of exactly these types (or None) `get_db_prep_save` hands over as it is: read
# straight from the row, a call chain less a field and row (a third of the inserts' Python time).
AS_IS: dict[str, tuple[type, ...]] = {
    "CharField": (str,),
    "SlugField": (str,),
    "TextField": (str,),
    "IntegerField": (int,),
    "PositiveIntegerField": (int,),
    "PositiveSmallIntegerField": (int,),
    "SmallIntegerField": (int,),
    "BooleanField": (bool,),
    # The targets of foreign keys.
    "AutoField": (int,),
    "BigAutoField": (int,),
}


def _as_is(field: Field) -> tuple[type, ...]:
    # A foreign key's value is its target's: an integer id here.
    return AS_IS.get((field.target_field if field.is_relation else field).get_internal_type(), ())


def insert_plan(fields: list[Field]) -> list[tuple[Field, str, tuple[type, ...]]]:
    """How `row_values` reads each of these fields of a row."""
    return [(f, f.attname, _as_is(f)) for f in fields]


def row_values(row: models.Model | NewRow, plan: list[tuple[Field, str, tuple[type, ...]]], connection) -> list:
    """The row's values of the fields of `plan`, as `get_db_prep_save` gives them to the database."""
    if type(row) is NewRow:
        return _new_row_values(row.values, plan, connection)
    values = []
    for field, attname, as_is in plan:
        if as_is and ((value := getattr(row, attname)) is None or type(value) in as_is):
            values.append(value)
        else:
            values.append(field.get_db_prep_save(field.pre_save(row, True), connection))
    return values


def _new_row_values(given: dict, plan: list[tuple[Field, str, tuple[type, ...]]], connection) -> list:
    # What `row_values` reads from an instance: the value given or the field's default (`pre_save` of a field
    # that is not `auto_now` is the value itself).
    values = []
    for field, attname, as_is in plan:
        value = given[attname] if attname in given else field.get_default()
        values.append(
            value if as_is and (value is None or type(value) in as_is) else field.get_db_prep_save(value, connection)
        )
    return values
