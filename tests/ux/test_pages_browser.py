"""The pages in a real Chromium as an operator uses them at 3 a.m.: every command one click from the
clipboard, PromQL one click from Prometheus and Grafana, a phone's first screen with the search box
and the first command, tables that scroll, and the keyboard."""

import json
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ux"
RUNBOOK = "/runbooks/checkout-latency/"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(autouse=True)
def documents():
    """Two checkout runbooks and a post-mortem (pytest-django's live server empties the database after each test)."""
    call_command("import_docs", str(FIXTURES), stdout=StringIO())


@pytest.fixture
def query_links(settings):
    settings.KB_PROMETHEUS_URL = "https://prometheus.example.org"
    settings.KB_GRAFANA_URL = "https://grafana.example.org"
    settings.KB_GRAFANA_DATASOURCE = "prom-main"


def box(locator) -> dict:
    return locator.bounding_box()


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_copying_an_inline_command_puts_its_text_on_the_clipboard(page):
    page.goto(RUNBOOK)
    command = page.locator(".prose .inline-command").filter(has_text="--replicas=6")
    command.get_by_role("button", name="Copy this command").click()
    expect(command.get_by_role("button")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "kubectl -n shop scale deploy/checkout-api --replicas=6"
    # A name in backticks is not a command: no button after it.
    assert (
        page.locator(".prose code", has_text="deploy/shop/checkout-api/values.yaml")
        .locator("xpath=..")
        .get_attribute("class")
        != "inline-command"
    )
    assert page.console_errors == [], page.console_errors


def test_the_copy_button_of_a_long_line_never_covers_the_code(page):
    page.goto(RUNBOOK)
    block = page.locator(".prose .code-block").filter(has_text="pool exhausted")
    code = block.locator("pre")
    assert page.evaluate("(pre) => pre.scrollWidth > pre.clientWidth", code.element_handle()), "the line should be long"
    button = block.get_by_role("button", name="Copy this code")
    assert not overlap(box(button), box(code)), (box(button), box(code))
    button.click()
    expect(block.get_by_role("button")).to_have_text("Copied")
    assert "| sort | uniq -c | sort -rn | head -20" in page.evaluate("navigator.clipboard.readText()")


def test_promql_opens_in_prometheus_and_grafana_with_the_alerts_labels_filled_in(page, query_links):
    page.goto(RUNBOOK + "?namespace=shop")
    block = page.locator(".prose .code-block").filter(has_text="http_requests_total")
    expression = 'sum by (pod) (rate(http_requests_total{namespace="shop", code=~"5.."}[5m]))'
    prometheus = urlsplit(block.get_by_role("link", name="Open in Prometheus").get_attribute("href"))
    assert prometheus.netloc == "prometheus.example.org" and prometheus.path == "/graph"
    assert parse_qs(prometheus.query) == {"g0.expr": [expression], "g0.tab": ["0"]}
    grafana = urlsplit(block.get_by_role("link", name="Open in Grafana Explore").get_attribute("href"))
    assert grafana.netloc == "grafana.example.org" and grafana.path == "/explore"
    pane = json.loads(parse_qs(grafana.query)["left"][0])
    assert pane["datasource"] == "prom-main" and pane["queries"] == [{"refId": "A", "expr": expression}]
    inline = page.locator(".prose .inline-command").filter(has_text="histogram_quantile")
    inline_link = inline.get_by_role("link", name="Open this query in Prometheus").get_attribute("href")
    assert (
        'http_request_duration_seconds_bucket{namespace="shop"}' in parse_qs(urlsplit(inline_link).query)["g0.expr"][0]
    )
    assert page.console_errors == [], page.console_errors


def test_without_the_settings_no_query_offers_to_open_anywhere(page, settings):
    settings.KB_PROMETHEUS_URL = settings.KB_GRAFANA_URL = ""
    page.goto(RUNBOOK)
    expect(
        page.locator(".prose .code-block").filter(has_text="http_requests_total").get_by_role("button")
    ).to_have_count(1)
    assert page.locator("a.open-query").count() == 0


def test_on_a_phone_the_search_box_and_the_first_command_are_on_the_first_screen(page):
    page.set_viewport_size(PHONE)
    page.goto(RUNBOOK)
    search = page.get_by_role("searchbox")
    expect(search).to_have_count(1)
    assert box(search)["y"] + box(search)["height"] <= PHONE["height"]
    first = page.locator(".first-command .inline-command")
    expect(first).to_be_visible()
    assert first.inner_text().startswith("kubectl -n shop get pods")
    assert box(first)["y"] + box(first)["height"] <= PHONE["height"]
    # The same command in its section is far below the first screen.
    assert box(page.locator(".prose .inline-command").first)["y"] > PHONE["height"]

    page.goto("/")
    expect(page.get_by_role("searchbox")).to_have_count(1)
    assert box(page.get_by_role("searchbox"))["y"] < PHONE["height"] / 3


def test_on_a_phone_a_history_table_scrolls_instead_of_squeezing_its_notes(page):
    page.set_viewport_size(PHONE)
    page.goto(RUNBOOK)
    table = page.locator(".prose table").first
    notes = table.get_by_role("columnheader", name="Notes")
    assert box(notes)["width"] >= 200, box(notes)
    assert page.evaluate("(t) => t.scrollWidth > t.clientWidth", table.element_handle())
    assert box(table)["width"] <= PHONE["width"]


def test_on_a_phone_no_page_scrolls_sideways(page):
    page.set_viewport_size(PHONE)
    for url in ("/", "/search/?q=checkout", RUNBOOK, "/runbooks/", "/postmortems/", "/incidents/", "/insights/"):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url


def test_the_keyboard_searches_moves_through_results_and_opens_one(page):
    page.goto("/search/?q=checkout")
    results = page.locator("ol.results li.result")
    expect(results.first).to_be_visible()
    assert results.count() >= 2
    search = page.get_by_role("searchbox")
    expect(search).to_be_focused()  # the home page's box, focused on load
    page.keyboard.press("Escape")
    expect(search).not_to_be_focused()
    page.keyboard.press("/")
    expect(search).to_be_focused()
    page.keyboard.press("j")  # typing in the box: a letter, not a move
    expect(search).to_have_value("j")
    page.wait_for_url("**/search/?q=j")  # the live results for "j" have arrived
    search.fill("checkout")
    page.wait_for_url("**/search/?q=checkout")
    expect(results.first).to_contain_text("Checkout")
    page.keyboard.press("ArrowDown")  # from the box to the first result
    expect(results.first.get_by_role("link").first).to_be_focused()
    page.keyboard.press("/")
    page.keyboard.press("Escape")  # leaves the box, keeping the query and its results
    expect(search).to_have_value("checkout")
    page.keyboard.press("j")
    expect(results.nth(1)).to_have_class("result kb-current")
    page.keyboard.press("k")
    expect(results.first).to_have_class("result kb-current")
    href = results.first.get_by_role("link").first.get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()


def test_on_a_runbook_j_moves_to_the_next_command_and_c_copies_it(page):
    page.goto(RUNBOOK)
    page.keyboard.press("j")
    page.keyboard.press("j")
    current = page.locator(".kb-current")
    expect(current).to_contain_text("histogram_quantile(0.99")
    page.keyboard.press("c")
    assert page.evaluate("navigator.clipboard.readText()").startswith("histogram_quantile(0.99, sum by (le, route)")
    assert page.console_errors == [], page.console_errors


def test_screenshots_of_a_runbook_the_home_page_and_a_search_at_1400_and_390_pixels(page, query_links):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, url in (("runbook", RUNBOOK + "?namespace=shop"), ("home", "/"), ("search", "/search/?q=checkout")):
        for width, viewport in (("1400", DESKTOP), ("390", PHONE)):
            page.set_viewport_size(viewport)
            page.goto(url)
            path = SCREENSHOTS / f"{name}-{width}.png"
            page.screenshot(path=str(path))
            assert path.stat().st_size > 0
    page.set_viewport_size(DESKTOP)
    page.goto(RUNBOOK + "?namespace=shop")
    page.screenshot(path=str(SCREENSHOTS / "runbook-1400-full.png"), full_page=True)
    assert page.console_errors == [], page.console_errors
