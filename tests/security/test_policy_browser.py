"""The site's own pages and the admin run under the Content-Security-Policy in Chromium: nothing of
theirs is refused (an inline script or style would be, and would log a violation)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def violations(page) -> list[str]:
    return [e for e in page.console_errors if "Content Security Policy" in e or "Refused" in e]


def test_the_admin_works_under_the_policy(page, django_user_model):
    ada = django_user_model.objects.create_superuser("ada", password="pw-ada-12345")
    page.goto("/admin/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "pw-ada-12345")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    for url in (
        "/admin/",
        "/admin/kb/runbook/",
        "/admin/kb/incident/add/",
        "/admin/kb/entity/",
        f"/admin/auth/user/{ada.pk}/change/",
    ):
        page.goto(url, wait_until="networkidle")
    # (The admin has no favicon link, so Chromium's guess at /favicon.ico is a 404: not a policy matter.)
    assert violations(page) == []


def test_the_editor_and_its_live_preview_work_under_the_policy(page, editor):
    page.goto("/accounts/login/?next=/runbooks/new/")
    page.get_by_label("Username").fill("erin")
    page.get_by_label("Password").fill("pw-erin-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/runbooks/new/")
    page.locator("form textarea").first.fill("# Disk full (NodeDiskFull)\n\n## Fix\n\nRun `df -h` **now**.\n")
    page.locator("#preview strong", has_text="now").wait_for()
    assert violations(page) == []
    assert page.console_errors == []
