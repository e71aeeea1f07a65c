"""The 3 a.m. page in a real Chromium, on the example documents `make run` loads: the alert link lands
on a runbook that leads with what fixed its last incidents, and a `#NNN` incident says what happened.
Screenshots at 1400 px and 390 px go to artifacts/screenshots/ (not committed)."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.conftest import EXAMPLES, ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
ALERT_LINK = "/alerts/PostgresDiskAlmostFull/?namespace=databases&pod=shared-pg-0"
WIDTHS = {"desktop": (1400, 1000), "mobile": (390, 844)}


@pytest.fixture
def examples() -> None:
    call_command("import_docs", str(EXAMPLES), stdout=StringIO())


def shoot(page, name: str) -> list[Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths = []
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        path = SCREENSHOTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=False)
        paths.append(path)
    return paths


def test_the_alert_link_shows_the_last_fixes_above_the_runbook(page, examples):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(ALERT_LINK)
    assert page.url.endswith("/runbooks/postgres-disk-full/?namespace=databases&pod=shared-pg-0")
    block = page.locator("section.last-time")
    first_section = page.locator(".prose h2").first
    expect(block).to_be_visible()
    assert block.bounding_box()["y"] < first_section.bounding_box()["y"]
    newest = block.locator("li").first
    # The newest row of its resolution history: 2026-08-19, #256, and what was done
    assert newest.locator("time").inner_text() == "2026-08-19"
    assert "#256" in newest.inner_text()
    assert "orphaned slot standby_old retained 38Gi of WAL; dropped it" in newest.inner_text()
    assert "Size raised twice: 20Gi → 50Gi → 100Gi" in block.inner_text()
    assert "If the volume fills up again within a month of an expansion" in block.inner_text()
    for path in shoot(page, "runbook-last-time"):
        assert path.stat().st_size > 10_000
    assert page.console_errors == [], page.console_errors


def test_an_incident_page_shows_its_date_alert_runbook_and_fix(page, examples):
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto("/incidents/256/")
    assert page.locator("h1").inner_text().startswith("#256")
    card = page.locator("dl.meta-card")
    assert "2026-08-19" in card.inner_text()
    assert "PostgresDiskAlmostFull" in card.inner_text()
    expect(card.get_by_role("link", name="Postgres data volume almost full")).to_be_visible()
    fix = page.locator("section.incident-fix")
    assert "No resize: orphaned slot standby_old retained 38Gi of WAL; dropped it" in fix.inner_text()
    assert "100Gi → 100Gi" in fix.inner_text()
    assert "Unknown" not in page.locator("main").inner_text()
    for path in shoot(page, "incident-256"):
        assert path.stat().st_size > 10_000
    assert page.console_errors == [], page.console_errors
