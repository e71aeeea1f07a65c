"""A knowledge base upgraded to the lists' stored order (migration 0027) lists what it held before in the order it
showed: each document's place is filled in from its alert, date and title, on the engine under test."""

from datetime import date

import pytest

from tests.migration_support import migrated, migrated_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("kb", "0026_redundant_foreign_key_indexes_dropped")]


def store_before(apps) -> None:
    """Documents as the release before wrote them: no place in a list."""
    Alert, Runbook, PostMortem = (apps.get_model("kb", name) for name in ("Alert", "Runbook", "PostMortem"))
    zeta, alpha = Alert.objects.create(name="ZetaQueueStuck"), Alert.objects.create(name="alphaDiskFull")
    for slug, alert, title in [
        ("zeta", zeta, "Queue stuck"),
        ("free", None, "Restarting the NAS"),
        ("alpha-b", alpha, "Disk full on the backup host"),
        ("alpha-a", alpha, "Disk full"),
    ]:
        Runbook.objects.create(
            kind="runbook", slug=slug, identity=f"{slug}.md", title=title, source_text="", content_hash="", alert=alert
        )
    for slug, day in [("old", date(2024, 5, 1)), ("undated", None), ("new", date(2026, 2, 1))]:
        PostMortem.objects.create(
            kind="postmortem",
            slug=slug,
            identity=f"{slug}.md",
            title=f"Outage {slug}",
            source_text="",
            content_hash="",
            date=day,
        )


def test_documents_stored_before_the_upgrade_are_listed_in_order_after_it(client):
    store_before(migrated(BEFORE))
    try:
        migrated_to_latest()
        runbooks = [r["slug"] for r in client.get("/api/runbooks").json()["results"]]
        postmortems = [p["slug"] for p in client.get("/api/postmortems").json()["results"]]
    finally:
        migrated_to_latest()
    assert runbooks == ["alpha-a", "alpha-b", "zeta", "free"]
    assert postmortems == ["new", "old", "undated"]
