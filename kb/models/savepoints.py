"""A savepoint taken only when its block sends a statement (`savepoint_if_sending`): an import's new file
sends none, and on PostgreSQL each SAVEPOINT and RELEASE is a round trip."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, Error, connections, transaction


@contextmanager
def savepoint_if_sending(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """`transaction.atomic()` around a block inside a transaction, its savepoint taken just before the block's
    first statement: a block that sends none sends no SAVEPOINT and no RELEASE either. An import's new file sends
    none (its rows wait for its batch: kb.documents.batches.SaveBatch), and those two statements were all it sent:
    6,000 round trips for 3,000 files (BENCHMARKS.md, "Round 18"). Outside a transaction, or in one
    already marked for rollback, it is `transaction.atomic()`; on SQLite too, where a savepoint is a call inside
    this process, not a round trip, and an import of 12,000 documents without them peaked 25 MiB higher (216
    against 190 MiB; SQLite's own memory: Python's allocated blocks were the same)."""
    connection = connections[using]
    if connection.vendor == "sqlite" or not connection.in_atomic_block or connection.needs_rollback:
        with transaction.atomic(using=using):
            yield
        return
    lazy = _SavepointBeforeFirstStatement(connection, callbacks_before=len(connection.run_on_commit))
    with connection.execute_wrapper(lazy):
        try:
            yield
        except BaseException:
            lazy.undo()
            raise
        # As `atomic` ends: a failure an inner `atomic(savepoint=False)` let through and that was caught in the
        # block marked the transaction for rollback; the block's savepoint takes it back instead.
        if connection.needs_rollback:
            lazy.undo()
        elif lazy.sid is not None:
            connection.savepoint_commit(lazy.sid)


class _SavepointBeforeFirstStatement:
    """An execute wrapper (`savepoint_if_sending`) taking the block's savepoint before the first statement."""

    def __init__(self, connection, *, callbacks_before: int) -> None:
        self.connection = connection
        self.sid: str | None = None
        self.taking = False
        # The block's `on_commit` callbacks are those registered after this many: its savepoint is not one of the
        # `savepoint_ids` they are registered under, which `atomic` drops a failing block's callbacks by.
        self.callbacks_before = callbacks_before

    def __call__(self, execute, sql, params, many, context):
        self.take()
        return execute(sql, params, many, context)

    def take(self) -> None:
        if self.sid is None and not self.taking:
            self.taking = True  # the SAVEPOINT statement itself passes through here
            try:
                self.sid = self.connection.savepoint()
            finally:
                self.taking = False

    def undo(self) -> None:
        """What the block sent rolled back (nothing to do when it sent nothing) and its `on_commit` callbacks
        dropped, as a failing `atomic` block does."""
        self.connection.needs_rollback = False
        del self.connection.run_on_commit[self.callbacks_before :]
        if self.sid is None:
            return
        try:
            self.connection.savepoint_rollback(self.sid)
            self.connection.savepoint_commit(self.sid)
        except Error:
            self.connection.needs_rollback = True


def savepoints_due(connection) -> None:
    """Takes the savepoint each `savepoint_if_sending` block of `connection` waits to take, before a statement
    run on the driver's own cursor (kb.models.rows._as_django_runs), which Django's execute wrappers do not see."""
    for wrapper in connection.execute_wrappers:
        if isinstance(wrapper, _SavepointBeforeFirstStatement):
            wrapper.take()
