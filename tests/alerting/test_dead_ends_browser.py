"""In a real Chromium: "did it help?" answered from an incident shows on its runbook's page, and an alert
link no runbook fits shows the post-mortems that implicate the alert."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kb.alerting.incidents import incident_save
from kb.models import Incident, IncidentStatus, RunbookFeedback
from tests.authoring_support import log_in
from tests.pages_support import save_document, save_runbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_did_it_help_click_on_an_incident_is_shown_on_the_runbook_page(page, reader):
    runbook = save_runbook(
        "LokiIngesterOOMKilled", {"namespace": "logging"}, slug="loki-oom", title="Loki ingester OOM"
    )
    incident = incident_save(
        incident=Incident(
            title="Loki ingester OOMKilled",
            alert=runbook.alert,
            status=IncidentStatus.RESOLVED,
            started_at=timezone.now() - timedelta(hours=2),
            resolved_at=timezone.now() - timedelta(hours=1),
            runbook=runbook,
        )
    )
    log_in(page, incident.get_absolute_url(), username="rita")
    feedback = page.locator("#feedback")
    feedback.get_by_label("Note (optional)").fill("the limit is in loki/values.yaml now")
    feedback.get_by_role("button", name="No").click()
    page.wait_for_url(f"**{incident.get_absolute_url()}#feedback")
    expect(page.locator(".messages")).to_contain_text("“No” is recorded for Loki ingester OOM")
    assert RunbookFeedback.objects.get().incident == incident

    page.goto("/runbooks/loki-oom/")
    section = page.locator("#feedback")
    expect(section).to_contain_text("0 yes · 0 partly · 1 no")
    expect(section).to_contain_text("“the limit is in loki/values.yaml now”")
    expect(section.get_by_role("link", name="Loki ingester OOMKilled")).to_have_attribute(
        "href", incident.get_absolute_url()
    )
    assert page.console_errors == [], page.console_errors


def test_an_alert_without_a_fitting_runbook_shows_its_postmortems(page):
    save_runbook("HomelabPodOOMKilled", {"namespace": "media"}, slug="jellyfin-oom", title="Jellyfin OOMKilled")
    save_document(
        "# 2026-02-24 Velero backups failed\n\n## Summary\n\n`HomelabPodOOMKilled` fired for velero at 02:10.\n",
        identity="2026-02-24-velero.md",
    )
    page.goto("/alerts/HomelabPodOOMKilled/?namespace=velero&container=velero")
    implicating = page.get_by_role("region", name="Post-mortems that implicate HomelabPodOOMKilled")
    implicating.get_by_role("link", name="2026-02-24 Velero backups failed").click()
    page.wait_for_url("**/postmortems/2026-02-24-velero/")
    expect(page.get_by_role("heading", level=1)).to_have_text("2026-02-24 Velero backups failed")
    assert page.console_errors == [], page.console_errors
