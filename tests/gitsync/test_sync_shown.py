"""What a sync leaves for people to see: the document's file in the forge, the admin's record of each
sync, a line on /insights/ for staff, and Prometheus' gauges."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kb.models import Runbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(populated):
    call_command("sync_git", stdout=StringIO())
    return populated


def test_the_document_page_links_to_its_file_at_the_synced_commit(client, synced):
    head = synced.run("rev-parse", "HEAD").strip()
    page = client.get(Runbook.objects.get(alert__name="DiskFull").get_absolute_url()).content.decode()
    assert f'href="https://git.example.org/ops/runbooks/src/commit/{head}/runbooks/DiskFull.md"' in page
    postmortem = client.get("/postmortems/2026-03-02-dns-outage/").content.decode()
    assert f"/src/commit/{head}/postmortems/2026-03-02-dns-outage.md" in postmortem


@pytest.mark.parametrize(
    "template, expected",
    [
        (
            "https://github.com/ops/runbooks/blob/{commit}/{path}",
            "https://github.com/ops/runbooks/blob/{}/runbooks/Disk%20Full.md",
        ),
        (
            "https://gitlab.com/ops/runbooks/-/blob/{commit}/{path}",
            "https://gitlab.com/ops/runbooks/-/blob/{}/runbooks/Disk%20Full.md",
        ),
    ],
)
def test_the_link_follows_the_forge_template(settings, template, expected):
    from kb.gitsync.links import GitPlace

    settings.KB_GIT_WEB_URL = template
    assert GitPlace("abc123", "runbooks/Disk Full.md", "").url == expected.format("abc123")


def test_without_a_forge_template_the_page_names_the_commit(client, synced, settings):
    settings.KB_GIT_WEB_URL = ""
    head = synced.run("rev-parse", "HEAD").strip()
    page = client.get(Runbook.objects.get(alert__name="DiskFull").get_absolute_url()).content.decode()
    assert f"<code>runbooks/DiskFull.md</code> at <code>{head[:12]}</code>" in page


def test_a_failed_sync_is_said_in_the_admin_on_insights_for_staff_and_in_metrics(client, admin_user, synced, settings):
    samples = metrics(client)
    assert samples["kb_git_sync_last_success"] == 1 and samples["kb_git_sync_last_timestamp_seconds"] > 0
    settings.KB_GIT_URL = "/nonexistent/runbooks.git"
    with pytest.raises(CommandError):
        call_command("sync_git", stdout=StringIO())
    assert metrics(client)["kb_git_sync_last_success"] == 0
    assert "Git sync" not in client.get("/insights/").content.decode()
    client.force_login(admin_user)
    insights = client.get("/insights/").content.decode()
    assert "Git sync failed" in insights and "/nonexistent/runbooks.git" in insights
    admin = client.get("/admin/kb/gitsync/").content.decode()
    assert "Failed" in admin and "Succeeded" in admin


def metrics(client) -> dict[str, float]:
    text = client.get("/metrics").content.decode()
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line.startswith("kb_git_sync_")}
