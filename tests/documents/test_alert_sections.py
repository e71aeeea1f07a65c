"""A file with many alerts imports as one runbook per alert section, each at its own URL; stubs lead
to the real runbook; review dates are kept. Fixtures: tests/fixtures/runbooks/."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from kb.models import Runbook

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runbooks"


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    for name in ("playbooks.md", "queue-alerts.html.md"):
        shutil.copy(FIXTURES / name, root / name)
    return root


def test_every_alert_of_a_playbooks_file_has_its_own_runbook_and_url(folder, client):
    out = run("import_docs", folder)
    assert "4 alert runbooks (4 created)" in out
    for alert in ("QueueBacklogHigh", "QueueConsumerCrashLooping", "QueueDeadLetterGrowing", "OrdersQueueSlow"):
        runbook = client.get(f"/api/alerts/{alert}").json()["runbook"]
        assert runbook["alert"] == alert
        assert client.get(f"/alerts/{alert}/").url == runbook["url"].removeprefix("http://testserver")
    detail = client.get("/api/runbooks/queuedeadlettergrowing").json()
    assert detail["anchor"] == "queuedeadlettergrowing"
    assert detail["source_path"].endswith("playbooks.md")
    assert [s["heading"] for s in client.get("/api/runbooks/queuebackloghigh").json()["sections"]] == [
        "When the consumers are healthy"
    ]


def test_an_alert_runbook_page_links_to_its_section_of_the_file(folder, client):
    run("import_docs", folder)
    page = client.get("/runbooks/queueconsumercrashlooping/").content.decode()
    assert 'href="/notes/playbooks/#queueconsumercrashlooping">Queue playbooks</a>' in page
    assert "pod restarts over and over. Read its last logs:" in page
    assert "Read one and fix" not in page  # the next alert's section is not part of it
    dead_letter = client.get("/runbooks/queuedeadlettergrowing/").content.decode()
    link = "/resolve/?ref=playbooks.md&amp;from=playbooks.md#resizing-the-queue-volume"
    assert f'href="{link}"' in dead_letter
    assert client.get(link.replace("&amp;", "&")).url == "/notes/playbooks/"


def test_a_same_as_stub_answers_with_the_runbook_it_names(folder, client):
    run("import_docs", folder)
    answer = client.get("/api/alerts/QueueBacklogCritical").json()
    assert answer["runbook"]["alert"] == "QueueBacklogHigh"
    assert [r["stub_of"] for r in answer["runbooks"]] == ["QueueBacklogHigh"]
    assert 'see <a href="/alerts/QueueBacklogHigh/">' in client.get("/runbooks/queuebacklogcritical/").content.decode()


def test_a_stub_file_never_ties_with_the_real_runbook_of_its_alert(tmp_path, client):
    (tmp_path / "DiskFull.md").write_text("# DiskFull\n\nThis alert has been moved to [NodeDiskFull](disk.md).\n")
    (tmp_path / "disk.md").write_text("# Disk full (DiskFull)\n\n## Mitigation\n\nGrow the volume.\n")
    run("import_docs", tmp_path)
    assert Runbook.objects.filter(alert__name="DiskFull").count() == 2
    assert client.get("/api/alerts/DiskFull").json()["runbook"]["slug"] == "disk"
    assert client.get("/alerts/DiskFull/").url == "/runbooks/disk/"


def test_reimporting_changes_nothing_and_a_vanished_alert_section_is_archived(folder, client):
    run("import_docs", folder)
    again = run("import_docs", folder)
    assert again.strip().splitlines()[-1] == "0 created, 0 updated, 2 unchanged, 0 skipped, 0 failed"
    assert Runbook.objects.get(slug="queuebackloghigh").revisions.count() == 1

    playbooks = folder / "playbooks.md"
    text = playbooks.read_text()
    start, end = text.index("### QueueDeadLetterGrowing"), text.index("## Manual procedures")
    playbooks.write_text(text[:start] + text[end:])
    out = run("import_docs", folder)
    assert "3 unchanged, 1 archived" in out
    assert Runbook.objects.get(slug="queuedeadlettergrowing").archived
    assert client.get("/api/alerts/QueueDeadLetterGrowing").json()["runbook"] is None
    assert client.get("/api/alerts/QueueConsumerCrashLooping").json()["runbook"] is not None


def test_prune_keeps_the_alert_runbooks_of_a_file_that_is_still_there(folder):
    run("import_docs", folder)
    out = run("import_docs", folder, "--prune")
    assert "archived" not in out.strip().splitlines()[-1]
    assert not Runbook.objects.filter(archived=True).exists()


def test_review_dates_are_kept_shown_and_given_by_the_api(folder, client):
    run("import_docs", folder)
    detail = client.get("/api/runbooks/ordersqueuestalled").json()
    assert (detail["last_reviewed_on"], detail["review_in"]) == ("2026-04-01", "6 months")
    page = client.get(Runbook.objects.get(slug="ordersqueuestalled").get_absolute_url()).content.decode()
    assert 'Last reviewed on <time datetime="2026-04-01">1 April 2026</time> (next review in 6 months).' in page


def test_an_export_writes_a_file_with_many_alerts_once_byte_for_byte(folder, tmp_path):
    run("import_docs", folder)
    run("export_docs", tmp_path / "out")
    written = sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == ["playbooks.md", "queue-alerts.html.md"]
    assert (tmp_path / "out" / "playbooks.md").read_bytes() == (folder / "playbooks.md").read_bytes()


def test_every_alert_of_a_check_page_is_reachable_and_the_rest_is_a_note(tmp_path, client):
    alerts = tmp_path / "alerts"
    alerts.mkdir()
    shutil.copy(FIXTURES / "low-free-memory.html.md", alerts / "low-free-memory.html.md")
    out = run("import_docs", tmp_path)
    assert "1 created (1 note)" in out and "2 alert runbooks (2 created)" in out
    for alert in ("Low free memory on the cache hosts", "Low free memroy on /srv/search for search-1 and search-2"):
        answer = client.get(f"/api/alerts/{alert}").json()
        assert answer["runbook"]["alert"] == alert
    [listed] = client.get("/api/notes").json()["results"]
    note = client.get(f"/api/notes/{listed['slug']}").json()
    assert [s["heading"] for s in note["sections"]] == [
        "Swap in use on a database host",
        "Finding what uses the memory",
    ]
    page = client.get("/runbooks/low-free-memory-on-the-cache-hosts/").content.decode()
    assert f'href="{listed["url"].removeprefix("http://testserver")}#low-free-memory-on-the-cache-hosts"' in page
