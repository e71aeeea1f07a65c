"""The home page, which is the search page, /search/ and /api/search."""

import re

import pytest

from tests.search import SEARCH_STATEMENTS

pytestmark = pytest.mark.django_db


def test_it_has_one_labelled_search_box_focused_on_load_that_searches_as_you_type(client):
    html = client.get("/").content.decode()
    assert '<label for="search-box">' in html
    assert '<form class="search" action="/search/" method="get" role="search">' in html
    box = html[html.index('<input id="search-box"') :].split(">", 1)[0]
    for attribute in (
        'name="q"',
        "autofocus",
        'hx-get="/search/"',
        'hx-trigger="input changed delay:200ms, search"',
        'hx-target="#search-results"',
    ):
        assert attribute in box
    assert re.search(r'<script src="/static/kb/kb(\.[0-9a-f]+)?\.js" defer></script>', html)


def test_the_home_page_lists_recent_documents_and_incidents(client, imported, django_assert_num_queries):
    # 0. the stamp of what it shows (kb/views/conditional.py)  1. the documents updated last, with their runbook
    # and alert  2. the latest incidents, with their alert  3. the latest firing incidents (none: nothing more
    # about them)  4. the overdue follow-ups counted
    with django_assert_num_queries(5):
        html = client.get("/").content.decode()
    assert "Velero server OOMKilled (HomelabPodOOMKilled)" in html
    assert "kured-sentinel-gate OOM" in html
    assert "#236" in html and "#237" in html


def test_a_search_without_javascript_shows_the_whole_page_with_results(client, imported, django_assert_num_queries):
    # the search's (tests.search.SEARCH_STATEMENTS), then 1. recent documents  2. recent incidents  3. the latest
    # firing incidents (none)  4. the overdue follow-ups counted  5. the stamp of what they show
    with django_assert_num_queries(SEARCH_STATEMENTS + 5):
        response = client.get("/search/", {"q": "pod oom killed"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'value="pod oom killed"' in html
    assert re.search(
        r'<a href="/runbooks/velero-oomkilled/(#[a-z-]+)?">Velero server OOMKilled \(HomelabPodOOMKilled\)</a>', html
    )
    assert '<code class="alert-name">HomelabPodOOMKilled</code>' in html
    assert "Recently updated" in html


def test_htmx_gets_only_the_results(client, imported, django_assert_num_queries):
    # the search queries of the whole page, none of the recent lists
    with django_assert_num_queries(SEARCH_STATEMENTS):
        response = client.get("/search/", {"q": "kopia"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "Recently updated" not in html
    assert '<span class="badge kind-runbook">Runbook</span>' in html
    assert "<mark>kopia</mark>" in html


def test_going_back_in_history_gets_the_whole_page(client, imported):
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert "<html" in client.get("/search/", {"q": "kopia"}, headers=headers).content.decode()


def test_it_says_which_words_it_searched_for_after_a_correction(client, imported):
    html = client.get("/search/", {"q": "valero"}, headers={"HX-Request": "true"}).content.decode()
    assert "Showing results for <strong>velero</strong>" in html


def test_it_says_when_nothing_matches(client, imported):
    html = client.get("/search/", {"q": "zzzzqqq"}, headers={"HX-Request": "true"}).content.decode()
    assert "Nothing matches “zzzzqqq”" in html


def test_an_empty_query_from_htmx_clears_the_results(client, imported):
    response = client.get("/search/", {"q": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_the_api_answers_the_same_search_as_json(client, imported):
    data = client.get("/api/search", {"q": "valero oomkiled", "limit": "2"}).json()
    assert data["query"] == "valero oomkiled"
    assert data["corrected"] == "velero oomkilled"
    assert len(data["results"]) == 2
    first = data["results"][0]
    assert set(first) == {"kind", "title", "alert", "url", "section", "snippet", "score"}
    assert (first["kind"], first["title"], first["alert"]) == (
        "runbook",
        "Velero server OOMKilled (HomelabPodOOMKilled)",
        "HomelabPodOOMKilled",
    )
    assert first["url"].startswith("http://testserver/runbooks/velero-oomkilled/")
    assert "<mark>" in first["snippet"]
    assert first["score"] >= data["results"][1]["score"]


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "101", "2.5", ""])
def test_the_api_rejects_a_bad_limit_and_names_it(client, limit):
    response = client.get("/api/search", {"q": "velero", "limit": limit})
    assert response.status_code == 400
    assert response.json()["error"].startswith("limit:")


def test_the_api_needs_a_query(client):
    response = client.get("/api/search")
    assert response.status_code == 400
    assert response.json()["error"].startswith("q:")
