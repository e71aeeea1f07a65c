"""The look and feel without DEBUG: hashed static files served by WhiteNoise, nothing from elsewhere, no inline script."""

import re

import pytest

pytestmark = pytest.mark.django_db

PAGES = ["/runbooks/", "/postmortems/", "/incidents/", "/alerts/NoSuchAlert/"]


def test_it_serves_its_stylesheets_and_scripts_itself(client, settings):
    assert settings.DEBUG is False
    html = client.get("/runbooks/").content.decode()
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert any(re.search(r"/kb/kb\.[0-9a-f]{12}\.css$", a) for a in assets), assets
    assert any(re.search(r"/kb/kb\.[0-9a-f]{12}\.js$", a) for a in assets), assets
    assert any("pygments-dark" in a for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["Cache-Control"].startswith("max-age="), asset


@pytest.mark.parametrize("url", PAGES)
def test_pages_load_nothing_from_elsewhere_and_run_no_inline_script(client, url):
    html = client.get(url).content.decode()
    assert not re.search(r'(?:href|src)="(?:https?:)?//', html.split("<main")[0])
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts and all("src=" in attributes and "defer" in attributes for attributes in scripts)


def test_the_header_has_a_labelled_search_form(client):
    html = client.get("/runbooks/").content.decode()
    assert '<form class="site-search" role="search" action="/search/" method="get">' in html
    assert '<label for="site-search-q" class="visually-hidden">Search the knowledge base</label>' in html
    assert '<a href="/runbooks/" aria-current="page">Runbooks</a>' in html
