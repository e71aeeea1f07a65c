"""Every page reads a fixed number of queries and a bounded number of rows, however large the knowledge
base grows; document pages answer a conditional GET with 304; the lists are read in index order."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.alerting.incidents import incidents_create
from kb.models import Alert, Incident, IncidentStatus
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/insights/",
    "/runbooks/",
    "/postmortems/",
    "/runbooks/oom-0/",
    "/postmortems/outage-0/",
    "/incidents/",
    "/entities/",
    "/entities/SharedPodOOMKilled/",
    "/search/?q=oom+killed",
    "/runbooks/?page=2",
    "/api/runbooks",
    "/api/postmortems",
    "/api/entities",
]


def grow(start: int, stop: int) -> None:
    """Runbooks and post-mortems numbered start…stop-1 naming one shared alert and namespace, and incidents of it."""
    for i in range(start, stop):
        save_document(
            f"""
            ---
            kind: runbook
            slug: oom-{i}
            alert: PodOOMKilled{i}
            ---
            # Pod OOM killed {i}

            Fires with `SharedPodOOMKilled` when container `app` in namespace `shop-{i % 3}` is killed.

            ## Mitigation

            Raise the limit of the `app` container.
            """,
            identity=f"runbooks/oom-{i}.md",
        )
        save_document(
            f"""
            # Post-mortem: outage {i}

            **Date:** 2026-03-{1 + i % 28:02d}

            ## Summary

            `SharedPodOOMKilled` and `PodOOMKilled{i}` fired for namespace `shop-{i % 3}`.

            ## Action items

            - [ ] Raise the memory limit of the app container
            """,
            identity=f"postmortems/outage-{i}.md",
        )
    alert = Alert.objects.for_name("SharedPodOOMKilled")
    start_at = datetime(2026, 1, 1, tzinfo=UTC)
    incidents_create(
        incidents=[
            Incident(
                alert=alert,
                title=f"fired {n}",
                fingerprint=f"f{n}",
                status=IncidentStatus.RESOLVED,
                started_at=start_at + timedelta(hours=n),
                resolved_at=start_at + timedelta(hours=n, minutes=5),
            )
            for n in range(start * 40, stop * 40)
        ]
    )


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200, url
    return len(queries)


def test_no_page_reads_more_queries_when_the_knowledge_base_grows(client, django_assert_max_num_queries):
    grow(0, 3)
    small = {url: queries_of(client, url) for url in PAGES}
    grow(3, 12)
    for url in PAGES:
        with django_assert_max_num_queries(small[url], info=url):
            client.get(url)


def test_the_lists_show_one_page_and_link_to_the_next(client):
    grow(0, 3)  # 120 incidents
    incidents = client.get("/incidents/").content.decode()
    first = re.findall(r'href="/incidents/received/(\d+)/"', incidents)
    assert len(first) == 50 and 'rel="next"' in incidents
    older = incidents.split('" rel="next"')[0].rsplit('href="', 1)[1].replace("&amp;", "&")
    second = re.findall(r'href="/incidents/received/(\d+)/"', client.get(f"/incidents/{older}").content.decode())
    assert len(second) == 50 and not set(first) & set(second)
    newest_first = sorted(Incident.objects.values_list("pk", flat=True), reverse=True)  # started an hour apart
    assert [int(pk) for pk in first + second] == newest_first[:100]


def test_insights_show_the_top_of_each_list_and_link_to_the_rest(client):
    grow(0, 3)
    for i in range(30):
        save_document(
            f"# Post-mortem: blip {i}\n\n**Date:** 2025-01-{1 + i % 28:02d}\n\n## Summary\n\n`BlipAlert{i}` fired.\n",
            identity=f"postmortems/blip-{i}.md",
        )
    html = client.get("/insights/").content.decode()
    wanted = html[html.index('id="wanted"') : html.index('id="most-implicated"')]
    assert wanted.count("<li>") == 25 and 'href="/insights/wanted/"' in wanted
    rest = client.get("/insights/wanted/").content.decode()
    assert rest.count("implicated in") == 31 and "BlipAlert29" in rest and "SharedPodOOMKilled" in rest
    assert client.get("/insights/nothing/").status_code == 404


def test_a_document_page_not_changed_since_is_a_304(client):
    grow(0, 1)
    client.get("/")  # a browser's first page sets the CSRF cookie, which the pages' tokens belong to
    first = client.get("/runbooks/oom-0/")
    etag = first.headers["ETag"]
    again = client.get("/runbooks/oom-0/", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    grow(1, 2)  # another document written: the page may link or relate to it
    assert client.get("/runbooks/oom-0/", headers={"if-none-match": etag}).status_code == 200
    postmortem = client.get("/postmortems/outage-0/")
    assert (
        client.get("/postmortems/outage-0/", headers={"if-none-match": postmortem.headers["ETag"]}).status_code == 304
    )


def test_the_etag_of_a_runbook_page_changes_with_the_labels_it_fills(client):
    grow(0, 1)
    client.get("/")
    plain = client.get("/runbooks/oom-0/").headers["ETag"]
    assert client.get("/runbooks/oom-0/?namespace=shop", headers={"if-none-match": plain}).status_code == 200


@pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's")
@pytest.mark.parametrize("name", ["wanted", "most-implicated", "open-follow-ups"])
def test_the_insights_lists_are_read_from_an_index(name):
    from kb.entities.insights import INSIGHT_LISTS

    plan = INSIGHT_LISTS[name][1]()[:26].explain()
    assert "USING INDEX" in plan, plan
    assert "SCAN kb_entity" not in plan and "SCAN kb_followup" not in plan, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's")
def test_the_stale_runbooks_are_looked_for_in_the_order_of_an_index():
    from kb.alerting.feedback import runbooks_stale

    with CaptureQueriesContext(connection) as queries:
        runbooks_stale()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {queries.captured_queries[-1]['sql']}")
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    # The candidates walked by title from the index, not every runbook read and sorted before the first.
    assert "COVERING INDEX document_runbooks_by_title (kind=?)" in plan, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's")
def test_the_incident_list_is_read_in_the_order_of_its_index(client):
    with CaptureQueriesContext(connection) as queries:
        client.get("/incidents/?before=2026-01-01T00:00:00%2B00:00~10")
    sql = queries.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert "USING INDEX incident_list_order" in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="EXPLAIN QUERY PLAN is SQLite's")
@pytest.mark.parametrize("url", ["/runbooks/", "/postmortems/", "/notes/", "/api/runbooks", "/api/postmortems"])
def test_a_page_of_a_document_list_is_cut_in_the_order_of_an_index(client, url):
    grow(0, 2)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"{url}?page=2")
    cut = [q["sql"] for q in queries.captured_queries if "OFFSET" in q["sql"]]
    assert len(cut) == 1, cut
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {cut[0]}")
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    # Not every document of the kind sorted (by its alert's name, two tables) before the page is cut.
    assert "USING INDEX document_list_order (kind=?)" in plan and "TEMP B-TREE" not in plan, plan


def test_an_entity_page_lists_the_documents_that_named_it_last_and_says_how_many_in_all(client, monkeypatch):
    monkeypatch.setattr("kb.entities.insights.MAX_APPEARANCES", 2)
    grow(0, 3)  # SharedPodOOMKilled in 3 runbooks and 3 post-mortems
    html = client.get("/entities/SharedPodOOMKilled/").content.decode()
    assert "The 2 documents that named it last are listed, of 6." in html
    assert "outage 2" in html and "Pod OOM killed 2" in html and "outage 1" not in html
