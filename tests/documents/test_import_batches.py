"""An import writes its files in batches and does the work they share once a batch (issue #12): what it
stores is what saving the same files one by one stores, a bad file in a batch costs only itself, and
files are listed once their batch is committed."""

import fcntl
import gc
import multiprocessing
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.documents import forked, importing, reading
from kb.documents.forked import YOUNG_COLLECTED_AFTER, ProcessFailed, mapped_in_process
from kb.documents.importing import find_files, import_file, import_paths
from kb.entities.counts import COUNTS
from kb.models import Alert, Document, Entity, Incident, Mention, SearchEntry, SearchTerm
from kb.models.rows import SEARCH_GIN_INDEXES

pytestmark = pytest.mark.django_db

# Before the runbook of its alert: named as plain text, linked once the runbook tells the alert.
EARLY_POSTMORTEM = """# 2026-02-06 Ledger writes stalled

**Severity:** SEV1

## Summary
The pages said LedgerStall during the night, for the `ledger-writer` deployment in namespace `ledger`;
incidents #707, #708.

## Fix
Raised the connection pool of `pgbouncer-ledger`.
"""

RUNBOOK = """# Ledger write stall ({alert})

## Alert
`{alert}` for container `ledger-writer` in namespace `ledger`, on node `db-{n}.example.org`.

## Steps
Check `pg_stat_activity_count` and restart the `pgbouncer-ledger` deployment.

## Resolution History

| Date | Incident | Old | New | Notes |
|------|----------|-----|-----|-------|
| 2026-02-0{day} | #70{n} | 50 | 100 | pool of `pgbouncer-ledger` raised |
"""

# Calls `ledger-writer` a namespace where the others call it a component: its kind is voted again.
LATE_POSTMORTEM = """# 2026-02-09 Ledger lag

**Severity:** SEV3

## Summary
The `ledger-writer` namespace lagged; LedgerStall again (#709). See also #703.
"""


def collection(folder: Path) -> Path:
    files = {"a-early-postmortem.md": EARLY_POSTMORTEM, "z-late-postmortem.md": LATE_POSTMORTEM}
    for n in range(1, 10):
        alert = "LedgerStall" if n == 7 else f"LedgerShard{n}WriteStall"
        files[f"m-runbook-{n}.md"] = RUNBOOK.format(alert=alert, n=n, day=n)
    files["n-broken.md"] = ""  # fails: an empty file
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def stored() -> dict:
    return {
        "documents": sorted(Document.objects.values_list("identity", "kind", "title", "archived")),
        # Each mention linked to its entity's page in the HTML shown (an import links from the entities it keeps).
        "linked pages": sorted(Document.objects.values_list("identity", "linked_html")),
        "entities": sorted(Entity.objects.values_list("name", "kind", *COUNTS)),
        "mentions": sorted(
            Mention.objects.values_list("document__identity", "entity__name", "kind", "position", "count", "subject")
        ),
        "incidents": sorted(
            Incident.objects.values_list(
                "reference", "status", "title", "severity", "fix", "alert__name", "runbook__identity", "started_at"
            )
        ),
        "search rows": sorted(SearchEntry.objects.values_list("kind", "scope", "url", "title", "body")),
        "words": set(SearchTerm.objects.values_list("word", flat=True)),
    }


def forget_everything() -> None:
    for model in (Document, Incident, Entity, Alert, SearchEntry, SearchTerm):
        model.objects.all().delete()


def test_it_stores_what_saving_the_files_one_by_one_stores(tmp_path, monkeypatch):
    folder = collection(tmp_path / "docs")
    monkeypatch.setattr(importing, "BATCH_FILES", 4)  # several batches, the bad file inside one
    report = import_paths([folder])
    assert report.summary() == "11 created (9 runbooks, 2 post-mortems), 0 updated, 0 unchanged, 0 skipped, 1 failed"
    batched = stored()

    forget_everything()
    for candidate in find_files([folder], importing.ImportReport()):
        import_file(candidate)  # alone: its own transaction, everything written at once
    one_by_one = stored()

    for part in batched:
        assert batched[part] == one_by_one[part], part
    # What the batches did once: the early post-mortem re-read for the alert first seen after it,
    # incidents given what their runbook and post-mortem say, and an entity's kind voted by all.
    assert ("a-early-postmortem.md", "LedgerStall") in {m[:2] for m in batched["mentions"]}
    assert ("#707", "resolved", "2026-02-06 Ledger writes stalled", "SEV1") in {i[:4] for i in batched["incidents"]}
    assert dict((e[0], e[1]) for e in batched["entities"])["ledger-writer"] == "component"


def test_a_bad_file_fails_alone_and_each_file_is_listed_once_its_batch_is_committed(tmp_path, monkeypatch):
    folder = collection(tmp_path / "docs")
    monkeypatch.setattr(importing, "BATCH_FILES", 4)
    listed = []

    def progress(n, total, result):
        listed.append((n, result.outcome, result.document is not None and result.document.pk is not None))

    out = StringIO()
    with pytest.raises(Exception, match="1 failed"):
        call_command("import_docs", str(folder), stdout=out, stderr=StringIO())
    assert "failed    " in out.getvalue() and "n-broken.md" in out.getvalue()
    forget_everything()

    import_paths([folder], progress=progress)
    assert [n for n, _, _ in listed] == list(range(1, 13))
    assert all(exists for _, outcome, exists in listed if outcome == "created")
    assert Document.objects.count() == 11


def saving_fails_for(monkeypatch, failing: str) -> None:
    """The save of that file fails after its batch's pending rows were written, as a broken file would."""
    save_parts = importing._save_parts

    def failing_for(parsed, identity, *args):
        if identity == failing:
            raise importing.ParseError("an alert section was imported as a note")
        return save_parts(parsed, identity, *args)

    monkeypatch.setattr(importing, "_save_parts", failing_for)


# A long import's new files send no statement of their own, so on PostgreSQL their savepoint is never taken
# (kb.models.savepoints.savepoint_if_sending); a short one's read the entities their evidence names. Both must roll a
# failing file back alike.
LONG_OR_SHORT = pytest.mark.parametrize("long", [False, True], ids=["short", "long"])


def long_or_short(monkeypatch, long: bool) -> None:
    if long:
        monkeypatch.setattr(reading, "READ_AHEAD_FROM", 2)


@LONG_OR_SHORT
def test_a_file_failing_after_its_batch_wrote_the_rows_of_the_files_before_it_keeps_those_rows(
    tmp_path, monkeypatch, long
):
    long_or_short(monkeypatch, long)
    folder = collection(tmp_path / "docs")
    monkeypatch.setattr(importing, "BATCH_FILES", 20)  # one batch
    import_paths([folder])
    # Both changed: saving the second replaces its stored rows, so the rows the batch holds for the first
    # are written then, inside the second file's savepoint; the second then fails and rolls back.
    for n in (2, 3):
        path = folder / f"m-runbook-{n}.md"
        path.write_text(path.read_text().replace("## Steps", "## Steps\nPage the `ledger-oncall` rotation first."))
    saving_fails_for(monkeypatch, "m-runbook-3.md")
    report = import_paths([folder])

    assert report.summary() == "0 created, 1 updated (1 runbook), 9 unchanged, 0 skipped, 2 failed"
    second, third = (Document.objects.get(identity=f"m-runbook-{n}.md") for n in (2, 3))
    assert second.revisions.count() == 2 and "ledger-oncall" in second.source_text
    assert "ledger-oncall" in second.sections.get(heading="Steps").markdown
    assert SearchEntry.objects.filter(document=second, body__contains="ledger-oncall").count() == 2  # whole, section
    assert 'title="Component pgbouncer-ledger"' in second.linked_html
    assert Mention.objects.filter(document=second, entity__name="pgbouncer-ledger").exists()
    assert third.revisions.count() == 1 and "ledger-oncall" not in third.source_text
    assert not SearchEntry.objects.filter(document=third, body__contains="ledger-oncall").exists()
    assert Mention.objects.filter(document=third, entity__name="pgbouncer-ledger").exists()


@LONG_OR_SHORT
def test_a_new_files_incidents_outlive_a_later_file_of_its_batch_failing_after_linking_them(
    tmp_path, monkeypatch, long
):
    long_or_short(monkeypatch, long)
    folder = collection(tmp_path / "docs")
    monkeypatch.setattr(importing, "BATCH_FILES", 20)  # one batch
    import_paths([folder])
    # New, naming an incident not stored: its links wait for the batch's flush, which the changed file after
    # it runs inside its own savepoint (it replaces its stored rows) before failing and rolling back.
    (folder / "m-runbook-25.md").write_text(RUNBOOK.format(alert="LedgerShard25WriteStall", n=99, day=9))
    third = folder / "m-runbook-3.md"
    third.write_text(third.read_text().replace("## Steps", "## Steps\nPage the `ledger-oncall` rotation first."))
    saving_fails_for(monkeypatch, "m-runbook-3.md")
    report = import_paths([folder])

    assert report.summary() == "1 created (1 runbook), 0 updated, 10 unchanged, 0 skipped, 2 failed"
    incident = Incident.objects.get(reference="#7099")
    assert list(incident.documents.values_list("identity", flat=True)) == ["m-runbook-25.md"]
    assert incident.runbook.identity == "m-runbook-25.md" and incident.status == "resolved"
    assert SearchEntry.objects.filter(incident=incident).count() == 1


# Of what `_read_ahead` adds to reading a file, how much the parsing process leaves to the saves: none, all, or as
# many as the two processes' pace decides (the files read while less than a batch waited).
@pytest.mark.parametrize("shared_below_batches", [0, 1, 2])
def test_files_parsed_ahead_by_another_process_are_stored_as_those_parsed_in_this_one(
    tmp_path, monkeypatch, shared_below_batches
):
    folder = collection(tmp_path / "docs")
    monkeypatch.setattr(importing, "BATCH_FILES", 4)
    # Forked from this many files on, the parsing process held at most two batches (eight files) ahead of the writing.
    monkeypatch.setattr(reading, "READ_AHEAD_FROM", 2)
    monkeypatch.setattr(reading, "READ_AHEAD_BATCHES", 2)
    monkeypatch.setattr(reading, "SHARED_BELOW_BATCHES", shared_below_batches)
    ahead = import_paths([folder])
    parsed_ahead = stored()

    forget_everything()
    monkeypatch.setattr(reading, "READ_AHEAD_FROM", 1000)
    here = import_paths([folder])

    assert [(r.path, r.outcome) for r in ahead.results] == [(r.path, r.outcome) for r in here.results]
    for part in parsed_ahead:
        assert parsed_ahead[part] == stored()[part], part
    # Imported again, parsed ahead: the files already stored are recognised there too.
    monkeypatch.setattr(reading, "READ_AHEAD_FROM", 2)
    assert import_paths([folder]).summary() == "0 created, 0 updated, 11 unchanged, 0 skipped, 1 failed"


def test_a_bug_in_the_parsing_process_stops_the_import_with_its_traceback(tmp_path, monkeypatch):
    folder = collection(tmp_path / "docs")
    monkeypatch.setattr(reading, "READ_AHEAD_FROM", 2)
    read_candidate = reading.read_candidate

    def failing(candidate):
        if candidate.path.name == "m-runbook-5.md":
            raise ZeroDivisionError("a bug met in m-runbook-5.md")
        return read_candidate(candidate)

    monkeypatch.setattr(reading, "read_candidate", failing)
    with pytest.raises(ProcessFailed, match=r"(?s)ZeroDivisionError: a bug met in m-runbook-5\.md"):
        import_paths([folder])


def test_an_import_parsed_ahead_leaves_a_heap_frozen_before_it_frozen(tmp_path, monkeypatch):
    # A gunicorn worker inherits its master's heap frozen (kb.ops.warmup.server_heap_frozen), and a Git push
    # imports in the worker: the import must not thaw it for every later collection to walk again.
    folder = collection(tmp_path / "docs")
    monkeypatch.setattr(reading, "READ_AHEAD_FROM", 2)
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        import_paths([folder])
        # Still frozen, less what the import let go of (thawed, the count would be 0).
        assert gc.get_freeze_count() > frozen * 0.9
    finally:
        gc.unfreeze()


def test_both_processes_of_a_long_import_collect_less_often_and_the_importer_gets_its_collector_back(tmp_path):
    # A Git push imports in a gunicorn worker: the import's thresholds would hold for every request it serves later.
    before = gc.get_threshold()
    assert before[0] != YOUNG_COLLECTED_AFTER

    def young_threshold(_item) -> int:
        return gc.get_threshold()[0]

    with mapped_in_process(young_threshold, [1, 2, 3], ahead=2) as results:
        assert list(results) == [YOUNG_COLLECTED_AFTER] * 3
        assert gc.get_threshold()[0] == YOUNG_COLLECTED_AFTER
    assert gc.get_threshold() == before
    with pytest.raises(ProcessFailed), mapped_in_process(lambda item: 1 / item, [1, 0], ahead=2) as results:
        list(results)
    assert gc.get_threshold() == before


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's page cache and checkpoints are the connection's")
def test_an_import_gives_the_connection_its_page_cache_and_checkpoints_back_even_when_it_fails(tmp_path, monkeypatch):
    # A Git push imports in a gunicorn worker, whose threads' connections stay open: an import's 32 MiB page cache
    # kept by each would count against the pod's memory.
    folder = collection(tmp_path / "docs")
    monkeypatch.setattr(reading, "READ_AHEAD_FROM", 2)  # a long import: its connection is tuned

    def settings() -> tuple[int, int]:
        with connection.cursor() as cursor:
            return tuple(
                cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "wal_autocheckpoint")
            )

    before = settings()
    import_paths([folder])
    assert settings() == before
    monkeypatch.setattr(importing, "import_file", lambda *args, **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        import_paths([folder])
    assert settings() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN indexes")
def test_an_import_leaves_the_search_indexes_without_pending_entries_even_when_it_fails(tmp_path, monkeypatch):
    # An import's entries wait in the GIN indexes' pending lists (kb.models.rows.bulk_writes); a search after it
    # would scan what is left there until autovacuum came (migration 0012).
    folder = collection(tmp_path / "docs")
    monkeypatch.setattr(reading, "READ_AHEAD_FROM", 2)

    def pending_pages_and_options() -> list[tuple[int, list[str]]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT gin_clean_pending_list(c.oid), c.reloptions FROM pg_class c WHERE c.relname = ANY(%s)"
                " ORDER BY c.relname",
                [list(SEARCH_GIN_INDEXES)],
            )
            return cursor.fetchall()

    import_paths([folder])
    assert pending_pages_and_options() == [(0, ["fastupdate=off"])] * 2
    forget_everything()
    monkeypatch.setattr(importing, "BATCH_FILES", 4)
    real_import_file = importing.import_file

    def failing_third_batch(candidate, **kwargs):
        if candidate.path.name == "m-runbook-9.md":
            raise ZeroDivisionError("a bug")
        return real_import_file(candidate, **kwargs)

    monkeypatch.setattr(importing, "import_file", failing_third_batch)
    with pytest.raises(ZeroDivisionError):
        import_paths([folder])
    assert Document.objects.exists()  # the batches before it were written
    assert pending_pages_and_options() == [(0, ["fastupdate=off"])] * 2


# Quotes, backslashes, braces and commas: what an array literal must escape (kb.models.rows.rows_update).
AWKWARD_RUNBOOK = r"""# Pool "ledger" full ({alert})

## Alert
`{alert}` for container `ledger-writer`: set "max_conn" in `C:\pools\{{a,b}}`, then say "NULL".

## Resolution History

| Date | Incident | Old | New | Notes |
|------|----------|-----|-----|-------|
| 2026-02-0{n} | #80{n} | `"50",{{a}}` | `C:\x\"y"` | pool of `ledger-writer` raised, "twice" |
"""


def test_a_batch_stores_pages_and_incident_facts_with_quotes_and_backslashes_as_written(tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(1, 6):
        (folder / f"runbook-{n}.md").write_text(AWKWARD_RUNBOOK.format(alert=f"LedgerPool{n}Full", n=n))
    monkeypatch.setattr(importing, "BATCH_FILES", 3)

    import_paths([folder])
    pages = dict(Document.objects.values_list("identity", "linked_html"))
    facts = sorted(Incident.objects.values_list("reference", "change_from", "change_to", "fix", "postmortem_id"))
    forget_everything()
    for candidate in find_files([folder], importing.ImportReport()):
        import_file(candidate)  # alone: its linked HTML written by the ORM, not a batch's statement

    assert pages == dict(Document.objects.values_list("identity", "linked_html"))
    assert '"max_conn"' in pages["runbook-1.md"] and r"C:\pools\{a,b}" in pages["runbook-1.md"]
    assert facts[0] == ("#801", '"50",{a}', r'C:\x\"y"', 'pool of ledger-writer raised, "twice"', None)
    assert facts == sorted(
        Incident.objects.values_list("reference", "change_from", "change_to", "fix", "postmortem_id")
    )


def test_a_new_files_new_entities_outlive_a_later_file_of_its_batch_failing_after_inserting_them(tmp_path, monkeypatch):
    folder = collection(tmp_path / "docs")
    monkeypatch.setattr(importing, "BATCH_FILES", 20)  # one batch
    import_paths([folder])
    # New, naming an entity not stored: it waits for the batch's flush (inserted with its counts), which the
    # changed file after it runs inside its own savepoint before failing and rolling back. A post-mortem: no
    # alert first seen, whose documents the batch would read again.
    late = LATE_POSTMORTEM.replace("See also #703.", "The `ledger-archiver` deployment was scaled down.")
    (folder / "m-postmortem.md").write_text(late.replace("2026-02-09", "2026-02-10"))
    third = folder / "m-runbook-3.md"
    third.write_text(third.read_text().replace("## Steps", "## Steps\nPage the `ledger-oncall` rotation first."))
    saving_fails_for(monkeypatch, "m-runbook-3.md")
    report = import_paths([folder])

    assert report.summary() == "1 created (1 post-mortem), 0 updated, 10 unchanged, 0 skipped, 2 failed"
    archiver = Entity.objects.get(name="ledger-archiver")
    assert (archiver.document_count, archiver.implicated_in, archiver.runbook_count) == (1, 1, 0)
    assert list(archiver.mentions.values_list("document__identity", flat=True)) == ["m-postmortem.md"]
    assert not Entity.objects.filter(name="ledger-oncall").exists()


@LONG_OR_SHORT
def test_a_new_file_failing_after_its_document_was_saved_leaves_no_document_and_the_others_theirs(
    tmp_path, monkeypatch, long
):
    long_or_short(monkeypatch, long)
    folder = collection(tmp_path / "docs")
    monkeypatch.setattr(importing, "BATCH_FILES", 20)  # one batch: the new documents wait for its end together
    saving_fails_for(monkeypatch, "m-runbook-2.md")
    report = import_paths([folder])

    assert report.summary() == "10 created (8 runbooks, 2 post-mortems), 0 updated, 0 unchanged, 0 skipped, 2 failed"
    assert not Document.objects.filter(identity="m-runbook-2.md").exists()
    third = Document.objects.get(identity="m-runbook-3.md")
    assert third.revisions.count() == 1 and third.sections.filter(heading="Steps").exists()
    assert SearchEntry.objects.filter(document=third).exists()
    assert {r.document_id for r in report.results if r.outcome == "created"} == set(
        Document.objects.values_list("pk", flat=True)
    )


def test_two_files_of_one_batch_with_the_same_id_are_one_document_the_second_updating_the_first(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("---\nid: ledger-stall\n---\n# Ledger stall\n\n## Steps\nRestart `ledger-writer`.\n")
    (folder / "b.md").write_text("---\nid: ledger-stall\n---\n# Ledger stall, again\n\n## Steps\nRaise the pool.\n")
    report = import_paths([folder])

    assert [r.outcome for r in report.results] == ["created", "updated"]
    document = Document.objects.get(identity="id:ledger-stall")
    assert (document.title, document.version, document.revisions.count()) == ("Ledger stall, again", 2, 2)
    assert SearchEntry.objects.filter(document=document, body__contains="Raise the pool").exists()
    assert not SearchEntry.objects.filter(document=document, body__contains="ledger-writer").exists()


@LONG_OR_SHORT
def test_a_second_file_of_the_same_id_failing_leaves_the_first_as_saved(tmp_path, monkeypatch, long):
    # The second's first statement inserts the rows the batch holds for the first (it updates that document):
    # inside its savepoint, which takes them back when it fails, for the batch to insert once at its end.
    long_or_short(monkeypatch, long)
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("---\nid: ledger-stall\n---\n# Ledger stall\n\n## Steps\nRestart `ledger-writer`.\n")
    (folder / "b.md").write_text("---\nid: ledger-stall\n---\n# Ledger stall, again\n\n## Steps\nRaise the pool.\n")
    first_saved = []
    save_parts = importing._save_parts

    def second_fails(parsed, identity, *args):
        if first_saved:
            raise importing.ParseError("an alert section was imported as a note")
        first_saved.append(identity)
        return save_parts(parsed, identity, *args)

    monkeypatch.setattr(importing, "_save_parts", second_fails)
    report = import_paths([folder])

    assert [r.outcome for r in report.results] == ["created", "failed"]
    document = Document.objects.get(identity="id:ledger-stall")
    assert (document.title, document.version, document.revisions.count()) == ("Ledger stall", 1, 1)
    assert SearchEntry.objects.filter(document=document, body__contains="ledger-writer").count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a statement is a round trip to PostgreSQL's server")
@pytest.mark.django_db(transaction=True)  # the batch's transaction a transaction, not a savepoint in the test's
def test_a_long_imports_new_files_send_no_savepoint_and_a_changed_one_its_own(tmp_path, monkeypatch):
    # Two of the three statements a new file sent, each a round trip (kb.models.savepoints.savepoint_if_sending).
    monkeypatch.setattr(reading, "READ_AHEAD_FROM", 2)
    folder = collection(tmp_path / "docs")

    def savepoints() -> int:
        with CaptureQueriesContext(connection) as queries:
            import_paths([folder])
        return sum(query["sql"].startswith("SAVEPOINT") for query in queries)

    assert savepoints() == 0
    third = folder / "m-runbook-3.md"
    third.write_text(third.read_text().replace("## Steps", "## Steps\nPage the `ledger-oncall` rotation first."))
    assert savepoints() == 11  # each of the 11 stored files reads its document first (the broken one is not read)
    assert "ledger-oncall" in Document.objects.get(identity="m-runbook-3.md").source_text


# After the runbook of its alert, which fails to save: named as plain text, as the early post-mortem names it.
STALL_POSTMORTEM = """# 2026-02-10 Ledger stalled again

## Summary
The pages said LedgerStall once more.
"""


def test_a_runbook_failing_to_save_leaves_its_alert_unknown_to_the_files_after_it_though_parsed_ahead(
    tmp_path, monkeypatch
):
    # The parsing process extracts each file's mentions with the alerts of the runbooks it read before; the
    # runbook's save fails, so the import does not know its alert, and the post-mortem after it is read again.
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a-runbook.md").write_text(RUNBOOK.format(alert="LedgerStall", n=7, day=7))
    (folder / "b-postmortem.md").write_text(STALL_POSTMORTEM)
    saving_fails_for(monkeypatch, "a-runbook.md")
    monkeypatch.setattr(reading, "READ_AHEAD_FROM", 2)
    monkeypatch.setattr(reading, "SHARED_BELOW_BATCHES", 0)  # the parsing process extracts every file
    assert import_paths([folder]).summary() == "1 created (1 post-mortem), 0 updated, 0 unchanged, 0 skipped, 1 failed"
    parsed_ahead = stored()

    forget_everything()
    monkeypatch.setattr(reading, "READ_AHEAD_FROM", 1000)
    import_paths([folder])
    assert parsed_ahead["mentions"] == stored()["mentions"]
    assert "LedgerStall" not in {name for _, name, *_ in parsed_ahead["mentions"]}


@pytest.mark.skipif(not hasattr(fcntl, "F_SETPIPE_SZ"), reason="a pipe's size is set on Linux only")
def test_the_parsing_process_s_results_wait_for_the_reader_in_the_pipe_not_in_the_process():
    # Eight results of 60 KB, as large as an import's readings: with Linux's default pipe (64 KiB) the process's
    # queue thread held all but the first, to be written as the reader took each, after waiting for its process's GIL.
    assert 8 * 60_000 < forked.PIPE_BYTES  # all of them fit in the pipe
    before = set(multiprocessing.active_children())
    with mapped_in_process(lambda n: bytes([n]) * 60_000, list(range(8)), ahead=8) as results:
        deadline = time.monotonic() + 60
        # Nothing read yet: the process can end only once every result is in the pipe.
        while set(multiprocessing.active_children()) - before:
            assert time.monotonic() < deadline, "the process still holds results the pipe had no room for"
            time.sleep(0.01)
        assert [result[:1] for result in results] == [bytes([n]) for n in range(8)]


def test_the_parsing_process_leaves_the_work_to_a_waiting_reader_and_does_it_for_a_busy_one(tmp_path):
    room_full = tmp_path / "room-full"

    def upper(item: str) -> str:
        if item == "f":  # the sixth item, the last the room holds before the reader takes one
            room_full.touch()
        return item.upper()

    with mapped_in_process(upper, list("abcdefghij"), ahead=6, lighter=str.lower, lighter_below=3) as results:
        # The reader busy until the process has filled its room: three waiting, then three more.
        deadline = time.monotonic() + 60
        while not room_full.exists():
            assert time.monotonic() < deadline, "the process never filled its room"
            time.sleep(0.01)
        assert [next(results) for _ in range(6)] == list("abcDEF")
        # The rest as the reader takes them: the lighter or the whole, each the value of its item.
        assert [result.lower() for result in results] == list("ghij")
