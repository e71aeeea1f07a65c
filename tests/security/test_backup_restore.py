"""`manage.py backup DIR` then `manage.py restore DIR` into an empty database gives back the same
number of every record and byte-identical document sources (run on both engines by bin/test-all)."""

from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import CommandError, call_command

from kb.authoring.saving import runbook_save
from kb.models import ApiToken, Document, Runbook

pytestmark = pytest.mark.django_db(transaction=True)

MODELS = [*apps.get_app_config("kb").get_models(), apps.get_model("auth.User"), LogEntry]


def counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in MODELS}


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def knowledge(imported, editor, admin_user):
    """The seeds, a web edit with its author, an API token and an admin log entry."""
    runbook = Runbook.objects.get()
    runbook_save(
        text=runbook.source_text + "\n## Also\n\nCheck the node.\n",
        runbook=runbook,
        expected_version=runbook.version,
        author=editor,
    )
    ApiToken.issue(user=editor, name="bot")
    LogEntry.objects.log_actions(user_id=admin_user.pk, queryset=[runbook], action_flag=CHANGE, change_message="x")


def test_a_restore_into_an_empty_database_gives_back_every_record_and_source(knowledge, tmp_path):
    before, sources = counts(), {d.identity: d.source_text for d in Document.objects.all()}
    assert before["kb.Revision"] == 3 and before["kb.ApiToken"] == 1 and before["kb.SearchEntry"] > 0
    call_command("backup", str(tmp_path / "backup"), stdout=StringIO())
    call_command("flush", interactive=False, verbosity=0)
    assert Document.objects.count() == 0
    out = StringIO()
    call_command("restore", str(tmp_path / "backup"), stdout=out)
    assert "restored 2 documents, 2 incidents" in out.getvalue()
    assert counts() == before
    assert {d.identity: d.source_text for d in Document.objects.all()} == sources
    call_command("export_docs", str(tmp_path / "again"), "--include-archived", stdout=StringIO())
    assert files(tmp_path / "again") == files(tmp_path / "backup" / "documents")
    assert Runbook.objects.get().revisions.get(number=2).author.username == "erin"
    assert ApiToken.objects.get().user.username == "erin"


def test_restore_refuses_a_database_that_is_not_empty(knowledge, tmp_path):
    call_command("backup", str(tmp_path / "backup"), stdout=StringIO())
    with pytest.raises(CommandError, match="already holds documents"):
        call_command("restore", str(tmp_path / "backup"))


def test_backup_never_overwrites_and_restore_names_what_is_missing(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(CommandError, match="must be an empty folder"):
        call_command("backup", str(tmp_path / "full"))
    with pytest.raises(CommandError, match="data.json is missing"):
        call_command("restore", str(tmp_path / "nothing"))
