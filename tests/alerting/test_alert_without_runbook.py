"""An alert link that no runbook fits is not a dead end: the alert's runbooks for other labels, the
post-mortems that implicate it, its incidents and entity page, and the runbook editor pre-filled."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from kb.alerting.incidents import incident_save
from kb.markdown.parsing import parse_document
from kb.models import Alert, Incident, IncidentStatus
from tests.pages_support import save_document, save_runbook

pytestmark = pytest.mark.django_db

ALERT = "HomelabPodOOMKilled"
URL = f"/alerts/{ALERT}/?namespace=velero&container=velero"
DRAFT = f"/runbooks/new/?alert={ALERT}&amp;namespace=velero&amp;container=velero"


def save_postmortem(day: str, title: str, text: str):
    return save_document(
        f"# {day} {title}\n\n## Summary\n\n{text}\n\n## Action items\n\n- [ ] Alert earlier\n",
        identity=f"postmortems/{day}.md",
    )


@pytest.fixture
def known():
    """A runbook of the alert for Jellyfin only, two post-mortems that name the alert, one that does not."""
    save_runbook(
        ALERT, {"namespace": "media", "container": "jellyfin"}, slug="jellyfin-oom", title="Jellyfin OOMKilled"
    )
    save_postmortem("2026-02-24", "Velero backups failed", f"`{ALERT}` fired for velero during the nightly backup.")
    save_postmortem("2026-04-02", "Velero OOM again", f"Again {ALERT} for the velero container, at 1Gi.")
    save_postmortem("2026-03-01", "NAS reboot", "The NAS rebooted for an update; nothing else fired.")


def received(*, ago: timedelta, namespace: str = "velero") -> Incident:
    started = timezone.now() - ago
    return incident_save(
        incident=Incident(
            alert=Alert.objects.get(name=ALERT),
            status=IncidentStatus.RESOLVED,
            started_at=started,
            resolved_at=started + timedelta(minutes=12),
            fingerprint=f"fp-{namespace}-{ago.total_seconds():.0f}",
            labels={"alertname": ALERT, "namespace": namespace, "container": namespace},
        )
    )


def test_it_lists_the_alerts_runbooks_for_other_labels_with_their_scope(client, known):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No runbook's scope fits these labels" in html
    assert '<a href="/runbooks/jellyfin-oom/?namespace=velero&amp;container=velero">Jellyfin OOMKilled</a>' in html
    assert "container=<strong>jellyfin</strong>" in html


def test_it_shows_the_postmortems_that_implicate_the_alert_newest_first(client, known):
    html = client.get(URL).content.decode()
    assert f"Post-mortems that implicate <code>{ALERT}</code>" in html
    newer = html.index('href="/postmortems/2026-04-02/"')
    assert newer < html.index('href="/postmortems/2026-02-24/"')
    assert "NAS reboot" not in html


def test_each_implicating_postmortem_shows_its_date_title_and_summary(client, known):
    html = client.get(URL).content.decode()
    assert '<time datetime="2026-04-02">2026-04-02</time> <a href="/postmortems/2026-04-02/">' in html
    assert f'<p class="snippet">Again {ALERT} for the velero container, at 1Gi.</p>' in html


def test_it_shows_the_alerts_incidents_and_links_its_entity_page(client, known):
    incident = received(ago=timedelta(days=3))
    html = client.get(URL).content.decode()
    assert f'<a href="{incident.get_absolute_url()}">' in html
    assert f'<a href="/entities/{ALERT}/"><code>{ALERT}</code>’s page</a>' in html


def test_a_known_alert_without_any_runbook_is_a_404_that_still_shows_its_postmortems(client):
    save_postmortem("2026-05-16", "Loki ingester OOM", "`LokiIngesterOOMKilled` fired three times in an hour.")
    response = client.get("/alerts/LokiIngesterOOMKilled/?namespace=logging")
    assert response.status_code == 404
    html = response.content.decode()
    assert "No runbook for <code>LokiIngesterOOMKilled</code> yet" in html
    assert 'href="/postmortems/2026-05-16/"' in html


def test_a_visitor_is_asked_to_log_in_to_write_the_runbook(client, known):
    html = client.get(URL).content.decode()
    assert "Write the runbook</a>" not in html
    login = re.search(r'<a href="(/accounts/login/\?next=[^"]+)">Log in to write the runbook</a>', html)
    assert login and login.group(1).startswith(
        "/accounts/login/?next=/runbooks/new/%3Falert%3DHomelabPodOOMKilled%26namespace%3Dvelero"
    )


def test_write_the_runbook_opens_the_editor_with_alert_scope_sections_and_postmortems(editor_client, known):
    html = editor_client.get(URL).content.decode()
    assert f'<a class="button" href="{DRAFT}">Write the runbook</a>' in html
    editor = editor_client.get(unescape(DRAFT)).content.decode()
    text = unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", editor, re.S).group(1)).lstrip("\n")
    assert text.startswith(
        f"---\nkind: runbook\nalert: {ALERT}\nlabels: {{namespace: velero, container: velero}}\n---\n"
    )
    for heading in ("## Alert", "## Symptoms", "## Investigation Steps", "## Fix", "## Resolution History"):
        assert heading in text
    assert "- [2026-04-02 Velero OOM again](/postmortems/2026-04-02/) (2026-04-02)" in text
    assert "(/postmortems/2026-02-24/)" in text and "NAS reboot" not in text
    parsed = parse_document(text, "runbooks/new.md")
    assert (parsed.kind, parsed.alert, parsed.labels) == (
        "runbook",
        ALERT,
        {"namespace": "velero", "container": "velero"},
    )


def test_the_page_takes_a_fixed_number_of_queries(client, known, django_assert_num_queries):
    for n in range(4):
        received(ago=timedelta(days=n + 1))
    # 1. the alert with 2. its runbooks; 3. its entity; 4. the post-mortems implicating it (top 5);
    # 5. its last incidents with its counts of incidents (kb.alerting.history.incidents_latest)
    with django_assert_num_queries(5):
        assert client.get(URL).status_code == 200
