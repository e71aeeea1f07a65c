"""Entity pages, the insights page, and entity links in documents: what an operator sees."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from kb.alerting.incidents import incident_save
from kb.models import Alert, Entity, Incident

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parents[1] / "fixtures" / "entities"
KURED_PM = FIXTURES / "2026-05-16-kured-reboot-backlog.md"


def run_import(*paths) -> None:
    call_command("import_docs", *map(str, paths), stdout=StringIO())


@pytest.fixture
def imported(seeds):
    """The seeds and a post-mortem of ours that also implicates KuredRebootBacklog."""
    run_import(seeds, KURED_PM)


def test_it_says_the_alert_is_implicated_in_two_postmortems_and_has_no_runbook(
    client, imported, django_assert_num_queries
):
    # entity, aliases, the stamp of what the page shows (kb/views/conditional.py), mentions with their
    # documents, the first id of the latest incidents, incidents, open follow-ups; read again, the entity, its
    # aliases and the stamp
    with django_assert_num_queries(7):
        response = client.get("/entities/KuredRebootBacklog/")
    with django_assert_num_queries(3):
        again = client.get("/entities/KuredRebootBacklog/").content.decode()
    html = response.content.decode()
    assert again.split("<article")[1] == html.split("<article")[1]
    assert response.status_code == 200
    assert "implicated in 2 post-mortems · no runbook" in html
    assert html.index("Post-Mortem: kured-sentinel-gate OOM") < html.index("Post-Mortem: kured stopped rebooting")
    assert "(KuredRebootBacklog, still deferred)" in html
    assert '<time datetime="2026-05-16">2026-05-16</time>' in html
    assert "Add the KuredRebootBacklog alert" in html  # an open follow-up that names it


def test_the_entity_page_links_its_incidents_and_dates_its_open_follow_ups(client, imported):
    html = client.get("/entities/HomelabPodOOMKilled/").content.decode()
    assert '<a href="/incidents/236/">#236</a>' in html
    follow_ups = client.get("/entities/KuredRebootBacklog/").content.decode().split('id="follow-ups"')[1]
    assert '<time datetime="2026-05-16">2026-05-16</time> Add the KuredRebootBacklog alert' in follow_ups


def test_the_entity_page_is_case_insensitive_and_takes_names_with_slashes(client, imported):
    assert client.get("/entities/kuredrebootbacklog/").status_code == 200
    response = client.get("/entities/stacks/kured/main.tf/")
    assert response.status_code == 200
    assert "implicated in 2 post-mortems" in response.content.decode()
    assert client.get(Entity.objects.get(name="/var/run/reboot-required").get_absolute_url()).status_code == 200
    assert (
        Entity.objects.get(name="/var/run/reboot-required").get_absolute_url()
        == "/entities/%2Fvar/run/reboot-required/"
    )


def test_an_unknown_or_ignored_entity_is_a_404(client, imported):
    assert client.get("/entities/NoSuchThing/").status_code == 404
    Entity.objects.filter(name="k8s-master").update(ignored=True)
    assert client.get("/entities/k8s-master/").status_code == 404


def test_a_reference_to_a_postmortem_by_date_links_to_it(client, imported):
    html = client.get("/postmortems/kured-gate-oom/").content.decode()
    assert (
        '<a class="entity" href="/postmortems/2026-05-16-kured-reboot-backlog/" title="post-mortem of 2026-05-16">2026-05-16 PM</a>'
        in html
    )


def test_the_editors_preview_links_entities_as_the_saved_page_will(admin_client, imported):
    text = "---\nkind: runbook\n---\n# Reboots stuck\n\n## Notes\n\nSame blind spot as the 2026-05-16 PM; HomelabPodOOMKilled fired.\n"
    html = admin_client.post("/preview/runbook/", {"text": text}).content.decode()
    assert (
        '<a class="entity" href="/postmortems/2026-05-16-kured-reboot-backlog/" title="post-mortem of 2026-05-16">2026-05-16 PM</a>'
        in html
    )
    assert (
        '<a class="entity" href="/entities/HomelabPodOOMKilled/" title="Alert HomelabPodOOMKilled">HomelabPodOOMKilled</a>'
        in html
    )


def test_a_reference_to_a_postmortem_not_imported_links_to_its_entity_page(client, seeds):
    run_import(seeds)
    html = client.get("/postmortems/kured-gate-oom/").content.decode()
    assert 'href="/entities/post-mortem%202026-05-16/"' in html
    page = client.get("/entities/post-mortem%202026-05-16/").content.decode()
    assert "The 2026-05-16 PM found the same gap" in page


def test_entities_link_once_per_section_and_code_blocks_stay_untouched(client, imported):
    html = client.get("/postmortems/kured-gate-oom/").content.decode()
    summary = html[html.index('id="summary"') : html.index('id="root-cause-chain"')]
    assert summary.count('href="/entities/container_oom_events_total/"') == 1
    assert summary.count('href="/entities/k8s-master/"') == 1
    assert (
        '<a class="entity" href="/entities/kured-sentinel-gate/" title="Component kured-sentinel-gate"><code>kured-sentinel-gate</code></a>'
        in summary
    )
    chain = html[html.index('id="root-cause-chain"') : html.index('id="why-hard-to-spot"')]
    assert "<pre>" in chain and 'class="entity"' not in chain
    assert (
        '<h1 id="document-title">Post-Mortem: kured-sentinel-gate OOM loop while k8s-master waited for a reboot</h1>'
        in html
    )


def test_a_runbook_links_its_entities_and_shows_related_documents(client, imported):
    html = client.get("/runbooks/velero-oomkilled/").content.decode()
    assert (
        'href="/entities/HomelabPodOOMKilled/"' not in html.split('class="prose"')[1].split("<h2")[0]
    )  # headings untouched
    assert '<a class="entity" href="/entities/velero/" title="Namespace velero"><code>velero</code></a>' in html
    assert 'href="/entities/%23236/"' in html


def test_related_documents_are_those_sharing_the_most_entities(client, imported):
    html = client.get("/postmortems/2026-05-16-kured-reboot-backlog/").content.decode()
    related = html[html.index('id="related-heading"') :]
    assert "Post-Mortem: kured-sentinel-gate OOM" in related
    assert "KuredRebootBacklog" in related and "stacks/kured/main.tf" in related


def test_the_insights_page_wants_a_runbook_for_the_alert_implicated_twice(client, imported, django_assert_num_queries):
    Incident.objects.create(reference="#900", alert=Alert.objects.get(name="HomelabPodOOMKilled"))
    # the stamp of what it shows (kb/views/conditional.py), wanted, most implicated, open follow-ups (2), without
    # follow-ups, recurring (3), the runbooks answered "no" most, the stale runbooks, how many follow-ups are
    # open and overdue
    with django_assert_num_queries(12):
        response = client.get("/insights/")
    html = response.content.decode()
    wanted = html[html.index('id="wanted"') : html.index('id="most-implicated"')]
    assert wanted.index("KuredRebootBacklog") < wanted.index("PVCStuckPending")
    assert "KuredRebootBacklog</code></a> — implicated in 2 post-mortems" in wanted
    follow_ups = html[html.index('id="open-follow-ups"') : html.index('id="recurring"')]
    assert follow_ups.index("2026-05-16") < follow_ups.index("2026-05-31")  # oldest first
    recurring = html[html.index('id="recurring"') : html.index('id="no-follow-ups"')]
    assert "HomelabPodOOMKilled" in recurring and "512Mi → 1Gi" in recurring


def test_an_alert_that_recurs_without_any_document_links_to_its_alert_page(client):
    alert = Alert.objects.create(name="EdgeProxyFlapping")
    # Through the one write path of incidents, which keeps the alert's count of them.
    for title, started_at in (("first", "2026-05-01T10:00:00Z"), ("second", "2026-05-08T10:00:00Z")):
        incident_save(incident=Incident(title=title, alert=alert, fingerprint="a", started_at=started_at))
    html = client.get("/insights/").content.decode()
    recurring = html[html.index('id="recurring"') : html.index('id="no-follow-ups"')]
    assert '<a href="/alerts/EdgeProxyFlapping/"><code>EdgeProxyFlapping</code></a>' in recurring
    assert (
        "Recent incidents of <code>EdgeProxyFlapping</code>"
        in client.get("/alerts/EdgeProxyFlapping/").content.decode()
    )


RECURRING_RUNBOOK = """
    ---
    kind: runbook
    slug: queue-stuck
    alert: QueueStuck
    ---
    # Queue stuck

    ## History

    | Date | Old limit | New limit |
    |---|---|---|
    | 2026-03-01 | 1 | 2 |
    | 2026-03-03 | 2 | 3 |
    | 2026-03-05 | 3 | 4 |
    | 2026-03-07 | 4 | 5 |
    | 2026-03-09 | 5 | 6 |
    """


def test_a_recurring_alert_shows_its_latest_resolutions_and_a_trend_over_every_day_on_record(client):
    from tests.pages_support import save_document

    runbook = save_document(RECURRING_RUNBOOK, identity="queue-stuck.md")
    # Two incidents on a day a resolution is dated (one day on record), one nine days after the last.
    for title, started_at in (
        ("a", "2026-03-09T01:00:00Z"),
        ("b", "2026-03-09T22:00:00Z"),
        ("c", "2026-03-18T10:00:00Z"),
    ):
        incident_save(incident=Incident(title=title, alert=runbook.alert, fingerprint=title, started_at=started_at))
    html = client.get("/insights/").content.decode()
    recurring = html[html.index('id="recurring"') : html.index('id="no-follow-ups"')]
    assert "2026-03-05: 3 → 4<br>2026-03-07: 4 → 5<br>2026-03-09: 5 → 6" in recurring
    assert "2026-03-03" not in recurring and '<a href="/alerts/QueueStuck/">2 earlier</a>' in recurring
    # 1, 3, 5, 7, 9 and 18 March: gaps of 2 days, then 9.
    assert "6 dates, every 3 days on average; last gap 9 days: recurring slower" in recurring
    (api,) = client.get("/api/insights").json()["recurring_alerts"]
    assert (
        len(api["resolutions"]) == 5
        and api["trend"] == "6 dates, every 3 days on average; last gap 9 days: recurring slower"
    )
    listed = client.get("/insights/recurring/").content.decode()
    assert "<td>5</td>" in listed and "recurring slower" in listed


def test_the_entity_list_filters_by_kind(client, imported, django_assert_num_queries):
    with django_assert_num_queries(2):  # the page's keys, then its entities
        html = client.get("/entities/?kind=host").content.decode()
    assert "k8s-master" in html and "KuredRebootBacklog" not in html
    assert client.get("/entities/?kind=planet").status_code == 404


@pytest.mark.corpus
def test_every_entity_page_works_on_the_imported_corpus(client, corpus, shared_seeds):
    run_import(corpus / "runbooks", corpus / "postmortems", shared_seeds, KURED_PM)
    for entity in Entity.objects.all()[:400]:
        assert client.get(entity.get_absolute_url()).status_code == 200, entity.name


def test_related_documents_leave_out_archived_documents_and_ignored_names(client):
    from kb.entities.curation import entity_ignore
    from kb.entities.related import related_documents
    from tests.pages_support import save_document

    first = save_document(
        "# Disk full\n\nThe `minio` pod in namespace `storage` filled `/var/lib/minio`.\n", identity="a.md"
    )
    save_document("# Bucket slow\n\nThe `minio` pod in namespace `storage` was slow.\n", identity="b.md")
    archived = save_document("# Old\n\nThe `minio` pod, `/var/lib/minio` and namespace `storage`.\n", identity="c.md")
    assert [(r.title, r.shared) for r in related_documents(document=first)] == [("Old", 3), ("Bucket slow", 2)]
    archived.archived = True
    archived.save(update_fields=["archived"])
    entity_ignore(entity=Entity.objects.get(name="storage"))
    (related,) = related_documents(document=first)
    assert (related.title, related.shared, related.names, related.url) == ("Bucket slow", 1, ["minio"], "/notes/b/")


def test_related_documents_are_found_through_the_rarer_names_and_list_every_name_shared(client):
    from kb.entities.related import related_documents
    from tests.pages_support import save_document

    first = save_document("# Disk full\n\nThe `minio` pod in namespace `storage` filled up.\n", identity="a.md")
    save_document("# Bucket slow\n\nThe `minio` pod in namespace `storage` was slow.\n", identity="b.md")
    for n in range(3):
        save_document(f"# Quota {n}\n\nNamespace `storage` hit its quota.\n", identity=f"q{n}.md")
    # Everything shared is read while the mentions fit: the quota notes share `storage` alone.
    assert [r.title for r in related_documents(document=first)] == ["Bucket slow", "Quota 0", "Quota 1", "Quota 2"]
    # Only `minio` (2 documents) fits in 3 mentions read, not `storage` (5): a name most documents share
    # relates nothing, yet the document found through `minio` still shows both names.
    (related,) = related_documents(document=first, read=3)
    assert (related.title, related.names) == ("Bucket slow", ["minio", "storage"])


def test_related_documents_fill_the_limit_past_archived_ones_and_order_ties_by_title(client):
    from kb.entities.related import related_documents
    from tests.pages_support import save_document

    first = save_document(
        "# Disk full\n\nThe `minio` pod in namespace `storage` filled `/var/lib/minio`.\n", identity="a.md"
    )
    archived = save_document("# Old\n\nThe `minio` pod, `/var/lib/minio` and namespace `storage`.\n", identity="c.md")
    save_document("# Bucket slow\n\nThe `minio` pod in namespace `storage` was slow.\n", identity="b.md")
    for title in ("Zeta quota", "Alpha quota", "Mid quota"):
        save_document(f"# {title}\n\nNamespace `storage` hit its quota.\n", identity=f"{title}.md")
    assert [r.title for r in related_documents(document=first, limit=2)] == ["Old", "Bucket slow"]
    # Ties at the limit are ordered by title, however many share as much as the last one shown.
    assert [r.title for r in related_documents(document=first, limit=3)] == ["Old", "Bucket slow", "Alpha quota"]
    archived.archived = True
    archived.save(update_fields=["archived"])
    # The archived document ranked first: the limit is still filled, from the documents shown.
    assert [r.title for r in related_documents(document=first, limit=2)] == ["Bucket slow", "Alpha quota"]
    assert [r.title for r in related_documents(document=first, limit=3)] == ["Bucket slow", "Alpha quota", "Mid quota"]


def test_the_entity_page_lists_the_incidents_whose_labels_name_it(client):
    from tests.pages_support import save_document

    save_document("# Cache cold\n\nThe `cache` pod in namespace `payments` went cold.\n", identity="cache.md")
    save_document("# Disk\n\nThe `disk` pod in namespace `payments-2` filled up.\n", identity="disk.md")
    alert = Alert.objects.create(name="CacheCold")
    incident_save(incident=Incident(title="in it", alert=alert, fingerprint="a", labels={"namespace": "payments"}))
    incident_save(
        incident=Incident(title="next to it", alert=alert, fingerprint="b", labels={"namespace": "payments-2"})
    )
    incident_save(incident=Incident(title="only in a note", alert=alert, fingerprint="c", labels={"note": "payments"}))
    html = client.get("/entities/PAYMENTS/").content.decode()
    assert "in it" in html
    assert "next to it" not in html and "only in a note" not in html
