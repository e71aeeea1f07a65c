"""What an import reads for each file or batch is found through indexes, however large the knowledge base
(issue #12): a table scanned once a batch made an import into 12,000 documents twice as slow as into an
empty database. Checked on SQLite's plans, which had no statistics to go by: an OR of ranges and a
column of two values (a search row's scope) each led it to read every row; and on PostgreSQL's, whose
statistics an import into an empty database outruns."""

import json
import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.documents.importing import import_paths
from tests.documents.test_import_queries import postmortem, runbook, write

pytestmark = pytest.mark.django_db
# Read once an import, whole: the names the import recognises (the vocabulary) and the stored texts' hashes.
ONCE_AN_IMPORT = ('FROM "kb_alert"', '"content_hash" FROM "kb_document"', 'FROM "kb_entity" WHERE')
LARGE_TABLES = ("kb_document", "kb_searchentry", "kb_mention", "kb_incident", "kb_section", "kb_entity")


def shape(sql: str) -> str:
    return re.sub(r"(%s, )+%s", "%s", sql)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans (PostgreSQL plans by statistics)")
def test_what_an_import_reads_again_and_again_it_finds_through_an_index(tmp_path):
    for n in range(40):
        write(tmp_path / "first" / f"shard-{n}.md", runbook(f"Shard{n}QueueLagHigh", rows=3, steps=3))
        write(tmp_path / "first" / f"pm-{n}.md", postmortem(n % 28 + 1, incidents=3, actions=2))
    import_paths([tmp_path / "first"])
    for n in range(60):  # new files and changed ones, in several batches
        write(tmp_path / "second" / f"ledger-{n}.md", runbook(f"Ledger{n}QueueLagHigh", rows=3, steps=2))
        write(tmp_path / "first" / f"shard-{n % 40}.md", runbook(f"Shard{n % 40}QueueLagHigh", rows=4, steps=3))
    with CaptureQueriesContext(connection) as queries:
        import_paths([tmp_path / "first", tmp_path / "second"])
    repeated = Counter(shape(q["sql"]) for q in queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH")))
    scans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            if repeated[shape(sql)] < 2 and any(once in sql for once in ONCE_AN_IMPORT):
                continue
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            for *_, detail in cursor.fetchall():
                table_scanned = re.match(r"SCAN (\w+)", detail)
                if (table_scanned and table_scanned[1] in LARGE_TABLES) or "search_entry_scope" in detail:
                    scans.append(f"{detail}: {sql[:300]}")
    assert not scans, "\n".join(scans)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's query plans")
def test_the_documents_naming_a_new_alert_are_found_by_the_text_index_before_any_statistics(tmp_path):
    # The tables are as an import into an empty database leaves them: rows the statistics do not know of.
    for n in range(40):
        write(tmp_path / "first" / f"pm-{n}.md", postmortem(n % 28 + 1, incidents=2, actions=2) + f"Shard{n}LagHigh.")
    import_paths([tmp_path / "first"])
    for n in range(40):  # each runbook's alert is new, and named by a post-mortem already stored
        write(tmp_path / "second" / f"shard-{n}.md", runbook(f"Shard{n}LagHigh", rows=2, steps=2))
    with CaptureQueriesContext(connection) as queries:
        import_paths([tmp_path / "second"])
    lookups = [q["sql"] for q in queries if "vector @@" in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT")]
    assert lookups, "no lookup of the documents naming the new alerts"
    with connection.cursor() as cursor:
        for sql in lookups:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            indexes = set(re.findall(r'"Index Name": "(\w+)"', json.dumps(cursor.fetchone()[0])))
            # Never through the index listing every whole row, each of whose vectors is then tested (62 ms at 3,000
            # documents, seconds at 12,000; the GIN index: 1.4 ms). This test's few rows may be read any way.
            assert "search_entry_scope" not in indexes, f"{indexes}: {sql[:300]}"


def _table_scans() -> int:
    """Sequential scans of the app's tables so far, this connection's included (PostgreSQL flushes a backend's counts
    at a commit at most once a second, unless asked)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # at the end of this statement's transaction
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT SUM(seq_scan) FROM pg_stat_user_tables WHERE relname LIKE 'kb%%'")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's foreign-key checks")
@pytest.mark.django_db(transaction=True)
def test_an_import_checks_its_keys_through_indexes_though_the_tables_were_analyzed_empty(tmp_path):
    # As an autovacuum pass in the first seconds of an import into a new database leaves them: planned from these
    # statistics, a key's check scans the table, and the plan is kept for the session: every later check read the
    # whole growing table (3,000 documents: the server's CPU 8 -> 33.5 s).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    files = 60  # two batches: the second's checks use the plans the first's made
    for n in range(files):
        write(tmp_path / f"shard-{n}.md", runbook(f"Shard{n}QueueLagHigh", rows=3, steps=3))
    before = _table_scans()
    import_paths([tmp_path])
    # The import's own reads of tables the statistics say are empty may scan them (564 scans here); each
    # document's rows (sections, search rows, history, mentions, revision) are 17 key checks more, each a scan
    # without the indexes (1,602).
    assert _table_scans() - before < 15 * files


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner settings")
def test_an_import_inside_a_callers_transaction_leaves_its_planner_settings_as_they_were(tmp_path):
    # The batches are savepoints of the caller's transaction (this test's), which goes on after the import.
    for n in range(60):
        write(tmp_path / f"shard-{n}.md", runbook(f"Shard{n}QueueLagHigh", rows=2, steps=2))
    import_paths([tmp_path])
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
