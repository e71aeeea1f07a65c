"""A new PostgreSQL database leaves its statistics to autovacuum: a table analyzed while empty is planned as empty,
and a plan kept for the session keeps that. An import's foreign-key checks, planned at its first row, then scanned
the whole document table for each row they checked, and the server's CPU doubled (BENCHMARKS.md, "Round 17")."""

import psycopg
import pytest

from tests.security.load_support import manage, on_postgresql, own_database, server_environment

pytestmark = pytest.mark.skipif(not on_postgresql(), reason="PostgreSQL's statistics")


def test_the_migrations_of_a_new_database_analyze_no_empty_table(tmp_path):
    with own_database(tmp_path) as url:
        migrated = manage(server_environment(url, tmp_path, 0), "migrate", "--no-input")
        assert migrated.returncode == 0, migrated.stderr
        with psycopg.connect(url) as connection:
            analyzed = connection.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE relname LIKE 'kb%' AND last_analyze IS NOT NULL"
            ).fetchall()
    assert analyzed == []
