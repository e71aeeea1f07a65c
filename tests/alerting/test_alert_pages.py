"""The alert link `/alerts/<name>/?label=value…`: the runbook_url of every alert. It must never break."""

import pytest

from kb.models import Alert
from tests.pages_support import save_runbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def velero():
    return save_runbook(
        "HomelabPodOOMKilled",
        {"namespace": "velero", "container": "velero"},
        slug="velero-oom",
        title="Velero OOMKilled",
    )


def test_it_redirects_to_the_runbook_for_the_labels_and_keeps_them(client, velero):
    response = client.get("/alerts/HomelabPodOOMKilled/?namespace=velero&container=velero&pod=velero-7d9f8")
    assert response.status_code == 302
    assert response["Location"] == "/runbooks/velero-oom/?namespace=velero&container=velero&pod=velero-7d9f8"


def test_the_alert_name_is_case_insensitive_and_the_trailing_slash_optional(client, velero):
    for url in ("/alerts/homelabpodoomkilled/", "/alerts/HOMELABPODOOMKILLED", "/alerts/HomelabPodOOMKilled"):
        response = client.get(url, {"namespace": "velero", "container": "velero"})
        assert response.status_code == 302, url
        assert response["Location"] == "/runbooks/velero-oom/?namespace=velero&container=velero"


def test_the_most_specific_runbook_wins(client, velero):
    save_runbook("HomelabPodOOMKilled", {"namespace": "velero"}, slug="velero-any")
    response = client.get("/alerts/HomelabPodOOMKilled/?namespace=velero&container=velero")
    assert response["Location"].startswith("/runbooks/velero-oom/")
    response = client.get("/alerts/HomelabPodOOMKilled/?namespace=velero&container=restic")
    assert response["Location"].startswith("/runbooks/velero-any/")


def test_runbooks_that_fit_equally_are_listed_with_their_scopes(client):
    save_runbook("DiskFull", {"namespace": "db"}, slug="by-namespace", title="Disk full in db")
    save_runbook("DiskFull", {"pod": "db-0"}, slug="by-pod", title="Disk full on db-0")
    response = client.get("/alerts/DiskFull/?namespace=db&pod=db-0")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 runbooks fit these labels equally well" in html
    assert '<a href="/runbooks/by-namespace/?namespace=db&amp;pod=db-0">Disk full in db</a>' in html
    assert '<a href="/runbooks/by-pod/?namespace=db&amp;pod=db-0">Disk full on db-0</a>' in html
    assert "namespace=<strong>db</strong>" in html and "pod=<strong>db-0</strong>" in html


def test_when_no_scope_fits_it_lists_the_alerts_runbooks(client, velero):
    response = client.get("/alerts/HomelabPodOOMKilled/?namespace=media")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No runbook's scope fits these labels" in html
    assert '<a href="/runbooks/velero-oom/?namespace=media">Velero OOMKilled</a>' in html


def test_an_unknown_alert_is_a_404_that_suggests_names_and_offers_to_write_a_runbook(client, velero):
    response = client.get("/alerts/HomelabPodOOMKiled/?namespace=velero")
    assert response.status_code == 404
    html = response.content.decode()
    assert "No runbook for <code>HomelabPodOOMKiled</code>" in html
    assert '<a href="/alerts/HomelabPodOOMKilled/?namespace=velero"><code>HomelabPodOOMKilled</code></a>' in html
    assert "Log in to write the runbook" in html and "next=/runbooks/new/%3Falert%3DHomelabPodOOMKiled" in html


def test_a_known_alert_without_a_runbook_is_a_404_too(client):
    Alert.objects.create(name="WatchdogMissing")
    response = client.get("/alerts/watchdogmissing/")
    assert response.status_code == 404
    assert "This alert is known here, but no runbook answers it" in response.content.decode()
    assert "next=/runbooks/new/%3Falert%3DWatchdogMissing" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/alerts/HomelabPodOOMKilled%2Fextra/",  # %2F arrives as a slash
        "/alerts/Homelab%00PodOOMKilled/",  # PostgreSQL refuses NUL characters in a query
        "/alerts/%FF%FE/",  # not UTF-8
        "/alerts/%3Cscript%3Ealert(1)%3C%2Fscript%3E/",
        "/alerts/" + "A" * 5000 + "/",
        "/alerts/HomelabPodOOMKilled//",
    ],
)
def test_odd_alert_names_get_the_404_page_not_an_error(client, velero, url):
    response = client.get(url)
    assert response.status_code in (200, 302, 404)
    assert b"<script>alert" not in response.content


def test_odd_labels_are_dropped_not_refused(client, velero):
    query = "namespace=velero&container=velero&not-a-label=1&__meta=x&empty=&nul=a%00b&huge=" + "x" * 20000
    response = client.get("/alerts/HomelabPodOOMKilled/?" + query)
    assert response.status_code == 302
    assert response["Location"] == "/runbooks/velero-oom/?namespace=velero&container=velero&__meta=x"


def test_label_values_are_encoded_in_the_redirect(client):
    save_runbook("ProbeFailed", {}, slug="probe")
    response = client.get("/alerts/ProbeFailed/", {"instance": "https://example.org/a b?c=d&e", "job": "blackbox"})
    assert response["Location"] == "/runbooks/probe/?instance=https%3A%2F%2Fexample.org%2Fa+b%3Fc%3Dd%26e&job=blackbox"


def test_head_requests_work_and_writes_are_refused(client, velero):
    assert client.head("/alerts/HomelabPodOOMKilled/?namespace=velero&container=velero").status_code == 302
    assert client.head("/alerts/Nope/").status_code == 404
    assert client.post("/alerts/HomelabPodOOMKilled/").status_code == 405


def test_the_redirect_takes_two_queries(client, velero, django_assert_num_queries):
    # 1. the alert by name, case-insensitively; 2. its runbooks, prefetched (Alert.runbook_choice)
    with django_assert_num_queries(2):
        client.get("/alerts/HomelabPodOOMKilled/?namespace=velero&container=velero")


def test_the_overview_takes_three_queries(client, django_assert_num_queries):
    save_runbook("DiskFull", {"namespace": "db"}, slug="by-namespace")
    save_runbook("DiskFull", {"pod": "db-0"}, slug="by-pod")
    # 1. the alert; 2. its runbooks, prefetched: the tie and the others are chosen from them (Alert.runbook_choice);
    # 3. the alert's last incidents with its counts of incidents (kb.alerting.history.incidents_latest)
    with django_assert_num_queries(3):
        assert client.get("/alerts/DiskFull/?namespace=db&pod=db-0").status_code == 200


def test_the_404_page_takes_three_queries_once_the_names_are_kept(client, velero, django_assert_num_queries):
    # 1. the alert by name (none); 2. its entity (none, so no post-mortems); 3. the newest document write,
    # under which the names of alerts with runbooks are kept for suggestions; 4. those names, the first time
    with django_assert_num_queries(4):
        assert client.get("/alerts/Nope/").status_code == 404
    with django_assert_num_queries(3):
        assert client.get("/alerts/NopeEither/").status_code == 404
    save_runbook("DiskFull", {"namespace": "db"}, slug="disk-full")
    with django_assert_num_queries(4):  # a runbook written since: the names are read again
        assert client.get("/alerts/Nope/").status_code == 404


def test_an_alert_without_runbook_suggests_the_close_names_that_have_one(client, velero):
    save_runbook("HomelabPodCrashLooping", {"namespace": "apps"}, slug="crash-looping")
    save_runbook("PostgresReplicationLagHigh", {"namespace": "db"}, slug="replication-lag")
    html = client.get("/alerts/HomelabPodOOMKiled/").content.decode()  # a letter missing
    suggested = html.split('id="suggestions-title"')[1].split("</section>")[0]
    assert "/alerts/HomelabPodOOMKilled/" in suggested and "PostgresReplicationLagHigh" not in suggested
    # A runbook written for a new alert is suggested at once: the names are kept only until the next write.
    save_runbook("HomelabPodOOMKiller", {"namespace": "apps"}, slug="oom-killer")
    html = client.get("/alerts/HomelabPodOOMKiled/").content.decode()
    assert "/alerts/HomelabPodOOMKiller/" in html.split('id="suggestions-title"')[1].split("</section>")[0]
