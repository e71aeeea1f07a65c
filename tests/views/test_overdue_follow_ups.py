"""Follow-ups past their due date and still open are marked "overdue" and counted, not just "Open"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kb.models import FollowUp
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

URL = "/postmortems/ceph-osd-full/"


@pytest.fixture
def postmortem():
    today = timezone.localdate()
    long_ago, next_month = today - timedelta(days=120), today + timedelta(days=30)
    return save_document(
        f"""
        ---
        slug: ceph-osd-full
        ---
        # 2026-03-02 Ceph OSD full

        ## Summary

        An OSD filled up and the pool went read-only.

        ## Action items

        | Action | Owner | Due | Status |
        |--------|-------|-----|--------|
        | Alert at 75% OSD usage | @mara | {long_ago:%Y-%m-%d} | Open |
        | Add a fourth OSD | @jon | {next_month:%Y-%m-%d} | Open |
        | Rebalance the pool | @jon | {long_ago:%Y-%m-%d} | Done |
        """,
        identity="ceph-osd-full.md",
    )


def test_the_import_read_the_due_dates(postmortem):
    assert [(f.status, f.overdue) for f in FollowUp.objects.order_by("position")] == [
        ("open", True),
        ("open", False),
        ("done", False),
    ]


def test_the_postmortem_page_marks_and_counts_the_overdue_follow_up(client, postmortem):
    html = client.get(URL).content.decode()
    assert "2 open (1 overdue) of 3" in html
    assert html.count('<span class="badge overdue">overdue</span>') == 1
    assert html.index("overdue</span>") < html.index("Alert at 75% OSD usage") < html.index("Add a fourth OSD")


def test_the_home_page_counts_overdue_follow_ups_and_links_to_them(client, postmortem):
    html = client.get("/").content.decode()
    assert '<a href="/insights/#open-follow-ups">1 follow-up past its due date</a>' in html


def test_the_home_page_says_nothing_of_overdue_follow_ups_when_none_is(client):
    assert "past its due date" not in client.get("/").content.decode()


def test_insights_count_and_mark_the_overdue_follow_ups(client, postmortem):
    html = client.get("/insights/").content.decode()
    assert "Open follow-ups, oldest first (2, " in html and "1 overdue</span>)" in html
    marked = html[html.index('<span class="badge overdue">') :]
    assert "Alert at 75% OSD usage" in marked[:200]
    api = client.get("/api/insights").json()
    assert api["overdue_follow_ups"] == 1
    assert [f["overdue"] for f in api["open_follow_ups"]] == [True, False]


def test_the_api_says_which_follow_up_is_overdue(client, postmortem):
    follow_ups = client.get("/api/postmortems/ceph-osd-full").json()["follow_ups"]
    assert [f["overdue"] for f in follow_ups] == [True, False, False]
