"""manage.py export_site: a static copy of the knowledge base that works without it, searched in Chromium."""

import functools
import http.server
import re
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

RUNBOOK = """# Ceph OSD nearly full ({alert})

## Alert
`{alert}` fires when an OSD of the `rook-ceph` cluster passes {percent}% used.

## Fix
1. Find the OSD: `ceph osd df tree`
2. Reweight it: `ceph osd reweight-by-utilization`
"""

POSTMORTEM = """# Post-mortem: 2026-02-11 registry outage

| Field | Value |
|-------|-------|
| **Date** | 2026-02-11 |
| **Severity** | SEV3 |

## Summary
The image registry's volume filled up and pushes failed for two hours; see CephOSDNearFull.
"""


@pytest.fixture
def site(tmp_path, settings) -> Path:
    settings.KB_BASE_URL = "https://kb.example.org"
    documents = tmp_path / "docs"
    (documents / "runbooks").mkdir(parents=True)
    (documents / "runbooks" / "CephOSDNearFull.md").write_text(RUNBOOK.format(alert="CephOSDNearFull", percent=85))
    (documents / "runbooks" / "CephOSDFull.md").write_text(RUNBOOK.format(alert="CephOSDFull", percent=95))
    (documents / "2026-02-11-registry-outage.md").write_text(POSTMORTEM)
    call_command("import_docs", str(documents), stdout=StringIO())
    out = tmp_path / "site"
    output = StringIO()
    call_command("export_site", str(out), stdout=output)
    assert "pages written" in output.getvalue()
    return out


def test_every_page_links_to_files_of_the_copy_or_to_the_live_site(site):
    pages = sorted(site.rglob("index.html"))
    assert {p.relative_to(site).as_posix() for p in pages} >= {
        "index.html",
        "runbooks/cephosdnearfull/index.html",
        "postmortems/2026-02-11-registry-outage/index.html",
        "entities/CephOSDNearFull/index.html",
    }
    for page in pages:
        for link in re.findall(r'(?:href|src)="([^"#?]+)', page.read_text()):
            if not link.startswith(("https://", "http://", "mailto:")):
                assert (page.parent / link).exists(), f"{page.relative_to(site)} links to a missing {link}"
    runbook = (site / "runbooks" / "cephosdnearfull" / "index.html").read_text()
    # A reader of the copy is a visitor: writing starts with logging in at the live site.
    assert 'href="https://kb.example.org/accounts/login/?next=' in runbook
    assert 'href="https://kb.example.org/runbooks/cephosdnearfull/history/"' in runbook
    assert "data-pagefind-body" in runbook
    assert (site / "pagefind" / "pagefind-ui.js").is_file()
    listed = (site / "runbooks" / "index.html").read_text()
    assert 'href="cephosdfull/index.html"' in listed and 'href="cephosdnearfull/index.html"' in listed
    assert "user-menu" not in listed and "Log in" not in listed


def test_it_refuses_a_target_that_is_a_file(tmp_path):
    target = tmp_path / "site.html"
    target.write_text("")
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("export_site", str(target), stdout=StringIO())


@pytest.mark.browser
# `browser` before `site`: Playwright's loop started after the test's first query left a second PostgreSQL
# session open at teardown.
def test_the_copy_opens_from_files_and_finds_a_runbook_by_search_without_the_server(browser, site):
    context = browser.new_context()
    tab = context.new_page()
    try:
        # From file://: the pages and their links work; Pagefind's index needs HTTP (browsers refuse fetch() there).
        tab.goto((site / "index.html").as_uri())
        tab.get_by_role("link", name="Runbooks", exact=True).first.click()
        tab.locator('a[href="cephosdfull/index.html"]').first.click()
        assert tab.url.endswith("/runbooks/cephosdfull/index.html")
        assert tab.locator("h1").inner_text().startswith("Ceph OSD nearly full")
        assert tab.evaluate("getComputedStyle(document.body).fontFamily") != '"Times New Roman"'

        # Served by a plain static server on loopback, with the knowledge base nowhere.
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
        handler.log_message = lambda *args: None
        with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
            threading.Thread(target=server.serve_forever, daemon=True).start()
            tab.goto(f"http://127.0.0.1:{server.server_port}/index.html")
            tab.locator(".pagefind-ui__search-input").fill("reweight utilization")
            result = tab.locator(".pagefind-ui__result-link").first
            result.wait_for(timeout=10_000)
            assert "CephOSD" in result.inner_text()
            result.click()
            tab.wait_for_url(re.compile(r"/runbooks/cephosd(near)?full/index\.html"))
            # The search box of every page searches the copy.
            tab.fill("#site-search-q", "registry")
            tab.press("#site-search-q", "Enter")
            tab.locator(".pagefind-ui__result-link", has_text="registry outage").first.wait_for(timeout=10_000)
            server.shutdown()
    finally:
        context.close()
