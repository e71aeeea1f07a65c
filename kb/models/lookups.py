"""`__in` with many values, on SQLite: one JSON parameter read by `json_each`, not a parameter a value.

Python's `sqlite3` keeps each statement it compiles (128 a connection), and a statement's text held one `?` a value:
each number of values was a statement of its own, compiled and kept. 100 Alertmanager groups of different sizes grew
a process by 30 MB of such statements, kept for a gunicorn worker's life (BENCHMARKS.md, "Round 28"). A list of
`MANY` values or more is now one text whatever its length; a shorter one is written as before (`registered`, at the
app's start).
"""

from __future__ import annotations

import json

from django.db.models import Field, ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In

MANY = 64


class _ManyAsJson:
    def process_rhs(self, compiler, connection):
        sql, params = super().process_rhs(compiler, connection)
        if (
            connection.vendor != "sqlite"
            or len(params) < MANY
            or sql != "(" + ", ".join(["%s"] * len(params)) + ")"
            or not all(type(value) in (int, str) for value in params)
        ):
            return sql, params
        return "(SELECT value FROM json_each(%s))", [json.dumps(list(params), ensure_ascii=False)]


class ManyIn(_ManyAsJson, In):
    pass


class ManyRelatedIn(_ManyAsJson, RelatedIn):
    pass


def registered() -> None:
    Field.register_lookup(ManyIn)
    ForeignObject.register_lookup(ManyRelatedIn)
