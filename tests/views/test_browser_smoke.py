"""A real Chromium loads the pages of the imported seeds without a console error."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_the_seed_documents_without_console_errors(page, seeds):
    call_command("import_docs", str(seeds), stdout=StringIO())
    page.goto("/")
    page.get_by_role("link", name="Velero server OOMKilled (HomelabPodOOMKilled)").click()
    page.wait_for_url("**/runbooks/velero-oomkilled/")
    expect(page.get_by_role("heading", name="Investigation Steps")).to_be_visible()
    page.goto("/postmortems/kured-gate-oom/")
    expect(page.get_by_text("structure was reconstructed")).to_be_visible()
    assert page.console_errors == [], page.console_errors
