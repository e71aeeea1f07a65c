"""A knowledge base as an earlier release left it, for the tests of a migration's data step (on the engine under test,
in a transactional test)."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrated(targets):
    """The database migrated to `targets` (forwards or backwards); the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrated_to_latest():
    """The database migrated to the newest migrations, where every other test expects it."""
    return migrated(MigrationExecutor(connection).loader.graph.leaf_nodes())
