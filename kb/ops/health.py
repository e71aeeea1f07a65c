"""Liveness and readiness, cheap enough for a probe every few seconds.

Ready means the database answers one query and no migration is left to apply. The migration plan
is read from disk and the database once per process: once it is empty it stays empty, since a
running process never gains new migrations.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor

_migrated: set[str] = set()  # aliases whose migrations were found all applied by this process


@dataclass(frozen=True)
class Readiness:
    ready: bool
    problem: str = ""


def readiness_check(*, using: str = "default") -> Readiness:
    connection = connections[using]
    try:
        _select_one(connection)
        if using not in _migrated:
            pending = _unapplied_migrations(connection)
            if pending:
                shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
                return Readiness(False, f"migrations not applied: {shown} (run manage.py migrate)")
            _migrated.add(using)
    except DatabaseError as exc:
        return Readiness(False, f"the database does not answer: {exc}")
    return Readiness(True)


def database_answers(*, using: str = "default") -> bool:
    """Whether the database answers one query now."""
    try:
        _select_one(connections[using])
    except DatabaseError:
        return False
    return True


def _select_one(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def readiness_forget() -> None:
    """Check the migrations again at the next readiness check (after a `migrate` in the same process)."""
    _migrated.clear()


def _unapplied_migrations(connection) -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards]
