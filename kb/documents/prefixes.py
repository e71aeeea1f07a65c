"""Prefix lookups an index answers on both engines: `identity` and `slug` starting with a string (a file's alert
sections are `<identity>#<alert>`, a taken slug's numbered ones `<slug>-2`)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q


def starting_with(field: str, prefix: str) -> Q:
    """`field__startswith=prefix` that an index answers: SQLite's LIKE ignores case, so it uses no
    index and reads the whole table; there, the same strings are the range [prefix, prefix with its
    last character incremented). PostgreSQL's LIKE uses the pattern index Django gives unique and
    slug fields (a range would not do there: its collation does not order by code points)."""
    if connection.vendor != "sqlite":
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": _past(prefix)})


def starting_with_sql(column: str, prefix: str) -> tuple[str, list[str]]:
    """`starting_with` as SQL for a quoted column: the condition and its parameters."""
    if connection.vendor != "sqlite":
        return f"{column} LIKE %s", [connection.ops.prep_for_like_query(prefix) + "%"]
    return f"{column} >= %s AND {column} < %s", [prefix, _past(prefix)]


def _past(prefix: str) -> str:
    """The first string after every string starting with `prefix`: its last character incremented."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def in_sql(column: str, values: list[str]) -> tuple[str, list[str]]:
    """A quoted column's `IN` these values, as SQL and its parameters."""
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values
