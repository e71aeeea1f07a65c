"""The pages' dates (`|day`, `|isoformat`, built into every template) show what `|date:"Y-m-d"` and `|date:'c'`
showed, for dates and for times in the current time zone, whichever it is."""

from datetime import UTC, date, datetime

from django.template import engines
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

ZONES = ["UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Chatham"]
TEMPLATE = engines["django"].from_string(
    """{{ value|day }}|{{ value|date:"Y-m-d" }}|{{ value|isoformat }}|{{ value|date:'c' }}"""
)


@given(
    moment=st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
    zone=st.sampled_from(ZONES),
)
def test_a_time_is_shown_as_the_date_filter_showed_it_in_the_current_time_zone(moment, zone):
    with timezone.override(zone):
        day, by_date, iso, by_c = TEMPLATE.render({"value": moment}).split("|")
    assert (day, iso) == (by_date, by_c)


@given(st.dates(min_value=date(1000, 1, 1)))
def test_a_date_is_shown_as_the_date_filter_showed_it(value):
    day, by_date, iso, by_c = TEMPLATE.render({"value": value}).split("|")
    assert (day, iso) == (by_date, by_c)


def test_no_date_shows_nothing():
    assert TEMPLATE.render({"value": None}) == "|||"
