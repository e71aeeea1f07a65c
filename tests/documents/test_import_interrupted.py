"""An import stopped with Ctrl-C (SIGINT) leaves every document whole: files are written in batches, a
transaction each, and a file is reported once its batch is committed, so a document is either stored
with its sections, search rows, mentions and revision, or not at all. Enough files that the import
parses ahead in a second process, which the signal stops too."""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = 80  # over READ_AHEAD_FROM, and three batches

RUNBOOK = """# Disk {n} filling up (NodeDiskFilling{n})

## Alert

`NodeDiskFilling{n}` fires when the root disk of node `worker-{n}.example.org` is over 90%.

## Mitigation

1. Find the largest directories: `du -xh / | sort -h | tail`.
2. Clean the journal: `journalctl --vacuum-size=500M`.

## Resolution History

| Date | Incident | Change |
|---|---|---|
| 2026-02-{day:02d} | #{n} | journal capped at 500M |
"""


def manage(*args: str, database: Path, **popen) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": "interrupted-import-test",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "PYTHONUNBUFFERED": "1",  # each line as it is written: the signal goes mid-import
    }
    # A job started in the background by a shell ignores SIGINT, and so would the import: restore it.
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **popen,
    )


@pytest.mark.skipif("postgresql" in os.environ.get("DATABASE_URL", ""), reason="runs on its own SQLite file once")
def test_an_import_interrupted_by_ctrl_c_leaves_no_half_written_document(tmp_path):
    database = tmp_path / "kb.sqlite3"
    assert manage("migrate", "--no-input", database=database).wait(timeout=300) == 0
    folder = tmp_path / "runbooks"
    folder.mkdir()
    for n in range(FILES):
        (folder / f"disk-{n}.md").write_text(RUNBOOK.format(n=n, day=1 + n % 28))

    importing = manage("import_docs", str(folder), database=database, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    created = 0
    for line in importing.stdout:
        created += line.startswith("created")
        if created == 5:
            importing.send_signal(signal.SIGINT)
            break
    importing.stdout.read()
    assert importing.wait(timeout=120) != 0  # stopped, not finished

    db = sqlite3.connect(database)
    documents = db.execute("SELECT COUNT(*) FROM kb_document").fetchone()[0]
    assert 5 <= documents < FILES
    whole = """SELECT COUNT(*) FROM kb_document d WHERE
        EXISTS (SELECT 1 FROM kb_revision r WHERE r.document_id = d.id)
        AND (SELECT COUNT(*) FROM kb_section s WHERE s.document_id = d.id) = 3
        AND (SELECT COUNT(*) FROM kb_searchentry e WHERE e.document_id = d.id) = 4
        AND EXISTS (SELECT 1 FROM kb_resolutionentry h WHERE h.runbook_id = d.id)
        AND EXISTS (SELECT 1 FROM kb_mention m WHERE m.document_id = d.id AND m.subject)"""
    assert db.execute(whole).fetchone()[0] == documents
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # And the import started again finishes the rest.
    again = manage("import_docs", str(folder), database=database, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert again.wait(timeout=600) == 0
    assert db.execute("SELECT COUNT(*) FROM kb_document").fetchone()[0] == FILES
