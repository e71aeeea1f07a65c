"""An import's queries per document are fixed: they grow neither with what a document holds (sections,
incidents, history rows, entities) nor with what the knowledge base already holds (issue #12).

A regression to a query per row or a read of the whole database per file fails here; the speed itself
is measured by bench/scale.py, not by a timed test.
"""

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.documents.importing import import_paths
from kb.models import Alert, Document, Incident, Runbook, SearchEntry

pytestmark = pytest.mark.django_db

# An import writes its files in batches (BATCH_FILES a transaction); what each file costs is pinned
# for a batch of 20 new files, counted on SQLite and PostgreSQL alike. A new runbook (48 queries before
# issue #12, 39 once written alone, 22 in the first batches): a savepoint (the file) and its release, taken
# for its first statement (a long import's new files send none: test_import_batches);
# entities (a read only for a name the batch's evidence did not hold). A post-mortem has a share of the
# batch's reads. Once a batch (a constant): the vocabulary; which of its files are stored and the slugs
# they may want (two reads); the ids of its new documents (a read) and their rows (into documents an insert
# per kind, and one into runbooks and post-mortems each); the alerts of its new runbooks the import does not know (an insert
# returning their ids) and those of its runbooks it knows (a read); the entities its evidence names (a read); the entities it
# names first (an insert returning their ids, with their counts); the incidents its new documents name
# (read, insert); the rows its documents own, an insert per table (sections, history rows or
# follow-ups and lessons, search rows, mentions, links to incidents, revisions), a new document's linked HTML in
# its own row, a stored one's by an update statement run for each; what the documents say of their incidents (four reads, an
# update statement run for each) and the incidents' search rows; the search words (read, insert);
# entity counts (an update per kind of change); the documents naming the alerts first seen (index
# lookup, read). Once an import: the merge of what it added to SQLite's full-text index. A query a
# file more (a row type written per document again) fails these bounds.
# (Round 3 of issue #12 moved the incidents' two queries and the entities' read from each file to the
# batch: per file 8 and 9 before, a batch 34; a batch of 20 files 192-201 queries before, 173-176 after.
# Round 10 moved the new entities' insert from each file to the batch: 20 runbooks 174-176 -> 153-157.
# Round 13 moved the documents' two inserts and the new alerts' from each file to the batch: 20 runbooks
# 152-156 -> 96-100, 20 post-mortems 129-147 -> 92-110; one file alone 37 -> 38.)
PER_NEW_RUNBOOK = 3
PER_NEW_POSTMORTEM = 5  # no alert or history rows; follow-ups and lessons
# A few more when a batch names over 500 incidents, entities or new words: they are read 500 at a time.
PER_BATCH = 40
FILES = 20


def runbook(alert: str, rows: int, steps: int) -> str:
    history = "\n".join(
        f"| 2026-01-{1 + n % 28:02d} | #{alert[:3]}{n} | {n}Gi | {n + 1}Gi | grew `{alert.lower()}-{n}` |"
        for n in range(rows)
    )
    procedures = "\n\n".join(
        f"## Step {n}\n\nRestart `worker-{n}` in namespace `ns-{n}` and check `metric_{n}_total`." for n in range(steps)
    )
    return f"""# Queue lag ({alert})

## Alert
`{alert}` for container `consumer` in namespace `billing`.

{procedures}

## Resolution History

| Date | Incident | Old | New | Notes |
|------|----------|-----|-----|-------|
{history}
"""


def postmortem(day: int, incidents: int, actions: int) -> str:
    named = ", ".join(f"#9{day:02d}{n}" for n in range(incidents))
    follow_ups = "\n".join(f"- [ ] Alert on `queue_depth_{n}` sooner (owner: team-{n})" for n in range(actions))
    lessons = "\n".join(f"- Lesson {n}: `consumer-{n}` hid the lag." for n in range(actions))
    return f"""# 2026-03-{day:02d} Billing queue lag

**Severity:** SEV2

## Summary
The consumer fell behind; incidents {named}. QueueLagHigh fired.

## Fix
Raised the consumer's memory.

## Action items
{follow_ups}

## Lessons learned
{lessons}
"""


def queries_of_import(path: Path, created: int = 1) -> int:
    with CaptureQueriesContext(connection) as queries:
        report = import_paths([path])
    assert report.summary().startswith(f"{created} created"), report.summary()
    return len(queries)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_it_creates_runbooks_in_queries_that_grow_with_neither_their_content_nor_their_number(tmp_path):
    for n in range(FILES):
        write(tmp_path / "small" / f"billing-lag-{n}.md", runbook(f"Billing{n}QueueLagHigh", rows=1, steps=1))
        write(tmp_path / "large" / f"ledger-lag-{n}.md", runbook(f"Ledger{n}QueueLagHigh", rows=30, steps=25))
    small = queries_of_import(tmp_path / "small", created=FILES)
    large = queries_of_import(tmp_path / "large", created=FILES)
    assert Incident.objects.count() == 31  # #Bil0 (every small one), #Led0 to #Led29
    assert small <= FILES * PER_NEW_RUNBOOK + PER_BATCH
    assert large <= FILES * PER_NEW_RUNBOOK + PER_BATCH


def test_runbooks_of_alerts_stored_already_read_them_in_one_query_a_batch(tmp_path):
    # Alertmanager sent them first, or an earlier import's runbooks named them.
    stored = [Alert.objects.create(name=f"Billing{n}QueueLagHigh") for n in range(FILES)]
    for n in range(FILES):
        write(tmp_path / f"billing-lag-{n}.md", runbook(f"billing{n}queuelaghigh", rows=1, steps=1))
    assert queries_of_import(tmp_path, created=FILES) <= FILES * PER_NEW_RUNBOOK + PER_BATCH
    assert Alert.objects.count() == FILES
    assert {runbook.alert for runbook in Runbook.objects.select_related("alert")} == set(stored)


def test_it_creates_postmortems_in_queries_that_grow_with_neither_their_content_nor_their_number(tmp_path):
    for n in range(FILES):
        write(tmp_path / "small" / f"billing-pm-{n}.md", postmortem(n + 1, incidents=1, actions=1))
        write(tmp_path / "large" / f"ledger-pm-{n}.md", postmortem(n + 1, incidents=30, actions=30).replace("#9", "#8"))
    small = queries_of_import(tmp_path / "small", created=FILES)
    large = queries_of_import(tmp_path / "large", created=FILES)
    assert small <= FILES * PER_NEW_POSTMORTEM + PER_BATCH
    assert large <= FILES * PER_NEW_POSTMORTEM + PER_BATCH


def test_it_creates_one_file_in_the_queries_of_one_file_of_a_batch_and_those_of_the_batch(tmp_path):
    runbook_alone = queries_of_import(write(tmp_path / "lag.md", runbook("BillingQueueLagHigh", rows=3, steps=3)))
    postmortem_alone = queries_of_import(write(tmp_path / "pm.md", postmortem(1, incidents=3, actions=3)))
    assert runbook_alone <= PER_NEW_RUNBOOK + PER_BATCH
    assert postmortem_alone <= PER_NEW_POSTMORTEM + PER_BATCH


def test_it_imports_into_a_full_knowledge_base_in_the_queries_of_an_empty_one(tmp_path):
    empty = queries_of_import(write(tmp_path / "billing-lag.md", runbook("BillingQueueLagHigh", rows=3, steps=3)))
    for n in range(12):
        write(tmp_path / "many" / f"lag-{n}.md", runbook(f"Shard{n}QueueLagHigh", rows=3, steps=3))
        write(tmp_path / "many" / f"pm-{n}.md", postmortem(n + 1, incidents=3, actions=3))
    import_paths([tmp_path / "many"])
    full = queries_of_import(write(tmp_path / "ledger-lag.md", runbook("LedgerQueueLagHigh", rows=3, steps=3)))
    assert Document.objects.count() == 26
    # One update more: the counts of the entities stored already (`billing`, `consumer`); a new entity's go
    # in with its insert, and every entity of the first file into the empty knowledge base is new.
    assert full <= empty + 1


def test_it_reimports_an_unchanged_file_reading_only_the_stored_document(tmp_path):
    path = write(tmp_path / "lag.md", runbook("BillingQueueLagHigh", rows=5, steps=5))
    import_paths([path])
    with CaptureQueriesContext(connection) as queries:
        report = import_paths([path])
    assert report.summary().startswith("0 created, 0 updated, 1 unchanged")
    # The vocabulary (alert names, curated entities); begin (the batch), savepoint (the file), savepoint
    # (document_save), the stored document, release, the alert sections it no longer has, release, commit.
    assert len(queries) <= 10, "\n".join(q["sql"][:100] for q in queries)


def test_it_writes_a_new_documents_row_once_with_its_linked_html(tmp_path):
    for n in range(3):
        write(tmp_path / f"billing-lag-{n}.md", runbook(f"Billing{n}QueueLagHigh", rows=2, steps=2))
    with CaptureQueriesContext(connection) as queries:
        import_paths([tmp_path])
    table = connection.ops.quote_name(Document._meta.db_table)
    # (SQLite's executemany is logged as "N times: UPDATE …")
    updates = [q["sql"] for q in queries if f"UPDATE {table} ".upper() in q["sql"].upper()]
    # Stored by the insert: an UPDATE after it wrote each new document's row (and its index entries) twice.
    assert updates == []
    for document in Document.objects.all():
        assert 'href="/entities/' in document.linked_html, document.identity
        assert document.linked_html != document.html


def test_it_writes_the_search_rows_of_the_incidents_it_creates_without_looking_for_old_ones(tmp_path):
    for n in range(3):
        write(tmp_path / f"billing-pm-{n}.md", postmortem(n + 1, incidents=4, actions=1))
    with CaptureQueriesContext(connection) as queries:
        import_paths([tmp_path])
    table = connection.ops.quote_name(SearchEntry._meta.db_table)
    # New incidents have no rows to read or delete: a statement each that an id a parameter made long.
    assert [q["sql"] for q in queries if f"DELETE FROM {table}".upper() in q["sql"].upper()] == []
    incidents = Incident.objects.all()
    assert incidents.count() == 12
    assert sorted(SearchEntry.objects.filter(incident__isnull=False).values_list("incident_id", flat=True)) == sorted(
        incidents.values_list("pk", flat=True)
    )
