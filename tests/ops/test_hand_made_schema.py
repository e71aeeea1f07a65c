"""What migrations wrote by hand, outside the models, is still there once every migration has run.

On SQLite, Django changes a table by building a new one and copying the rows: the triggers that keep the
full-text tables in step and the indexes it was not told about go with the old table, silently. Search
would stop finding new documents; lists would read every document's texts again.
"""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

BY_ENGINE = {
    "sqlite": {
        "trigger": {
            f"{table}_{event}"
            for table in ("kb_searchentry_fts", "kb_searchterm_trigrams")
            for event in ("insert", "delete", "update")
        },
        "index": {"document_listed_columns"},
        "table": {"kb_searchentry_fts", "kb_searchterm_trigrams"},
    },
    "postgresql": {
        "index": {"kb_searchentry_whole_vector", "kb_searchterm_word_trgm"},
        # Without it every search counts the rows of words the statistics of the column do not call common.
        "statistics": {"kb_searchentry_whole_words"},
    },
}


def present(kind: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = %s", [kind])
        elif kind == "statistics":
            cursor.execute("SELECT stxname FROM pg_statistic_ext WHERE stxnamespace = current_schema()::regnamespace")
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        return {name for (name,) in cursor.fetchall()}


def test_what_migrations_made_by_hand_survives_every_migration():
    missing = {kind: names - present(kind) for kind, names in BY_ENGINE[connection.vendor].items()}
    assert not any(missing.values()), missing


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5's own settings")
def test_the_full_text_index_merges_two_segments_of_a_level_at_a_time():
    # Kept in the index's own table: a rebuilt FTS5 table would merge only four at a time again.
    with connection.cursor() as cursor:
        cursor.execute("SELECT v FROM kb_searchentry_fts_config WHERE k = 'usermerge'")
        assert cursor.fetchall() == [(2,)]
