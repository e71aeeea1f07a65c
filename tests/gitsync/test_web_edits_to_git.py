"""KB_GIT_COMMIT / KB_GIT_PUSH: an edit saved on the web reaches the repository with the editor as its
author, and a file changed upstream meanwhile is reported, never overwritten."""

from io import StringIO

import pytest
from django.core.management import call_command

from kb.models import GitSync, Runbook
from tests.gitsync.conftest import RUNBOOK, git

pytestmark = pytest.mark.django_db


@pytest.fixture
def editing(populated, settings, editor):
    settings.KB_GIT_COMMIT = settings.KB_GIT_PUSH = True
    call_command("sync_git", stdout=StringIO())
    editor.first_name, editor.last_name, editor.email = "Erin", "Editor", "erin@example.org"
    editor.save()
    return populated


def edit(client, editor, runbook: Runbook, text: str):
    client.force_login(editor)
    return client.post(
        f"/runbooks/{runbook.slug}/edit/", {"text": text, "version": runbook.version, "reason": "escalation added"}
    )


def upstream_file(upstream, path: str) -> str:
    return git(upstream.bare, "show", f"main:{path}")


def test_a_web_edit_is_committed_and_pushed_with_the_editor_as_author(client, editing, editor):
    runbook = Runbook.objects.get(alert__name="DiskFull")
    text = runbook.source_text + "\n## Escalation\nPage the storage team.\n"
    response = edit(client, editor, runbook, text)
    assert response.status_code == 302
    assert "Page the storage team." in upstream_file(editing, "runbooks/DiskFull.md")
    log = git(editing.bare, "log", "-1", "--format=%an <%ae>|%cn|%s", "main")
    assert log == "Erin Editor <erin@example.org>|Knowledge base|Disk on the ingress (DiskFull): escalation added\n"
    revision = runbook.revisions.order_by("-number").first()
    assert revision.git_commit == git(editing.bare, "rev-parse", "main").strip() and not revision.git_problem
    # The next sync finds its own commit and changes nothing.
    call_command("sync_git", stdout=StringIO())
    assert runbook.revisions.count() == 2 and GitSync.objects.first().unchanged == 1


def test_an_edit_of_a_file_changed_upstream_is_reported_and_git_keeps_its_version(client, editing, editor):
    runbook = Runbook.objects.get(alert__name="DiskFull")
    editing.write("runbooks/DiskFull.md", RUNBOOK.format(alert="DiskFull") + "\nUpstream change.\n")
    editing.commit("DiskFull: upstream change")
    response = edit(client, editor, runbook, runbook.source_text + "\nWeb change.\n")
    assert response.status_code == 302
    assert "Upstream change." in upstream_file(editing, "runbooks/DiskFull.md")
    assert "Web change." not in upstream_file(editing, "runbooks/DiskFull.md")
    page = client.get(response.url).content.decode()
    assert "Not in Git:" in page and "runbooks/DiskFull.md changed in Git since" in page
    record = GitSync.objects.first()
    assert (record.action, record.outcome, record.document_id) == ("commit", "conflict", runbook.pk)
    # The web text is kept as a revision: nothing is lost when the next sync brings Git's version.
    assert "Web change." in runbook.revisions.order_by("-number").first().source_text


def test_a_runbook_written_on_the_web_becomes_a_new_file(client, editing, editor):
    client.force_login(editor)
    text = RUNBOOK.format(alert="NodeNotReady")
    response = client.post("/runbooks/new/?alert=NodeNotReady", {"text": text, "version": 0, "reason": "new"})
    assert response.status_code == 302
    created = Runbook.objects.get(alert__name="NodeNotReady")
    assert "NodeNotReady" in upstream_file(editing, created.revisions.get().git_path)
    call_command("sync_git", stdout=StringIO())
    assert Runbook.objects.filter(alert__name="NodeNotReady").count() == 1


def test_without_push_the_commit_waits_on_a_local_branch(client, editing, editor, settings):
    settings.KB_GIT_PUSH = False
    runbook = Runbook.objects.get(alert__name="DiskFull")
    edit(client, editor, runbook, runbook.source_text + "\nLocal only.\n")
    assert "Local only." not in upstream_file(editing, "runbooks/DiskFull.md")
    cache = settings.KB_GIT_CACHE
    assert "Local only." in git(cache, "show", "kb-web-edits:runbooks/DiskFull.md")


def test_web_edits_stay_out_of_git_unless_asked(client, populated, editor, settings):
    call_command("sync_git", stdout=StringIO())
    runbook = Runbook.objects.get(alert__name="DiskFull")
    head = git(populated.bare, "rev-parse", "main")
    edit(client, editor, runbook, runbook.source_text + "\nNot for Git.\n")
    assert git(populated.bare, "rev-parse", "main") == head
    assert not GitSync.objects.filter(action="commit").exists()
