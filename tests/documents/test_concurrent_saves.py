"""Two saves from the same version at the same moment: one is written, the other is refused
with VersionConflict (never a lost update, never a "database is locked" error)."""

import json
import os
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

RACE = """
import json, os, sys, threading
from io import StringIO
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from kb.documents.saving import VersionConflict, document_save
from kb.models import Runbook
from kb.markdown.parsing import parse_document

call_command("migrate", verbosity=0)
call_command("import_docs", sys.argv[1], stdout=StringIO())
outcomes = []
for trial in range(5):
    runbook = Runbook.objects.get()
    start = threading.Barrier(2)
    results = {}

    def save(who):
        text = runbook.source_text + f"\\n{who} {trial}\\n"
        start.wait()
        try:
            document_save(parse_document(text, runbook.identity), identity=runbook.identity, source_path="",
                          source_text=text, reason=who, expected_version=runbook.version)
            results[who] = "saved"
        except VersionConflict:
            results[who] = "refused"
        except Exception as exc:
            results[who] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(who,)) for who in ("ada", "bob")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    outcomes.append(sorted(results.values()))
print(json.dumps({"outcomes": outcomes, "version": Runbook.objects.get().version}))
"""


def test_on_an_sqlite_file_racing_saves_queue_and_the_second_is_refused(seeds, tmp_path):
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
    }
    run = subprocess.run(
        [sys.executable, "-c", RACE, str(seeds)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"outcomes": [["refused", "saved"]] * 5, "version": 6}


@pytest.mark.django_db(transaction=True)
def test_on_the_test_database_racing_saves_write_one_and_refuse_the_other(seeds):
    if connection.vendor == "sqlite":
        pytest.skip(
            "the in-memory SQLite test database shares one cache between threads, which answers "
            "'table is locked' instead of waiting; the SQLite file test above covers SQLite"
        )
    from kb.documents.saving import VersionConflict, document_save
    from kb.markdown.parsing import parse_document
    from kb.models import Runbook

    call_command("import_docs", str(seeds), stdout=StringIO())
    runbook = Runbook.objects.get()
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(who: str) -> None:
        text = runbook.source_text + f"\nEdited by {who}.\n"
        start.wait()
        try:
            document_save(
                parse_document(text, runbook.identity),
                identity=runbook.identity,
                source_path=runbook.source_path,
                source_text=text,
                reason=who,
                edited_on_web=True,
                expected_version=runbook.version,
            )
            outcomes[who] = "saved"
        except VersionConflict:
            outcomes[who] = "refused"
        except Exception as exc:  # noqa: BLE001  (shown by the assertion)
            outcomes[who] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(who,)) for who in ("ada", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["refused", "saved"], outcomes
    winner = next(who for who, outcome in outcomes.items() if outcome == "saved")
    stored = Runbook.objects.get()
    assert stored.version == 2 and stored.source_text.endswith(f"Edited by {winner}.\n")
