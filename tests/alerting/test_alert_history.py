"""What operators see of the alerts received: an alert's recent incidents, what fires now, repeat incidents."""

from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kb.alerting.history import incident_alerting
from kb.entities import curation
from kb.models import Alert, Entity, Incident, PostMortem, Runbook
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert() -> Alert:
    return Alert.objects.create(name="PostgresDiskAlmostFull")


@pytest.fixture
def runbook(alert) -> Runbook:
    return Runbook.objects.create(
        kind="runbook",
        slug="postgres-disk",
        identity="postgres-disk.md",
        title="Postgres disk almost full",
        source_text="x",
        content_hash="x",
        alert=alert,
    )


def received(
    alert: Alert, *, ago: timedelta, lasted: timedelta | None = None, pod: str = "db-0", runbook=None
) -> Incident:
    started = timezone.now() - ago
    return Incident.objects.create(
        alert=alert,
        title=alert.name,
        fingerprint=f"{pod}-{ago.total_seconds():.0f}",
        started_at=started,
        status="resolved" if lasted else "firing",
        resolved_at=started + lasted if lasted else None,
        labels={"alertname": alert.name, "namespace": "databases", "pod": pod, "severity": "critical"},
        runbook=runbook,
    )


def test_the_runbook_page_shows_the_recent_incidents_of_its_alert(client, alert, runbook):
    received(alert, ago=timedelta(days=2), lasted=timedelta(minutes=10))
    received(alert, ago=timedelta(days=20), lasted=timedelta(minutes=30), pod="db-1")
    received(alert, ago=timedelta(days=60), lasted=timedelta(hours=2))
    received(alert, ago=timedelta(days=200), lasted=timedelta(days=3))
    received(alert, ago=timedelta(minutes=7), pod="db-1")
    # The runbook and its history (2 queries), the incidents with their alert's counts (1).
    html = client.get("/runbooks/postgres-disk/").content.decode()
    assert "Recent incidents of <code>PostgresDiskAlmostFull</code>" in html
    assert "<strong>3</strong> in the last 30 days" in html
    assert "<strong>4</strong> in the last 90 days" in html
    # (10 min + 30 min + 2 h) / 3 = 53 min 20 s over the 3 resolved in 90 days; the 3-day incident is older.
    assert "mean time to resolve <strong>53 min</strong> (over 3 resolved in 90 days)" in html
    assert html.count('<span class="status status-firing">Firing</span>') == 1
    assert "firing for 7 min" in html
    assert ">3 d<" in html
    # Only what tells the instances apart: not the namespace they share.
    assert '<span class="badge">pod=db-1</span>' in html
    assert "namespace=databases" not in html


def test_the_runbook_page_makes_as_many_queries_for_30_incidents_as_for_one(client, alert, runbook):
    # The page's budget is pinned in test_runbook_page.py; here, only that incidents do not add to it.
    received(alert, ago=timedelta(days=1), lasted=timedelta(minutes=1))
    with CaptureQueriesContext(connection) as one:
        client.get("/runbooks/postgres-disk/")
    for n in range(2, 31):
        received(alert, ago=timedelta(days=n, minutes=1), lasted=timedelta(minutes=n + 1), pod=f"db-{n}")
    with CaptureQueriesContext(connection) as thirty:
        html = client.get("/runbooks/postgres-disk/").content.decode()
    assert len(thirty) <= len(one)  # fewer: the document's linked HTML, which no incident changes, is cached
    assert html.count('<span class="status status-resolved">') == 10


def test_an_alert_never_received_says_so(client, alert, runbook):
    html = client.get("/runbooks/postgres-disk/").content.decode()
    assert "No incident of this alert named in documents; none received from Alertmanager yet." in html
    assert "in the last 90 days" not in html


def named(alert: Alert, n: int) -> Incident:
    """An incident a document names, `n` days ago: no fingerprint."""
    day = timezone.now() - timedelta(days=n)
    return Incident.objects.create(alert=alert, reference=f"#{900 + n}", origin="document", started_at=day)


def test_an_alert_received_once_long_ago_behind_many_documented_incidents_still_shows_its_counts(
    client, alert, runbook
):
    received(alert, ago=timedelta(days=400), lasted=timedelta(minutes=5))
    for n in range(1, 13):
        named(alert, n)
    html = client.get("/runbooks/postgres-disk/").content.decode()
    assert "<strong>12</strong> in the last 30 days" in html and "none received" not in html


@pytest.mark.parametrize("documented", [3, 12])
def test_an_alert_only_documents_name_counts_them(client, alert, runbook, documented):
    for n in range(1, documented + 1):
        named(alert, n)
    html = client.get("/runbooks/postgres-disk/").content.decode()
    assert f"{documented} incidents named in documents; none received from Alertmanager yet." in html


def test_the_home_page_shows_what_is_firing_now(client, alert, runbook, django_assert_num_queries):
    other = Alert.objects.create(name="KubePodCrashLooping")
    for n in range(5):
        received(other, ago=timedelta(minutes=n + 1), pod=f"api-{n}")
    received(alert, ago=timedelta(hours=3), runbook=runbook)
    received(alert, ago=timedelta(days=1), lasted=timedelta(minutes=5), pod="db-9")
    # The stamp of what it shows; recent documents; the latest firing instances, how many fire, the counts of
    # the alerts listed, their runbooks' titles; overdue follow-ups; recent incidents.
    with django_assert_num_queries(8):
        html = client.get("/").content.decode()
    assert "6 alerts firing under 2 names." in html
    assert '<a href="/alerts/KubePodCrashLooping/"><code>KubePodCrashLooping</code></a>' in html
    assert '<span class="badge">×5</span>' in html
    assert "and 2 more" in html
    assert 'runbook <a href="/runbooks/postgres-disk/">Postgres disk almost full</a>' in html
    assert "db-9" not in html
    # The latest started first.
    assert html.index("KubePodCrashLooping") < html.index("PostgresDiskAlmostFull")


def postmortem(slug: str, when: date, follow_ups: list[tuple[str, str]], mentions: str = "It broke.") -> PostMortem:
    """Written as the importer writes it, so that its mentions are extracted."""
    checklist = "\n".join(f"- [{'x' if status == 'done' else ' '}] {text}" for text, status in follow_ups)
    return save_document(
        f"---\nkind: postmortem\n---\n# {slug.replace('-', ' ').title()}\n\n**Date:** {when.isoformat()}\n\n"
        f"## Summary\n\n{mentions}\n\n## Action items\n\n{checklist}\n",
        identity=f"{slug}.md",
    )


def render_alerting(incident: Incident) -> str:
    incident = Incident.objects.select_related("alert").get(pk=incident.pk)
    return render_to_string(
        "kb/partials/incident_alerting.html", {"incident_alerting": incident_alerting(incident=incident)}
    )


def test_a_repeat_incident_with_open_follow_ups_shows_the_banner_linking_them(alert):
    earlier = received(alert, ago=timedelta(days=40), lasted=timedelta(hours=1))
    disk = postmortem(
        "disk-full",
        date.today() - timedelta(days=39),
        [("Alert on WAL archive failures", "open"), ("Grow the PVC", "done")],
    )
    earlier.postmortem = disk
    earlier.save()
    postmortem(
        "wal-mention",
        date.today() - timedelta(days=100),
        [("Fix the NAS mount", "open")],
        mentions="PostgresDiskAlmostFull fired",
    )
    postmortem("unrelated", date.today() - timedelta(days=10), [("Something else", "open")])
    html = render_alerting(received(alert, ago=timedelta(minutes=5)))
    assert "Repeat incident, remediation outstanding" in html
    assert '<a href="/postmortems/disk-full/">Alert on WAL archive failures</a>' in html
    assert '<a href="/postmortems/wal-mention/">Fix the NAS mount</a>' in html
    assert "Grow the PVC" not in html
    assert "Something else" not in html


def test_no_banner_when_the_follow_ups_are_done_or_the_postmortem_is_about_this_incident(alert):
    closed = postmortem("closed", date.today() - timedelta(days=30), [("Done already", "done")], mentions=alert.name)
    incident = received(alert, ago=timedelta(days=3), lasted=timedelta(hours=1))
    own = postmortem("own", date.today() - timedelta(days=2), [("Still open", "open")])
    incident.postmortem = own
    incident.save()
    postmortem("later", date.today() + timedelta(days=1), [("Written later", "open")], mentions=alert.name)
    assert closed and "Repeat incident" not in render_alerting(incident)


def test_the_silence_link_fills_alertmanagers_form_with_the_incidents_labels(alert, settings):
    incident = received(alert, ago=timedelta(minutes=5))
    incident.labels["description"] = 'quote " and back\\slash'
    incident.save()
    assert "Silence this alert" not in render_alerting(incident)
    settings.KB_ALERTMANAGER_URL = "https://alertmanager.example.org"
    html = render_alerting(incident)
    href = html.split('class="silence"><a href="', 1)[1].split('"', 1)[0]
    base, query = href.split("?", 1)
    assert base == "https://alertmanager.example.org/#/silences/new"
    matchers = unquote(query.split("&amp;")[0].removeprefix("filter="))
    assert matchers == (
        '{alertname="PostgresDiskAlmostFull",description="quote \\" and back\\\\slash",'
        'namespace="databases",pod="db-0",severity="critical"}'
    )


def implicating(client, name: str) -> list[str]:
    return [p["slug"] for p in client.get(f"/api/alerts/{name}").json()["postmortems"]]


def test_a_postmortem_naming_a_longer_alert_does_not_implicate_this_one(client):
    Alert.objects.create(name="NodeDown")
    postmortem("downstream", date(2026, 3, 1), [("Fix the proxy", "open")], mentions="The NodeDownstream alert fired.")
    postmortem("node", date(2026, 3, 2), [("Replace the PSU", "open")], mentions="NodeDown fired for rack 4.")
    assert implicating(client, "NodeDown") == ["node"]


def test_a_postmortem_naming_the_alert_by_an_alias_implicates_it_until_the_name_is_ignored(client):
    Alert.objects.create(name="NodeDown")
    postmortem(
        "host", date(2026, 3, 2), [("Replace the PSU", "open")], mentions="The HostUnreachable alert fired for rack 4."
    )
    assert implicating(client, "NodeDown") == []
    host = Entity.objects.get(name="HostUnreachable")
    curation.entity_alias_add(entity=host, alias="NodeDown")
    assert implicating(client, "NodeDown") == ["host"]
    curation.entity_ignore(entity=host)
    assert implicating(client, "NodeDown") == []


def test_the_home_page_says_the_webhook_is_off_and_how_to_turn_it_on(client, settings):
    settings.KB_ALERTMANAGER_TOKEN = ""
    html = client.get("/").content.decode()
    assert "Nothing is firing." not in html
    assert "webhook is off" in html
    assert "KB_ALERTMANAGER_TOKEN" in html and "alertmanager.yml" in html


def test_the_home_page_says_nothing_fires_only_while_the_webhook_is_on(client, settings):
    settings.KB_ALERTMANAGER_TOKEN = "t" * 32
    html = client.get("/").content.decode()
    assert "Nothing is firing." in html
    assert "webhook is off" not in html


def test_an_alert_storm_lists_the_alerts_that_started_last(client, monkeypatch):
    monkeypatch.setattr("kb.alerting.history.FIRING_ALERTS_SHOWN", 3)
    for n in range(5):
        received(Alert.objects.create(name=f"StormAlert{n}"), ago=timedelta(minutes=10 - n))
    firing = client.get("/").content.decode().split('id="firing-now-heading"')[1].split("</section>")[0]
    assert "5 alerts firing (the 3 that started last below" in firing
    assert "StormAlert4" in firing and "StormAlert2" in firing and "StormAlert1" not in firing
