"""Search in a real Chromium: results appear as the operator types, `/` finds the box, no console errors."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_typing_shows_results_without_reloading_the_page(page, imported):
    page.goto("/")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Search runbooks, post-mortems and incidents").press_sequentially("valero oomkiled", delay=20)
    result = page.locator("#search-results li.result").first
    result.wait_for()
    assert "Velero server OOMKilled" in result.inner_text()
    assert page.locator("#search-results mark").count() > 0
    expect(page.get_by_text("Showing results for")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    assert page.console_errors == [], page.console_errors


def test_the_search_box_is_focused_on_load_and_slash_brings_focus_back(page, imported):
    page.goto("/")
    assert page.evaluate("document.activeElement.id") == "search-box"
    page.locator("h2").first.click()
    assert page.evaluate("document.activeElement.id") != "search-box"
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "search-box"
    assert page.input_value("#search-box") == ""


def test_slash_on_a_document_page_goes_to_its_search_box(page, imported):
    page.goto("/runbooks/velero-oomkilled/")
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox")).to_be_focused()
    assert page.console_errors == [], page.console_errors


def test_the_search_page_works_without_javascript_and_logs_no_errors(page, imported):
    page.goto("/search/?q=kopia")
    expect(page.locator("#search-results li.result").first).to_be_visible()
    page.goto("/")
    assert page.console_errors == [], page.console_errors
