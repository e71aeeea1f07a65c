"""The lists: runbooks by alert, post-mortems and incidents newest first, and one incident."""

import re
from datetime import UTC, datetime

import pytest

from kb.models import Alert, Document, Incident, IncidentStatus, Runbook
from tests.pages_support import save_document, save_runbook

pytestmark = pytest.mark.django_db


def save_postmortem(title: str, date: str, *, identity: str):
    return save_document(
        f"# Post-mortem: {title}\n\n**Date:** {date}\n\n## Summary\n\nIt broke.\n\n## Action items\n\n- [ ] Fix it\n",
        identity=identity,
    )


def test_runbooks_are_grouped_by_alert_with_free_form_ones_last(client):
    save_runbook("KubePodCrashLooping", {}, slug="crashloop", title="Pod crash looping")
    save_runbook("etcdNoLeader", {}, slug="etcd", title="etcd has no leader")
    save_runbook(
        "KubePodCrashLooping", {"namespace": "media"}, slug="crashloop-media", title="Media pods crash looping"
    )
    save_document("---\nkind: runbook\n---\n# Rotating certificates\n\n## Steps\n\nRotate.\n", identity="certs.md")
    html = client.get("/runbooks/").content.decode()
    assert html.index("<code>etcdNoLeader</code>") < html.index("<code>KubePodCrashLooping</code>")
    crash = html.index('id="alert-kubepodcrashlooping"')
    assert (
        crash
        < html.index("Media pods crash looping")
        < html.index("Pod crash looping")
        < html.index("Without an alert")
    )
    assert html.index("Without an alert") < html.index('<a href="/runbooks/certs/">Rotating certificates</a>')
    assert "namespace=<strong>media</strong>" in html


def test_postmortems_are_listed_newest_first(client):
    save_postmortem("Old outage", "2024-01-02", identity="old.md")
    save_postmortem("New outage", "2026-03-04", identity="new.md")
    save_document(
        "# Post-mortem: Undated outage\n\n## Summary\n\nSomething.\n\n## Timeline\n\nLater.\n", identity="undated.md"
    )
    html = client.get("/postmortems/").content.decode()
    assert html.index("New outage") < html.index("Old outage") < html.index("Undated outage")
    assert '<span class="badge status-open">1 open</span> of 1 follow-up' in html


def test_a_runbook_moves_in_the_list_when_its_alert_or_title_changes(client):
    save_runbook("ZfsPoolDegraded", {}, slug="zfs", title="ZFS pool degraded")
    save_runbook("backupJobFailed", {}, slug="backup", title="Backup failed")
    html = client.get("/runbooks/").content.decode()
    assert html.index("<code>backupJobFailed</code>") < html.index("<code>ZfsPoolDegraded</code>")
    save_runbook("AardvarkDiskFull", {}, slug="zfs", title="ZFS pool degraded")  # the same file, a new alert
    html = client.get("/runbooks/").content.decode()
    assert html.index("<code>AardvarkDiskFull</code>") < html.index("<code>backupJobFailed</code>")
    assert "ZfsPoolDegraded</code>" not in html
    assert client.get("/api/runbooks").json()["results"][0]["title"] == "ZFS pool degraded"


def test_a_save_of_some_fields_keeps_the_list_place_and_reads_nothing_for_it(django_assert_num_queries):
    # A Git move renames a document through its Document row, which knows no kind's rule for its place.
    save_runbook("ZfsPoolDegraded", {}, slug="zfs", title="ZFS pool degraded")
    place = Runbook.objects.get(slug="zfs").list_key
    moved = Document.objects.get(slug="zfs")
    moved.source_path = "/srv/runbooks/storage/zfs.md"
    with django_assert_num_queries(1):  # the update; no read of its alert for a key it does not write
        moved.save(update_fields=["source_path"])
    runbook = Runbook.objects.get(slug="zfs")
    with django_assert_num_queries(1):
        runbook.save(update_fields=["source_path"])
    assert (moved.list_key, runbook.list_key, Runbook.objects.get(slug="zfs").list_key) == (place, place, place)


def test_runbooks_move_in_the_list_when_their_alert_is_renamed_or_deleted_in_the_admin(admin_client, client):
    save_runbook("ZfsPoolDegraded", {}, slug="zfs", title="ZFS pool degraded")
    save_runbook("backupJobFailed", {}, slug="backup", title="Backup failed")
    alert = Alert.objects.get(name="ZfsPoolDegraded")
    form = {"name": "AaPoolDegraded", "incident_count": 0}
    assert admin_client.post(f"/admin/kb/alert/{alert.pk}/change/", form).status_code == 302
    assert [r["slug"] for r in client.get("/api/runbooks").json()["results"]] == ["zfs", "backup"]
    assert admin_client.post(f"/admin/kb/alert/{alert.pk}/delete/", {"post": "yes"}).status_code == 302
    html = client.get("/runbooks/").content.decode()
    assert html.index("<code>backupJobFailed</code>") < html.index("Without an alert") < html.index("ZFS pool degraded")


def test_the_pages_of_a_list_follow_each_other_without_a_gap_or_a_repeat(client, monkeypatch):
    monkeypatch.setattr("kb.views.documents.DOCUMENTS_PER_PAGE", 3)
    for n in range(7):  # same alert, same title: only the order of their writing tells them apart
        save_runbook("NodeNotReady", {"node": f"n{n}"}, slug=f"node-{n}", title="Node not ready")
    shown = []
    for page in (1, 2, 3):
        html = client.get(f"/runbooks/?page={page}").content.decode()
        shown += re.findall(r'href="/runbooks/(node-\d)/"', html)
    assert sorted(shown) == [f"node-{n}" for n in range(7)]


def test_a_post_mortem_moves_in_the_list_when_its_date_changes(client):
    save_postmortem("Disk outage", "2025-06-01", identity="disk.md")
    save_postmortem("DNS outage", "2025-07-01", identity="dns.md")
    assert client.get("/api/postmortems").json()["results"][0]["title"].endswith("DNS outage")
    save_postmortem("Disk outage", "2025-08-01", identity="disk.md")
    html = client.get("/postmortems/").content.decode()
    assert html.index("Disk outage") < html.index("DNS outage")


def test_notes_are_listed_by_title_regardless_of_case(client):
    for title in ("zfs scrub schedule", "Backups", "alerting overview"):
        save_document(f"---\nkind: note\n---\n# {title}\n\nText.\n", identity=f"{title}.md")
    html = client.get("/notes/").content.decode()
    assert html.index("alerting overview") < html.index("Backups") < html.index("zfs scrub schedule")


def test_incidents_are_listed_newest_first(client):
    alert = Alert.objects.create(name="TraefikHighErrorRate")
    Incident.objects.create(
        title="Earlier", alert=alert, started_at=datetime(2026, 1, 1, tzinfo=UTC), status=IncidentStatus.RESOLVED
    )
    Incident.objects.create(
        title="Later", alert=alert, started_at=datetime(2026, 6, 1, tzinfo=UTC), status=IncidentStatus.FIRING
    )
    html = client.get("/incidents/").content.decode()
    assert html.index("Later") < html.index("Earlier")
    assert '<span class="badge status-firing">Firing</span>' in html


def test_an_incident_page_links_its_alert_with_labels_and_the_documents_that_name_it(client, seeds):
    runbook = save_document((seeds / "velero-oomkilled.txt").read_text(), identity="velero.md")
    incident = Incident.objects.get(reference="#236")
    incident.labels = {"namespace": "velero", "container": "velero"}
    incident.save()
    html = client.get("/incidents/236/").content.decode()
    assert f'<a class="button" href="{runbook.get_absolute_url()}?container=velero&amp;namespace=velero">' in html
    assert f'<a href="{runbook.get_absolute_url()}">{runbook.title}</a>' in html
    assert "<code>512Mi</code> → <code>1Gi</code>" in html
    assert '<p class="fix">Killed twice near the end of the nightly kopia run, ~3.5 days after a restart</p>' in html


def test_an_unknown_incident_is_a_404(client):
    assert client.get("/incidents/999999/").status_code == 404
    assert client.get("/incidents/abc/").status_code == 404


def test_the_lists_take_two_queries_each(client, seeds, django_assert_num_queries):
    save_document((seeds / "velero-oomkilled.txt").read_text(), identity="velero.md")
    save_runbook("Other", {"job": "x"}, slug="other")
    save_postmortem("Old outage", "2024-01-02", identity="old.md")
    save_postmortem("New outage", "2026-03-04", identity="new.md")
    # the keys of the page's runbooks in their order, then those runbooks with their alerts
    with django_assert_num_queries(2):
        client.get("/runbooks/")
    # the keys of the page's post-mortems, then those post-mortems with their follow-up counts
    with django_assert_num_queries(2):
        client.get("/postmortems/")
    # this page of them with alert, runbook and post-mortem, and one more row: is there another page? (never a count)
    with django_assert_num_queries(1):
        client.get("/incidents/")
    # 1. the incident with alert, runbook, post-mortem; 2. documents naming it; 3. their resolution rows;
    # 4. open follow-ups of earlier post-mortems of its alert (the repeat banner); 5. the answers about its runbook
    with django_assert_num_queries(5):
        client.get("/incidents/236/")
