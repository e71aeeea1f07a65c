"""A real Chromium follows an entity link from a post-mortem to the entity page and on to insights."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KURED_PM = Path(__file__).parents[1] / "fixtures" / "entities" / "2026-05-16-kured-reboot-backlog.md"


def test_it_follows_an_alert_from_a_postmortem_to_its_page_and_to_insights(page, seeds):
    call_command("import_docs", str(seeds), str(KURED_PM), stdout=StringIO())
    page.goto("/postmortems/kured-gate-oom/")
    page.get_by_role("link", name="KuredRebootBacklog").first.click()
    page.wait_for_url("**/entities/KuredRebootBacklog/")
    expect(page.get_by_text("implicated in 2 post-mortems · no runbook")).to_be_visible()
    page.get_by_role("link", name="Post-Mortem: kured stopped rebooting the cluster for five days").first.click()
    page.wait_for_url("**/postmortems/2026-05-16-kured-reboot-backlog/**")
    page.get_by_role("link", name="Insights").click()
    page.wait_for_url("**/insights/")
    expect(page.get_by_role("heading", name="Wanted: alerts without a runbook")).to_be_visible()
    assert page.console_errors == [], page.console_errors
