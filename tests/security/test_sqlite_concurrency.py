"""A SQLite file written at once by an import, web edits and the webhook, each in its own process:
no write lost, no "database is locked", `PRAGMA integrity_check` ok."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRITER = Path(__file__).with_name("sqlite_writers.py")
N = int(os.environ.get("KB_SQLITE_WRITES", "20"))
RUNBOOK = "# Disk full (NodeDiskFull)\n\n## Fix\n\nGrow the volume.\n"


# The file is SQLite whatever the suite runs on: once is enough (bin/test-all runs it on the SQLite pass).
pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="a SQLite file; run in the SQLite pass"
)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> tuple[dict, Path]:
    folder = tmp_path_factory.mktemp("sqlite-writers")
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{folder / 'kb.sqlite3'}",
        "DJANGO_DEBUG": "True",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "KB_ALERTMANAGER_TOKEN": "concurrent-writers-token-0123456789",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    (folder / "docs").mkdir()
    (folder / "docs" / "disk.md").write_text(RUNBOOK)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "import_docs", str(folder / "docs")], env=env, cwd=ROOT, check=True, capture_output=True)
    return env, folder


def test_concurrent_writers_lose_nothing_and_leave_the_file_sound(database):
    env, folder = database
    (folder / "notes").mkdir()
    runs = {
        kind: subprocess.Popen(
            [sys.executable, str(WRITER), kind, str(N if kind != "imports" else N // 5), str(folder / "notes")],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for kind in ("webhook", "edits", "imports")
    }
    results = {}
    for kind, process in runs.items():
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, f"{kind}: {err[-2000:]}"
        assert "database is locked" not in out + err
        results[kind] = json.loads(out.strip().splitlines()[-1])
    assert results["webhook"]["failed"] == []
    assert results["imports"]["failed"] == []
    db = sqlite3.connect(folder / "kb.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    incidents = db.execute("SELECT count(*) FROM kb_incident WHERE fingerprint LIKE 'c0ffee%'").fetchone()[0]
    assert incidents == N
    revisions = db.execute(
        "SELECT count(*) FROM kb_revision r JOIN kb_document d ON d.id = r.document_id WHERE d.identity = 'disk.md'"
    ).fetchone()[0]
    assert revisions == 1 + results["edits"]["saved"] and results["edits"]["saved"] == N
    text = db.execute("SELECT source_text FROM kb_document WHERE identity = 'disk.md'").fetchone()[0]
    assert all(f"Edit {i}." in text for i in range(N))
    notes = db.execute("SELECT count(*) FROM kb_document WHERE identity LIKE 'note-%'").fetchone()[0]
    assert notes == 5
