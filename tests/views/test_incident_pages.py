"""What an operator reads about incidents: the incident page, the lists, the JSON API, and the
"Last time" block a runbook page leads with."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kb.models import Alert, Incident, IncidentOrigin, Runbook
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alerting"
RUNBOOK_URL = "/runbooks/loki-ingester-oomkilled/"


@pytest.fixture
def loki() -> Runbook:
    for name in ("loki-ingester-oomkilled.md", "2026-04-03-loki-ingesters-oom.md"):
        save_document((FIXTURES / name).read_text(), identity=name)
    return Runbook.objects.get(slug="loki-ingester-oomkilled")


def received(runbook: Runbook, *, ago: timedelta, n: int = 0) -> Incident:
    started = timezone.now() - ago
    return Incident.objects.create(
        alert=runbook.alert,
        runbook=runbook,
        title="Container ingester OOMKilled",
        origin=IncidentOrigin.ALERTMANAGER,
        fingerprint=f"fp{n}",
        status="firing",
        started_at=started,
        labels={"alertname": "HomelabPodOOMKilled", "namespace": "loki", "container": "ingester", "pod": f"ing-{n}"},
    )


def test_an_incident_page_says_when_what_fired_what_fixed_it_and_where_it_is_written(client, loki, settings):
    settings.KB_ALERTMANAGER_URL = "https://alertmanager.example.org"
    html = client.get("/incidents/318/").content.decode()
    assert '<h1 id="document-title">#318: Post-Mortem: Loki ingesters OOMKilled after the promtail rollout</h1>' in html
    assert '<time datetime="2026-04-03T00:00:00+00:00">2026-04-03</time>' in html
    assert '<a href="/alerts/HomelabPodOOMKilled/"><code>HomelabPodOOMKilled</code></a>' in html
    assert "<strong>Change:</strong> <code>1Gi</code> → <code>2Gi</code>" in html
    assert (
        '<p class="fix">Two ingesters killed within an hour after the promtail rollout doubled the streams</p>' in html
    )
    assert '<a href="/runbooks/loki-ingester-oomkilled/">Loki ingester OOMKilled (HomelabPodOOMKilled)</a>' in html
    assert '<dt>Post-mortem</dt><dd><a href="/postmortems/2026-04-03-loki-ingesters-oom/">' in html
    assert "<dt>Severity</dt><dd>SEV3</dd>" in html
    named = html.split('id="named-title"')[1]
    assert "Loki ingester OOMKilled" in named and "Post-Mortem: Loki ingesters OOMKilled" in named
    # Silenced within the runbook's scope, as the alert would fire again.
    silence = html.split('class="silence"')[1].split("</p>")[0]
    assert 'alertname="HomelabPodOOMKilled"' in silence and 'container="ingester"' in silence
    assert "Unknown" not in html and "not recorded</dd>" not in html.split("<dt>Started</dt>")[1][:80]


def test_a_received_incident_lives_under_received_and_shows_its_labels_and_duration(client, loki):
    incident = received(loki, ago=timedelta(minutes=42))
    assert incident.get_absolute_url() == f"/incidents/received/{incident.pk}/"
    html = client.get(f"/incidents/received/{incident.pk}/").content.decode()
    assert "pod=<strong>ing-0</strong>" in html
    assert "<dt>Duration</dt><dd>firing for 42 min</dd>" in html
    assert (
        f'<a class="button" href="{RUNBOOK_URL}?alertname=HomelabPodOOMKilled&amp;container=ingester&amp;namespace=loki&amp;pod=ing-0">'
        in html
    )
    # The number of a received incident is no reference, and a reference's id no received incident.
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert client.get(f"/incidents/received/{Incident.objects.get(reference='#318').pk}/").status_code == 404


def test_the_lists_show_the_date_alert_title_and_fix_rather_than_bare_numbers(client, loki):
    for url in ("/incidents/", "/"):
        html = client.get(url).content.decode()
        item = html.split('href="/incidents/301/"')[1].split("</li>")[0]
        assert "<code>HomelabPodOOMKilled</code>" in item
        assert "512Mi → 1Gi" in item and "Killed during the nightly compaction" in item
        assert "2026-01-12" in html.split('href="/incidents/301/"')[0][-200:] + item


def test_the_api_gives_each_incident_its_runbook_labels_postmortem_fix_and_change(client, loki):
    incident = received(loki, ago=timedelta(minutes=5))
    body = client.get("/api/alerts/HomelabPodOOMKilled?namespace=loki").json()
    by_reference = {i["reference"] or i["url"]: i for i in body["incidents"]}
    documented = by_reference["#318"]
    assert documented["url"] == "http://testserver/incidents/318/"
    assert documented["runbook"] == {
        "slug": "loki-ingester-oomkilled",
        "title": "Loki ingester OOMKilled (HomelabPodOOMKilled)",
        "url": "http://testserver/runbooks/loki-ingester-oomkilled/",
    }
    assert documented["postmortem"]["url"] == "http://testserver/postmortems/2026-04-03-loki-ingesters-oom/"
    assert (documented["fix"], documented["change"], documented["severity"], documented["origin"]) == (
        "Two ingesters killed within an hour after the promtail rollout doubled the streams",
        {"from": "1Gi", "to": "2Gi"},
        "SEV3",
        "document",
    )
    assert documented["started_at"] == "2026-04-03T00:00:00+00:00" and documented["status"] == "resolved"
    live = by_reference[f"http://testserver/incidents/received/{incident.pk}/"]
    assert live["labels"]["pod"] == "ing-0" and live["runbook"]["slug"] == "loki-ingester-oomkilled"
    assert live["origin"] == "alertmanager" and live["change"] is None and live["postmortem"] is None


def test_a_runbook_page_leads_with_what_fixed_its_last_incidents_newest_first(client, loki):
    incident = received(loki, ago=timedelta(hours=3))
    html = client.get(RUNBOOK_URL + "?namespace=loki&container=ingester").content.decode()
    block = html.split('<section class="last-time"')[1].split("</section>")[0]
    # Above the runbook's first section
    assert html.index('<section class="last-time"') < html.index('id="alert"')
    items = block.split("<li>")[1:]
    assert len(items) == 3
    assert f'href="/incidents/received/{incident.pk}/"' in items[0] and "Firing" in items[0]
    # #318 and #319 were fixed by one row: one entry
    assert '<a href="/incidents/318/">#318</a>, <a href="/incidents/319/">#319</a>' in items[1]
    assert ">2026-04-03</time>" in items[1] and '<code class="change">1Gi → 2Gi</code>' in items[1]
    assert "promtail rollout doubled the streams" in items[1]
    assert ">2026-01-12</time>" in items[2] and "512Mi → 1Gi" in items[2]
    assert "<strong>Trend:</strong> Memory limit raised twice: 512Mi → 1Gi → 2Gi" in block
    assert (
        "<strong>If it happens again:</strong> If OOMs come back after raising to 2Gi, consider: "
        "Lowering chunk_target_size; Adding a third ingester replica." in block
    )


def test_a_runbook_without_history_or_incidents_has_no_last_time_block(client):
    save_document("---\nkind: runbook\nalert: QuietAlert\n---\n# Quiet\n\n## Fix\n\nRestart it.\n", identity="quiet.md")
    html = client.get("/runbooks/quiet/").content.decode()
    assert 'class="last-time"' not in html
    assert "No incident of this alert named in documents; none received from Alertmanager yet." in html


def test_the_counts_under_a_history_say_what_is_true(client, loki):
    html = client.get(RUNBOOK_URL).content.decode()
    assert "3 incidents named in documents; none received from Alertmanager yet." in html
    assert "received from Alertmanager yet" not in html.split('class="last-time"')[0]
    assert "in the last 90 days" not in html


@pytest.mark.parametrize("url", ["/incidents/318/", RUNBOOK_URL, "/incidents/"])
def test_pages_read_as_many_queries_for_forty_incidents_as_for_one(client, loki, url):
    received(loki, ago=timedelta(days=1))
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for n in range(1, 40):
        received(loki, ago=timedelta(days=1, minutes=n), n=n)
    with CaptureQueriesContext(connection) as forty:
        assert client.get(url).status_code == 200
    # Fewer, not more, on a document page: its linked HTML, which no incident changes, is cached.
    assert len(forty) <= len(one), [q["sql"][:90] for q in forty.captured_queries]


def test_the_last_time_block_reads_one_query_of_two_bounded_ends(loki, django_assert_num_queries):
    from kb.alerting.last_time import READ, last_time

    for n in range(30):
        received(loki, ago=timedelta(days=n + 1), n=n)
    runbook = Runbook.objects.get(pk=loki.pk)
    # Its incidents, and its alert's without a runbook: each the last READ of an index, in one round trip.
    with django_assert_num_queries(1) as captured:
        block = last_time(runbook=runbook, trend=None)
    assert captured.captured_queries[0]["sql"].count(f"LIMIT {READ}") == 2
    assert len(block.entries) == 4
    assert Alert.objects.count() == 1
