"""manage.py sync_git against real repositories: what a push changes is what the knowledge base changes."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kb.models import Document, GitSync, PostMortem, Runbook
from tests.gitsync.conftest import RUNBOOK, git

pytestmark = pytest.mark.django_db


def sync() -> str:
    out = StringIO()
    call_command("sync_git", stdout=out)
    return out.getvalue()


def test_the_first_sync_imports_every_document_of_the_repository(populated):
    output = sync()
    assert "first sync" in output
    assert set(Runbook.objects.values_list("alert__name", flat=True)) == {"CertificateExpiringSoon", "DiskFull"}
    assert PostMortem.objects.get().severity == "SEV2"
    record = GitSync.objects.get()
    assert (record.outcome, record.created, record.full_comparison) == ("succeeded", 3, True)
    head = populated.run("rev-parse", "HEAD").strip()
    assert record.commit == head
    revision = Runbook.objects.get(alert__name="DiskFull").revisions.get()
    assert (revision.git_commit, revision.git_path) == (head, "runbooks/DiskFull.md")


def test_a_second_sync_imports_only_the_file_that_changed(populated):
    sync()
    populated.write("runbooks/DiskFull.md", RUNBOOK.format(alert="DiskFull") + "\n## Escalation\nPage storage.\n")
    head = populated.commit("DiskFull: escalation")
    sync()
    record = GitSync.objects.first()
    assert (record.full_comparison, record.created, record.updated, record.unchanged) == (False, 0, 1, 0)
    disk = Runbook.objects.get(alert__name="DiskFull")
    assert "Page storage." in disk.source_text
    assert list(disk.revisions.values_list("number", "git_commit")) == [(1, record.previous_commit), (2, head)]
    assert Runbook.objects.get(alert__name="CertificateExpiringSoon").revisions.count() == 1


def test_a_renamed_file_moves_its_document_and_keeps_its_history(populated):
    sync()
    before = Runbook.objects.get(alert__name="DiskFull")
    populated.move("runbooks/DiskFull.md", "runbooks/storage/DiskFull.md")
    head = populated.commit("runbooks: storage folder")
    sync()
    after = Runbook.objects.get(alert__name="DiskFull")
    assert (after.pk, after.slug, after.archived) == (before.pk, before.slug, False)
    assert after.identity == "runbooks/storage/DiskFull.md"
    assert GitSync.objects.first().renamed == 1
    assert after.revisions.get().git_path == "runbooks/storage/DiskFull.md"
    assert after.revisions.get().git_commit == head


def test_a_deleted_file_archives_its_document_and_deletes_nothing(populated):
    sync()
    populated.run("rm", "--quiet", "postmortems/2026-03-02-dns-outage.md")
    populated.commit("the DNS post-mortem moved to the wiki")
    sync()
    postmortem = PostMortem.objects.get()
    assert postmortem.archived
    assert postmortem.revisions.count() == 1
    assert GitSync.objects.first().archived == 1


def test_a_force_push_is_compared_file_by_file_and_loses_nothing(populated):
    sync()
    populated.write("runbooks/NodeDown.md", RUNBOOK.format(alert="NodeDown"))
    populated.commit("NodeDown")
    sync()
    disk = Runbook.objects.get(alert__name="DiskFull")
    # History rewritten: NodeDown never happened, DiskFull moved, the post-mortem is gone, the certificate
    # runbook changed.
    populated.run("reset", "--quiet", "--hard", "HEAD~1")
    populated.move("runbooks/DiskFull.md", "runbooks/storage/DiskFull.md")
    populated.run("rm", "--quiet", "postmortems/2026-03-02-dns-outage.md")
    populated.write("runbooks/CertificateExpiringSoon.md", RUNBOOK.format(alert="CertificateExpiringSoon") + "\nv2\n")
    populated.commit("rewritten", push=False)
    populated.run("push", "--quiet", "--force", "origin", "main")
    output = sync()
    assert "not an ancestor" in output
    record = GitSync.objects.first()
    assert (record.outcome, record.full_comparison, record.updated, record.archived) == ("succeeded", True, 1, 2)
    assert set(Document.objects.filter(archived=True).values_list("title", flat=True)) == {
        "Certificate expiring on the ingress (NodeDown)",
        "Post-mortem: 2026-03-02 DNS outage",
    }
    assert Document.objects.count() == 4
    # A file found elsewhere with the same text is the same document, moved with its history.
    moved = Runbook.objects.get(alert__name="DiskFull")
    assert (moved.pk, moved.identity, moved.archived) == (disk.pk, "runbooks/storage/DiskFull.md", False)
    assert moved.revisions.get().git_path == "runbooks/storage/DiskFull.md"
    assert moved.revisions.get().git_commit == record.commit
    assert "v2" in Runbook.objects.get(alert__name="CertificateExpiringSoon").source_text


def test_a_failed_sync_keeps_the_last_good_state_and_says_why(populated, settings, client, admin_user):
    sync()
    good = GitSync.objects.get()
    settings.KB_GIT_URL = str(populated.bare.with_name("gone.git"))
    with pytest.raises(CommandError, match="sync failed: git fetch failed"):
        sync()
    failed = GitSync.objects.first()
    assert failed.outcome == "failed" and "stay as synced from" in failed.message
    assert Document.objects.filter(archived=False).count() == 3
    # Pointed back at the repository, the next sync starts from the last good commit, not from scratch.
    settings.KB_GIT_URL = str(populated.bare)
    populated.write("runbooks/NodeDown.md", RUNBOOK.format(alert="NodeDown"))
    populated.commit("NodeDown")
    sync()
    latest = GitSync.objects.first()
    assert (latest.previous_commit, latest.full_comparison, latest.created) == (good.commit, False, 1)


def test_it_refuses_to_run_without_a_repository(settings):
    settings.KB_GIT_URL = ""
    with pytest.raises(CommandError, match="set KB_GIT_URL"):
        sync()


def test_only_the_configured_folders_are_synced_with_identities_relative_to_them(populated, settings):
    settings.KB_GIT_PATHS = ["runbooks"]
    sync()
    assert set(Document.objects.values_list("identity", flat=True)) == {"CertificateExpiringSoon.md", "DiskFull.md"}
    populated.write("postmortems/2026-04-01-other.md", "# Post-mortem: another\n\n## Summary\nx\n")
    populated.write("runbooks/NodeDown.md", RUNBOOK.format(alert="NodeDown"))
    populated.commit("two more")
    sync()
    assert Document.objects.count() == 3


def test_a_sync_while_another_runs_is_left_as_a_request_that_the_next_run_answers(populated):
    from kb.gitsync.syncing import GitConfig, git_lock, git_sync

    running = git_lock(action="sync", trigger="elsewhere", config=GitConfig.from_settings())
    assert git_sync(trigger="webhook").outcome == "pending"
    assert git_lock(action="commit", trigger="edit", config=GitConfig.from_settings()) is None
    assert not Document.objects.exists()
    running.delete()
    assert git_sync(trigger="sync_git").outcome == "succeeded"
    assert list(GitSync.objects.values_list("action", "outcome")) == [("sync", "succeeded")]


def test_a_push_recorded_while_a_sync_runs_makes_that_sync_fetch_once_more(populated):
    from datetime import timedelta

    from django.utils import timezone

    # As the webhook leaves it when the lock is taken, arriving after the running sync has fetched.
    GitSync.objects.create(
        action="request", outcome="pending", trigger="webhook (gitea)", started_at=timezone.now() + timedelta(minutes=1)
    )
    sync()
    runs = list(GitSync.objects.order_by("id").values_list("action", "trigger", "outcome"))
    assert runs == [("sync", "sync_git", "succeeded"), ("sync", "requested: webhook (gitea)", "succeeded")]


def test_git_is_never_given_the_token_in_a_message(populated, settings):
    settings.KB_GIT_URL = "https://kb:s3cret-token@127.0.0.1:9/org/repo.git"
    with pytest.raises(CommandError) as raised:
        sync()
    assert "s3cret" not in str(raised.value) and "s3cret" not in GitSync.objects.first().message
    assert git(populated.work, "status", "--short") == ""
