"""The pages in a real Chromium: copy buttons, alert links with labels, no console errors anywhere."""

import pytest
from playwright.sync_api import expect

from tests.pages_support import save_runbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RUNBOOK = "/runbooks/velero-oomkilled/"
ALERT_LINK = "/alerts/HomelabPodOOMKilled/?namespace=velero&container=velero&pod=velero-7d9f8-x2k4q"


def test_it_copies_a_command_to_the_clipboard(page, imported):
    page.goto(RUNBOOK)
    block = page.locator(".code-block").filter(has_text="cd ~/src/homelab-gitops")
    block.get_by_role("button", name="Copy this code").click()
    expect(block.get_by_role("button")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == (
        "cd ~/src/homelab-gitops\n"
        "git add clusters/prod/platform/velero/values.yaml\n"
        'git commit -m "velero: raise memory limit after OOM kills"\n'
        "git push"
    )
    assert page.console_errors == [], page.console_errors


def test_an_alert_link_lands_on_the_runbook_with_its_placeholders_filled(page, imported):
    page.goto(ALERT_LINK)
    assert page.url.endswith(RUNBOOK + "?namespace=velero&container=velero&pod=velero-7d9f8-x2k4q")
    filled = page.locator(".prose mark.filled").first
    assert filled.inner_text() == "velero-7d9f8-x2k4q"
    assert filled.get_attribute("title") == "from the alert's pod label"
    block = page.locator(".code-block").filter(has_text="Why did the last container exit?")
    block.get_by_role("button", name="Copy this code").click()
    expect(block.get_by_role("button")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "kubectl --context homelab-prod describe pod -n velero velero-7d9f8-x2k4q" in copied
    assert "<velero-pod-name>" not in copied
    assert page.console_errors == [], page.console_errors


def test_without_the_async_clipboard_it_copies_through_a_text_area(page, imported):
    # As on a plain-http intranet address, where navigator.clipboard does not exist.
    page.add_init_script(
        """
        Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined });
        const execCommand = document.execCommand.bind(document);
        document.execCommand = (command, ...rest) => {
          if (command === "copy") window.copiedText = document.activeElement.value;
          return execCommand(command, ...rest);
        };
        """
    )
    page.goto(RUNBOOK)
    button = page.locator(".code-block").filter(has_text="values.yaml").first.get_by_role("button")
    button.click()
    expect(button).not_to_have_text("Copy")
    assert page.evaluate("window.copiedText") == "clusters/prod/platform/velero/values.yaml"
    assert page.locator("textarea").count() == 0


def test_every_kind_of_page_loads_without_console_errors(page, imported):
    save_runbook("DiskFull", {"namespace": "db"}, slug="by-namespace")
    save_runbook("DiskFull", {"pod": "db-0"}, slug="by-pod")
    for url in [
        "/",
        "/runbooks/",
        RUNBOOK,
        ALERT_LINK,
        "/postmortems/",
        "/postmortems/kured-gate-oom/",
        "/incidents/",
        "/incidents/236/",
        "/alerts/DiskFull/?namespace=db&pod=db-0",
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("h1").count() == 1, url
        assert page.console_errors == [], (url, page.console_errors)


def test_the_unknown_alert_page_loads_its_assets(page, imported):
    response = page.goto("/alerts/HomelabPodOOM/?namespace=velero")
    assert response.status == 404
    assert (
        page.get_by_role("link", name="Log in to write the runbook").get_attribute("href")
        == "/accounts/login/?next=/runbooks/new/%3Falert%3DHomelabPodOOM%26namespace%3Dvelero"
    )
    expect(page.get_by_role("link", name="HomelabPodOOMKilled")).to_be_visible()
    # Only the page itself answered 404: the stylesheets and scripts loaded.
    assert [e for e in page.console_errors if "/static/" in e] == []
