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
from kb.models import Document, Incident

pytestmark = pytest.mark.django_db

# A new runbook (48 before issue #12, 46 a post-mortem, 9 an unchanged file), counted on SQLite: the
# vocabulary, once per import (alert names, curated entities); two savepoints (the file, the save) and
# their releases; the document (read, free slug, two inserts); its alert (read, insert); sections and
# history rows (insert); incidents (read, insert, link; what the documents say of them: four reads,
# one update statement run for each; their search rows: words, delete, insert, words added);
# its search rows (insert, words read and added); entities (read, insert, read back); mentions
# (insert); entity counts (an update per kind of change); the documents naming its alert first seen
# (index lookup, read); the revision; the file's alert sections it no longer has.
NEW_RUNBOOK_QUERIES = 39
# A new post-mortem: no alert or history rows; follow-ups, lessons, and the fix sections of the
# post-mortems naming its incidents.
NEW_POSTMORTEM_QUERIES = 36


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


def queries_of_import(path: Path) -> int:
    with CaptureQueriesContext(connection) as queries:
        report = import_paths([path])
    assert report.summary().startswith("1 created"), report.summary()
    return len(queries)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_it_creates_a_runbook_in_queries_that_do_not_grow_with_its_content(tmp_path):
    small = queries_of_import(write(tmp_path / "billing-lag.md", runbook("BillingQueueLagHigh", rows=1, steps=1)))
    large = queries_of_import(write(tmp_path / "ledger-lag.md", runbook("LedgerQueueLagHigh", rows=30, steps=25)))
    assert Incident.objects.count() == 31
    assert small <= NEW_RUNBOOK_QUERIES
    assert large <= NEW_RUNBOOK_QUERIES


def test_it_creates_a_postmortem_in_queries_that_do_not_grow_with_its_content(tmp_path):
    small = queries_of_import(write(tmp_path / "pm-1.md", postmortem(1, incidents=1, actions=1)))
    large = queries_of_import(write(tmp_path / "pm-2.md", postmortem(2, incidents=30, actions=30)))
    assert Incident.objects.count() == 31
    assert small <= NEW_POSTMORTEM_QUERIES
    assert large <= NEW_POSTMORTEM_QUERIES


def test_it_imports_into_a_full_knowledge_base_in_the_queries_of_an_empty_one(tmp_path):
    empty = queries_of_import(write(tmp_path / "billing-lag.md", runbook("BillingQueueLagHigh", rows=3, steps=3)))
    for n in range(12):
        write(tmp_path / "many" / f"lag-{n}.md", runbook(f"Shard{n}QueueLagHigh", rows=3, steps=3))
        write(tmp_path / "many" / f"pm-{n}.md", postmortem(n + 1, incidents=3, actions=3))
    import_paths([tmp_path / "many"])
    full = queries_of_import(write(tmp_path / "ledger-lag.md", runbook("LedgerQueueLagHigh", rows=3, steps=3)))
    assert Document.objects.count() == 26
    assert full <= empty


def test_it_reimports_an_unchanged_file_reading_only_the_stored_document(tmp_path):
    path = write(tmp_path / "lag.md", runbook("BillingQueueLagHigh", rows=5, steps=5))
    import_paths([path])
    with CaptureQueriesContext(connection) as queries:
        report = import_paths([path])
    assert report.summary().startswith("0 created, 0 updated, 1 unchanged")
    # The vocabulary (alert names, curated entities); begin, savepoint, the stored document, release,
    # commit; the alert sections it no longer has.
    assert len(queries) <= 8, [q["sql"][:80] for q in queries]
