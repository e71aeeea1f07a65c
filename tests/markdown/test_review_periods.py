"""A runbook's `review_in` as teams write it: "6 months", "90d", "2 weeks", "1 year"."""

from datetime import date

import pytest

from kb.markdown.dates import after_period


@pytest.mark.parametrize(
    "period, due",
    [
        ("90d", date(2026, 4, 1)),
        ("90 days", date(2026, 4, 1)),
        ("2 weeks", date(2026, 1, 15)),
        ("6 months", date(2026, 7, 1)),
        ("3 Months", date(2026, 4, 1)),
        ("1y", date(2027, 1, 1)),
    ],
)
def test_a_period_counts_from_the_last_review(period, due):
    assert after_period(date(2026, 1, 1), period) == due


def test_a_month_after_the_31st_is_the_last_day_of_a_shorter_month():
    assert after_period(date(2026, 1, 31), "1 month") == date(2026, 2, 28)


@pytest.mark.parametrize("period", ["", "soon", "quarterly", "6", "months"])
def test_what_is_not_a_period_gives_none(period):
    assert after_period(date(2026, 1, 1), period) is None
