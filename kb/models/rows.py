"""A new row to insert that is not built as a model instance: an import inserts thousands of rows a batch
(sections, mentions, links to incidents…), and `Model.__init__` (a descriptor and a default for every field)
cost more than their insert. `rows_insert` inserts these and model instances alike, each value read as
`row_values` reads it (as `constraints.names_inserted` reads its rows' values too)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import Field, Model

from kb.models.savepoints import savepoints_due


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


def rows_insert(rows: list[Model | NewRow], *, keyed: bool = False) -> None:
    """New rows of several tables (whose foreign keys are stored by the transaction's end), model instances or
    `NewRow`s: one statement per table. `bulk_create` compiled a parameter per field and row through the ORM, a
    fifth of an import's CPU; the rows' primary keys are not read back (nothing reads them). `keyed`: each row
    has its primary key already (`ids_reserved`, `instance_keyed`), inserted with it, in each table of its model's
    chain."""
    by_model: dict[type[Model], list[Model | NewRow]] = {}
    for row in rows:
        by_model.setdefault(row.model if type(row) is NewRow else type(row), []).append(row)
    # The connection itself, not `django.db.connection`: each of the proxy's attributes is looked up
    # per thread, and the fields read it once per value (a twentieth of an import's time).
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model, same in by_model.items():
            for table_model, fields in _tables(model, keyed=keyed):
                table, columns = quote(table_model._meta.db_table), ", ".join(quote(f.column) for f in fields)
                plan = insert_plan(fields)
                values = (row_values(row, plan, connection) for row in same)
                if connection.vendor == "postgresql":
                    _copy(connection, cursor, f"COPY {table} ({columns}) FROM STDIN", values)
                else:
                    _insert_many(cursor, f"INSERT INTO {table} ({columns}) ", len(fields), list(values))


def _tables(model: type[Model], *, keyed: bool) -> list[tuple[type[Model], list[Field]]]:
    """The tables a new row of `model` goes in, each with the fields written there: `model`'s own; keyed, each of
    its chain's (multi-table inheritance: a `Runbook` is a `Document` row and a `Runbook` row), the parent's first,
    each with its key (a child's is its link to the parent)."""
    if not keyed:
        return [(model, insert_fields(model))]
    chain = [*reversed(model._meta.get_parent_list()), model]
    return [(m, [f for f in m._meta.local_concrete_fields if not getattr(f, "generated", False)]) for m in chain]


def _insert_many(cursor, insert: str, width: int, values: list[list]) -> None:
    """SQLite: the rows in as few statements as `ROWS_A_STATEMENT` allows. A statement a row (an executemany) cost
    three times as much over the search rows, whose full-text trigger then runs FTS5's statement-level savepoint work
    at every row (BENCHMARKS.md, "Import speed: the importing process (issue #12, round 6)").

    A statement's rows are a power of two, made so by blank rows its `WHERE` leaves out: the driver keeps each
    statement it compiles (128 a connection), and one statement of each number of rows, up to the limit on
    parameters, took 2 MB compiled at 1,150 rows of 14 columns: `reindex` reached 0.33 GB, and a long-lived
    connection kept what it had compiled. Now a table has at most a statement for each power of two."""
    limit = cursor.db.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    most = 1 << (max(min(limit // (width + 1), ROWS_A_STATEMENT), 1).bit_length() - 1)
    # Written with SQLite's own `?` and run on the driver's cursor: Django's wrapper rewrote each statement's
    # thousands of `%s` with a regular expression, a fortieth of an import's CPU. Each row's first value marks
    # it a row to insert (1), or a blank one (NULL).
    row = f"({', '.join(['?'] * (width + 1))})"
    picked = ", ".join(f"column{n}" for n in range(2, width + 2))
    blank = [None] * (width + 1)
    for start in range(0, len(values), most):
        chunk = values[start : start + most]
        rows = 1 << (len(chunk) - 1).bit_length()
        sql = f"{insert}SELECT {picked} FROM (VALUES {', '.join([row] * rows)}) WHERE column1"
        params = [value for row_values in chunk for value in (1, *row_values)] + blank * (rows - len(chunk))
        with _as_django_runs(cursor.db, cursor, sql):
            sqlite3.Cursor.execute(cursor.cursor, sql, params)


# Rows an insert statement holds at most on SQLite (`_insert_many`), a power of two: what the driver keeps compiled
# is at most the statements of 1, 2, 4 … this many rows, twice one of this many a table (4 MB at 14 columns).
ROWS_A_STATEMENT = 1024


def _copy(connection, cursor, sql: str, values: Iterator[list]) -> None:
    """The rows through PostgreSQL's COPY: an executemany there is a statement a row, each through the
    executor and its own protocol messages (an import's 120 a file were a third of the server's CPU and
    a tenth of this process's)."""
    with _as_django_runs(connection, cursor, sql), cursor.cursor.copy(sql) as copy:
        for row in values:
            copy.write_row(row)


@contextmanager
def _as_django_runs(connection, cursor, sql: str) -> Iterator[None]:
    """A statement run on the driver's own cursor (`_copy`, `_bound_on_server`, `_insert_many`), logged and its
    errors translated as Django's own statements are, and preceded by the savepoint a block waits to take
    (kb.models.savepoints): Django's execute wrappers do not see it."""
    savepoints_due(connection)
    logged = cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else nullcontext()
    with logged, connection.wrap_database_errors:
        yield


# An import's connection, SQLite: a page cache of 32 MiB, not the default 2 MiB, and a checkpoint every 8,000 pages
# of WAL, not 1,000. At 12,000 documents the database holds ~650 MB: its indexes no longer fitted the cache, each
# batch's inserts read their pages again from the file, and each checkpoint copied back pages the next batches
# rewrote (the import wrote 6.3 GB for a 651 MB file). BENCHMARKS.md, "Import speed: the importing process, round 9".
# Round 11: every 32,000 pages (a WAL of 128 MB on disk at most), 4.1 -> 3.8 GB written, a second less CPU.
BULK_CACHE_KIB = 32 * 1024
BULK_CHECKPOINT_PAGES = 32000


# PostgreSQL: the search's GIN indexes take an import's entries in their pending lists, merged into the index a list
# (4 MB) at a time, and the lists are emptied at its end. They take each entry at once otherwise (migration 0012:
# every search scanned a pending list until autovacuum's next VACUUM); that was half of the server's time for the
# search rows: 6.9 s for those of 3,000 generated documents, 3.8 with the lists (BENCHMARKS.md, "Import on
# PostgreSQL: the search rows in GIN's pending lists, round 11").
SEARCH_GIN_INDEXES = ("kb_searchentry_whole_vector", "kb_searchterm_word_trgm")


@contextmanager
def bulk_writes() -> Iterator[None]:
    """The database tuned for many write transactions in a row (an import), as it was again after: SQLite's page
    cache and WAL checkpoint interval are the connection's own, and a server's threads keep theirs small;
    PostgreSQL's search indexes take the import's entries in their pending lists, empty when it ends."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with _gin_pending_lists(connection):
            yield
        return
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (cache,) = cursor.fetchone()
        cursor.execute("PRAGMA wal_autocheckpoint")
        (checkpoint,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache)}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint)}")


def commit_checks_by_index() -> None:
    """Called last in a write transaction: on PostgreSQL, the foreign-key checks deferred to its commit (Django's keys
    are DEFERRABLE INITIALLY DEFERRED) planned with the referenced tables' unique indexes, never as a scan of a table.
    A check's plan is kept for the session and made again only when the table's statistics change. Made while the
    table was small or analyzed near empty (an autovacuum pass in the first seconds of an import into a new
    database), it scanned the whole growing table at every later check: 3,000 documents with every table analyzed
    empty, the server's CPU 8 -> 33.5 s. `SET LOCAL`: nothing but what runs at the commit is planned so, provided the
    caller commits next (not a savepoint's release, after which the transaction goes on)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")


@contextmanager
def _gin_pending_lists(connection) -> Iterator[None]:
    with connection.cursor() as cursor:
        for index in SEARCH_GIN_INDEXES:
            cursor.execute(f"ALTER INDEX {index} SET (fastupdate = on)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for index in SEARCH_GIN_INDEXES:
                # Off first, so that nothing written meanwhile waits in the list after it is emptied.
                cursor.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])


def ids_reserved(model: type[Model], count: int) -> list[int]:
    """The ids the next `count` rows of `model` inserted would get, for rows inserted later in the same transaction
    with them (`rows_insert(keyed=True)`): their ids are known before their values are, and their rows inserted
    once, not inserted blank and updated. PostgreSQL: drawn from the column's sequence. SQLite: AUTOINCREMENT's
    next ones, so not reserved: inserted before `model`'s next ids are asked for, and only in a transaction that
    holds SQLite's one writer's lock until it commits, so that no other connection inserts meanwhile (every
    transaction does: it begins IMMEDIATE, config.settings)."""
    if count <= 0:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
            )
            return [pk for (pk,) in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"
            f" COALESCE((SELECT MAX({quote(column)}) FROM {quote(table)}), 0))",
            [table],
        )
        (last,) = cursor.fetchone()
    return list(range(last + 1, last + 1 + count))


def instance_inserted(instance: Model) -> None:
    """What `instance.save()` does for a new instance of a model without signals or `auto_now` fields, without the
    ORM compiling its insert field by field: its rows inserted, a parent's first (multi-table inheritance), the
    root's id returned and set; the instance saved (`_state`). An import inserts a document a file, a Document and
    a Runbook or PostMortem row: 0.225 ms a document through `save()`, 0.123 here (1,000 runbooks)."""
    connection = connections[DEFAULT_DB_ALIAS]
    chain = [*reversed(instance._meta.get_parent_list()), type(instance)]
    for model in chain:
        fields = [f for f in model._meta.local_concrete_fields if f.is_relation or not f.primary_key]
        values = row_values(instance, insert_plan(fields), connection)
        ((pk,),) = rows_returning(model, fields, [values], returning=[model._meta.pk.column], size=1)
        instance_keyed(instance, pk)


def instance_keyed(instance: Model, pk: int) -> None:
    """A new instance given its id (returned by its insert, or `ids_reserved` for `rows_insert(keyed=True)`) and
    taken for saved (`_state`): a child's key is its parent's, the same id for each model of its chain."""
    for model in [*instance._meta.get_parent_list(), type(instance)]:
        setattr(instance, model._meta.pk.attname, pk)
    instance._state.adding, instance._state.db = False, connections[DEFAULT_DB_ALIAS].alias


def insert_fields(model: type[Model]) -> list[Field]:
    """The fields an insert of `model`'s rows writes: all but the primary key and generated columns."""
    return [f for f in model._meta.concrete_fields if not f.primary_key and not getattr(f, "generated", False)]


def rows_update(model: type[Model], fields: list[Field], rows: list[tuple[int, list]], *, added: bool = False) -> None:
    """Stored rows of `model` given new values of `fields`: (primary key, the fields' database values) each;
    with `added`, values added to the stored ones (counts kept up to date by writers that may run at once).
    PostgreSQL: one statement for all of them, the values sent as an array a column (`unnest`); an
    executemany is a statement a row there, each parsed, planned and run on its own (an import's batch
    updated hundreds of incidents and every new document's linked HTML so: 1,184 of the 3,420 statements
    besides foreign-key checks the server ran for 300 files; BENCHMARKS.md "Import on PostgreSQL: the
    server's and the importing process's CPU (issue #12, round 8)"). SQLite steps one prepared statement
    a row in C."""
    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            assignments = ", ".join(
                f"{quote(f.column)} = {quote(f.column)} + %s" if added else f"{quote(f.column)} = %s" for f in fields
            )
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", [[*v, key] for key, v in rows])
            return
        columns = [model._meta.pk, *fields]
        # `%b`: each array sent in binary (below).
        arrays = ", ".join(f"%b::{f.cast_db_type(connection)}[]" for f in columns)
        names = ", ".join(f"c{i}" for i in range(len(columns)))
        assignments = ", ".join(
            f"{quote(f.column)} = {table}.{quote(f.column)} + v.c{i}" if added else f"{quote(f.column)} = v.c{i}"
            for i, f in enumerate(fields, start=1)
        )
        # The keys a second time, as `= ANY`: joined to `unnest` alone, the rows were found by reading the whole
        # table (a hash join: 47,000 entities at 12,000 documents for a batch's 1,000), however few were updated.
        keys_sql = f"%b::{model._meta.pk.cast_db_type(connection)}[]"
        sql = (
            f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({names}) "
            f"WHERE {table}.{pk} = v.c0 AND {table}.{pk} = ANY({keys_sql})"
        )
        keys = [key for key, _ in rows]
        _bound_on_server(connection, cursor, sql, [keys, *([v[i] for _, v in rows] for i in range(len(fields))), keys])


def _bound_on_server(connection, cursor, sql: str, params: list, *, fetch: bool = False) -> list[tuple]:
    """PostgreSQL: `sql` with its parameters sent apart (its `%b` in binary); with `fetch`, the rows it
    returned. Django's cursor binds them into the statement's text, where psycopg writes an array of texts
    escaping each quote through a regular expression's callback (72,000 calls over the linked HTML of 300
    documents) and the server parses the literal back."""
    from psycopg import Cursor  # PostgreSQL only

    with _as_django_runs(connection, cursor, sql), Cursor(connection.connection) as bound:
        bound.execute(sql, params)
        return bound.fetchall() if fetch else []


def rows_returning(
    model: type[Model],
    fields: list[Field],
    values: list[list],
    *,
    returning: list[str],
    size: int,
    on_conflict: str = "",
) -> list[tuple]:
    """Rows of `model` (each its database values of `fields`), `size` a statement, each statement
    `INSERT … VALUES (…), (…) [on_conflict] RETURNING returning` (PostgreSQL: all of them in one, from
    arrays); what it returned, in order. What `bulk_create` runs, without a model instance a row and the ORM
    compiling a parameter per field and row.
    Needs RETURNING (`can_return_rows_from_bulk_insert`: SQLite from 3.35, PostgreSQL)."""
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    insert = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    tail = f" {on_conflict} RETURNING {', '.join(map(quote, returning))}"
    if connection.vendor == "postgresql" and len(values) > 1:
        # One statement, each column sent as an array (`_bound_on_server`), its rows taken in order from `unnest`
        # and returned in that order (as `bulk_create` does from Django 5.2). Written with a parameter a value, a
        # batch's 11,550 new entities were 231 statements that psycopg parsed and quoted value by value: 0.6 of the
        # importing process's 11 CPU seconds for 3,000 documents (BENCHMARKS.md, "Round 15").
        arrays = ", ".join(f"%b::{f.cast_db_type(connection)}[]" for f in fields)
        sql = f"{insert}SELECT * FROM unnest({arrays}){tail}"
        with connection.cursor() as cursor:
            return _bound_on_server(connection, cursor, sql, [list(column) for column in zip(*values)], fetch=True)
    insert += "VALUES "
    placeholders = f"({', '.join(['%s'] * len(fields))})"
    returned: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            cursor.execute(insert + ", ".join([placeholders] * len(chunk)) + tail, [v for row in chunk for v in row])
            returned.extend(cursor.fetchall())
    return returned


def rows_inserted(model: type[Model], rows: list[dict[str, Any]]) -> list[int]:
    """New rows of `model` (values by attname, `auto_now` fields given), inserted in order; their ids in
    the same order (`rows_returning`): an import's batch inserts hundreds of incidents, and `bulk_create`
    compiling their inserts cost four times running them."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not rows:
        return []
    if not connection.features.can_return_rows_from_bulk_insert:
        return [row.pk for row in model.objects.bulk_create([model(**values) for values in rows])]
    fields = insert_fields(model)
    plan = insert_plan(fields)
    values = [_new_row_values(given, plan, connection) for given in rows]
    size = connection.ops.bulk_batch_size(fields, rows)
    return [pk for (pk,) in rows_returning(model, fields, values, returning=[model._meta.pk.column], size=size)]
