"""A document page read again is served from what is already computed: one query (the stamp of what it
shows) and the parts every reader sees alike from the cache; a write to anything it shows is on the page
at once, and what differs by reader (edit buttons, the feedback form) is never shared."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kb.alerting.feedback import feedback_record
from kb.alerting.incidents import incident_save
from kb.models import Incident, IncidentOrigin, IncidentStatus, Runbook
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

URL = "/runbooks/disk-full/"
RUNBOOK = """
    ---
    kind: runbook
    slug: disk-full
    alert: NodeDiskAlmostFull
    ---
    # Node disk almost full

    ## Mitigation

    {step}
    """


@pytest.fixture
def runbook() -> Runbook:
    return save_document(RUNBOOK.format(step="Delete old container images."), identity="disk-full.md")


def test_a_runbook_page_read_again_takes_one_query(client, runbook, django_assert_num_queries):
    first = client.get(URL).content.decode()
    # 0. the stamp of what the page shows (kb/views/conditional.py); the rest comes from the cache.
    with django_assert_num_queries(1):
        again = client.get(URL).content.decode()
    article = again.split("<article")[1].split("</article>")[0]
    assert article == first.split("<article")[1].split("</article>")[0] and "Delete old container images." in article


def test_an_edit_is_on_the_page_at_once(client, runbook):
    client.get(URL)
    save_document(RUNBOOK.format(step="Prune the journal first."), identity="disk-full.md")
    html = client.get(URL).content.decode()
    assert "Prune the journal first." in html and "Delete old container images." not in html
    assert "<dt>Revisions</dt><dd>2</dd>" in html


def test_an_incident_arriving_is_in_last_time_at_once(client, runbook):
    assert "Last time" not in client.get(URL).content.decode()
    incident = incident_save(
        incident=Incident(
            alert=runbook.alert,
            runbook=runbook,
            title="node-7 disk 97%",
            origin=IncidentOrigin.ALERTMANAGER,
            fingerprint="fp-disk",
            status=IncidentStatus.FIRING,
            started_at=timezone.now() - timedelta(minutes=5),
            labels={"alertname": "NodeDiskAlmostFull", "node": "node-7"},
        )
    )
    html = client.get(URL).content.decode()
    assert "Last time" in html and f'href="{incident.get_absolute_url()}"' in html
    # Resolved: the same incident, written again, is no longer shown firing.
    incident.status, incident.resolved_at = IncidentStatus.RESOLVED, timezone.now()
    incident_save(incident=incident)
    last_time = client.get(URL).content.decode().split('id="last-time-title"')[1].split("</section>")[0]
    assert "Firing" not in last_time


def test_an_answer_to_did_it_help_is_counted_at_once(client, runbook, reader):
    client.get(URL)
    feedback_record(runbook=runbook, user=reader, answer="no", note="images were not the problem")
    html = client.get(URL).content.decode()
    assert "0 yes · 0 partly · 1 no" in html and "images were not the problem" in html


def test_a_readers_buttons_and_token_are_never_served_to_another(editor_client, runbook):
    editor_html = editor_client.get(URL).content.decode()
    assert f'href="{URL}edit/"' in editor_html and 'name="csrfmiddlewaretoken"' in editor_html
    visitor_html = Client().get(URL).content.decode()
    assert f'href="{URL}edit/"' not in visitor_html and 'name="csrfmiddlewaretoken"' not in visitor_html
    assert "Log in" in visitor_html and "Delete old container images." in visitor_html


def test_the_cache_is_bounded(settings):
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert 0 < settings.CACHES["default"]["OPTIONS"]["MAX_ENTRIES"] <= 2000


def test_the_home_page_read_again_takes_one_query_and_shows_a_new_incident_at_once(
    client, runbook, django_assert_num_queries
):
    client.get("/")
    with django_assert_num_queries(1):  # the stamp of what it shows (kb/views/conditional.py)
        assert "Node disk almost full" in client.get("/").content.decode()  # recently updated
    incident_save(
        incident=Incident(
            alert=runbook.alert,
            title="node-3 disk 98%",
            origin=IncidentOrigin.ALERTMANAGER,
            fingerprint="fp-home",
            status=IncidentStatus.FIRING,
            started_at=timezone.now() - timedelta(minutes=1),
            labels={"alertname": "NodeDiskAlmostFull", "node": "node-3"},
        )
    )
    # 0. the stamp, 1-3. what fires (the latest instances, how many, their alerts), 4. the recently updated
    # documents, 5. the recent incidents; the overdue follow-ups, which no incident changes, from the cache.
    with django_assert_num_queries(6):
        html = client.get("/").content.decode()
    assert "1 alert firing under 1 name." in html and "node-3 disk 98%" in html


def test_insights_read_again_take_one_query_and_count_a_new_answer_at_once(
    client, runbook, reader, django_assert_num_queries
):
    assert "No runbook has been answered “no” yet." in client.get("/insights/").content.decode()
    with django_assert_num_queries(1):  # the stamp of what it shows (kb/views/conditional.py)
        client.get("/insights/")
    feedback_record(runbook=runbook, user=reader, answer="no")
    answered_no = client.get("/insights/").content.decode().split('id="answered-no"')[1].split("</section>")[0]
    assert "Node disk almost full" in answered_no and "1 no · 0 partly · 0 yes" in answered_no


def test_insights_after_an_incident_read_again_only_the_lists_incidents_change(
    client, runbook, django_assert_num_queries
):
    client.get("/insights/")
    for day in (1, 8):
        incident_save(
            incident=Incident(
                alert=runbook.alert,
                title=f"node-{day} disk 97%",
                origin=IncidentOrigin.ALERTMANAGER,
                fingerprint=f"fp-{day}",
                started_at=timezone.now() - timedelta(days=day),
            )
        )
    # 0. the stamp of what it shows (kb/views/conditional.py), 1. the alerts that recur, 2. their resolutions,
    # 3. the days they fired; the lists about documents, and the stale runbooks (none answered "no"), from the cache.
    with django_assert_num_queries(4):
        html = client.get("/insights/").content.decode()
    recurring = html.split('id="recurring"')[1].split("</section>")[0]
    assert "NodeDiskAlmostFull" in recurring and "<td>2</td>" in recurring and "2 dates, every 7 days" in recurring


POSTMORTEM = """
    ---
    kind: postmortem
    slug: disk-outage
    ---
    # Disk outage

    **Date:** 2026-03-02

    ## Summary

    `NodeDiskAlmostFull` fired on node-7.

    ## Action items

    - [{done}] Alert earlier on image garbage collection
    """


def test_a_postmortem_read_again_takes_one_query_and_its_toggles_are_never_shared(
    client, editor_client, django_assert_num_queries
):
    save_document(POSTMORTEM.format(done=" "), identity="disk-outage.md")
    visitor = Client()
    visitor.get("/postmortems/disk-outage/")
    with django_assert_num_queries(1):  # the stamp of what it shows (kb/views/conditional.py)
        html = visitor.get("/postmortems/disk-outage/").content.decode()
    assert "Alert earlier on image garbage collection" in html and "csrfmiddlewaretoken" not in html
    editor_html = editor_client.get("/postmortems/disk-outage/").content.decode()
    assert 'class="toggle"' in editor_html and "csrfmiddlewaretoken" in editor_html
    save_document(POSTMORTEM.format(done="x"), identity="disk-outage.md")
    follow_ups = visitor.get("/postmortems/disk-outage/").content.decode().split('id="follow-ups-title"')[1]
    assert "0 open" in follow_ups.split("</h2>")[0]


def test_a_document_sharing_its_names_is_related_at_once_and_an_ignored_name_relates_nothing(client):
    from kb.entities.curation import entity_ignore
    from kb.models import Entity

    page = "/notes/minio-disk/"
    save_document("# Minio disk\n\nThe `minio` pod in namespace `storage` filled up.\n", identity="minio-disk.md")
    assert 'id="related-heading"' not in client.get(page).content.decode()
    save_document("# Minio slow\n\nThe `minio` pod was slow.\n", identity="minio-slow.md")
    related = client.get(page).content.decode().split('id="related-heading"')[1]
    assert "Minio slow" in related and "minio" in related
    entity_ignore(entity=Entity.objects.get(name="minio"))
    assert 'id="related-heading"' not in client.get(page).content.decode()
