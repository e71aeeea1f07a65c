"""Writing in a real Chromium: the post-mortem form with its live preview and in-place rows, a
conflict between two tabs, a resolution row, a follow-up toggle, a revision diff and restore."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from kb.models import PostMortem, Runbook
from tests.authoring_support import SEED_POSTMORTEM, SEED_RUNBOOK, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def still_same_page(page) -> bool:
    return page.evaluate("window.kbNoReload === true")


def test_it_writes_a_postmortem_with_live_preview_and_follow_ups_added_and_removed_in_place(page, editor):
    log_in(page, "/postmortems/new/")
    page.evaluate("window.kbNoReload = true")
    page.get_by_label("Title").fill("Traefik answered 502 after a bad deploy")
    expect(page.locator("#preview h1")).to_have_text("Traefik answered 502 after a bad deploy")
    page.get_by_label("Summary").fill("A middleware typo sent **every** route to a dead service.")
    expect(page.locator("#preview strong")).to_have_text("every")
    page.get_by_label("Date").fill("2026-07-09")
    page.get_by_label("Severity", exact=True).select_option("SEV2")

    page.get_by_role("button", name="Add follow-up").click()
    page.get_by_role("button", name="Add follow-up").click()
    expect(page.locator("#follow-ups .list-row")).to_have_count(2)
    page.get_by_label("Follow-up 1", exact=True).fill("Validate middleware names in CI")
    page.get_by_label("Owner of follow-up 1").fill("erin")
    page.get_by_label("Follow-up 2", exact=True).fill("A throwaway follow-up")
    expect(page.locator("#preview")).to_contain_text("A throwaway follow-up")
    page.get_by_role("button", name="Remove follow-up 2").click()
    expect(page.locator("#follow-ups .list-row")).to_have_count(1)
    expect(page.locator("#preview")).not_to_contain_text("A throwaway follow-up")
    expect(page.locator("#id_follow_ups-0-text")).to_have_value("Validate middleware names in CI")
    page.get_by_role("button", name="Add lesson").click()
    page.get_by_label("Lesson 1", exact=True).fill("A typo can take every route down")
    expect(page.locator("#preview")).to_contain_text("Validate middleware names in CI")
    assert still_same_page(page), "adding and removing rows reloaded the page"

    page.get_by_role("button", name="Save post-mortem").click()
    page.wait_for_url("**/postmortems/traefik-answered-502-after-a-bad-deploy/")
    expect(page.locator(".follow-ups")).to_contain_text("Validate middleware names in CI")
    postmortem = PostMortem.objects.get()
    assert (str(postmortem.date), postmortem.severity) == ("2026-07-09", "SEV2")
    assert list(postmortem.follow_ups.values_list("text", "owner")) == [("Validate middleware names in CI", "erin")]
    assert page.console_errors == [], page.console_errors


def test_a_bad_date_is_explained_next_to_the_field(page, editor):
    log_in(page, "/postmortems/new/")
    page.get_by_label("Title").fill("Something broke")
    page.get_by_label("Date").evaluate("(input) => input.type = 'text'")
    page.get_by_label("Date").fill("last tuesday")
    page.get_by_role("button", name="Save post-mortem").click()
    expect(page.locator("#id_date_error")).to_have_text("Write the date as YYYY-MM-DD, for example 2026-05-31.")
    expect(page.get_by_label("Title")).to_have_value("Something broke")
    assert PostMortem.objects.count() == 0


def test_a_stale_save_from_a_second_tab_is_refused_and_its_text_kept(page, editor, seeds):
    call_command("import_docs", str(seeds), stdout=StringIO())
    url = f"/postmortems/{SEED_POSTMORTEM}/edit/"
    log_in(page, url)
    second = page.context.new_page()
    second.goto(url)

    page.get_by_label("Status", exact=True).fill("Closed in the first tab")
    page.get_by_role("button", name="Save post-mortem").click()
    page.wait_for_url(f"**/postmortems/{SEED_POSTMORTEM}/")

    second.get_by_label("Summary").fill("Rewritten in the second tab.")
    second.get_by_role("button", name="Save post-mortem").click()
    expect(second.get_by_role("heading", name=re.compile("changed while you were editing"))).to_be_visible()
    expect(second.locator(".diff-removed", has_text="Closed in the first tab")).to_be_visible()
    expect(second.get_by_label("Summary")).to_have_value("Rewritten in the second tab.")
    assert PostMortem.objects.get().status == "Closed in the first tab"

    second.get_by_label("Status", exact=True).fill("Closed in the first tab")
    second.get_by_role("button", name="Save post-mortem").click()
    second.wait_for_url(f"**/postmortems/{SEED_POSTMORTEM}/")
    saved = PostMortem.objects.get()
    assert (saved.status, saved.summary, saved.version) == (
        "Closed in the first tab",
        "Rewritten in the second tab.",
        3,
    )
    assert [e for e in page.console_errors + getattr(second, "console_errors", []) if "409" not in e] == []


def test_a_resolution_row_added_from_the_form_shows_on_the_runbook(page, editor, seeds):
    call_command("import_docs", str(seeds), stdout=StringIO())
    log_in(page, f"/runbooks/{SEED_RUNBOOK}/")
    page.get_by_role("link", name="Add resolution").click()
    page.get_by_label("Date").fill("2026-03-01")
    page.get_by_label("Incidents").fill("#240")
    page.get_by_label("Old value").fill("1Gi")
    page.get_by_label("New value").fill("2Gi")
    page.get_by_label("Notes").fill("OOM during the weekly full backup")
    page.get_by_role("button", name="Add resolution").click()
    page.wait_for_url(re.compile(rf".*/runbooks/{SEED_RUNBOOK}/#resolution-history$"))
    expect(
        page.get_by_role("row", name=re.compile("2026-03-01 #240 1Gi 2Gi OOM during the weekly full backup"))
    ).to_be_visible()
    assert Runbook.objects.get().resolution_entries.count() == 2
    assert page.console_errors == [], page.console_errors


def test_a_follow_up_is_ticked_in_place(page, editor, seeds):
    call_command("import_docs", str(seeds), stdout=StringIO())
    log_in(page, f"/postmortems/{SEED_POSTMORTEM}/")
    page.evaluate("window.kbNoReload = true")
    page.get_by_role("button", name=re.compile("^Mark done: Offsite Synology NAS")).click()
    expect(page.get_by_role("button", name=re.compile("^Reopen: Offsite Synology NAS"))).to_have_attribute(
        "aria-pressed", "true"
    )
    assert still_same_page(page)
    assert [f.status for f in PostMortem.objects.get().follow_ups.all()] == ["open", "done"]
    assert page.console_errors == [], page.console_errors


def test_revisions_are_compared_in_place_and_restored(page, editor, seeds):
    call_command("import_docs", str(seeds), stdout=StringIO())
    log_in(page, f"/runbooks/{SEED_RUNBOOK}/edit/")
    markdown = page.get_by_label("Markdown")
    markdown.fill(markdown.input_value().replace("1. Go to 2Gi", "1. Go to 3Gi"))
    expect(page.locator("#preview")).to_contain_text("Go to 3Gi")
    page.get_by_role("button", name="Save runbook").click()
    page.wait_for_url(f"**/runbooks/{SEED_RUNBOOK}/")

    page.get_by_role("link", name="History", exact=True).click()
    expect(page.locator(".diff-added")).to_have_text("+1. Go to 3Gi and watch a week of backups")
    page.evaluate("window.kbNoReload = true")
    page.get_by_label("Compare revision").select_option("2")
    expect(page.locator("#diff")).to_contain_text("No differences.")
    assert still_same_page(page)

    page.get_by_role("link", name="1", exact=True).click()
    page.get_by_role("button", name="Restore this revision").click()
    page.wait_for_url(f"**/runbooks/{SEED_RUNBOOK}/")
    runbook = Runbook.objects.get()
    assert "Go to 2Gi" in runbook.source_text and runbook.version == 3
    assert page.console_errors == [], page.console_errors
