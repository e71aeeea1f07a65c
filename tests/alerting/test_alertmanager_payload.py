"""Reading an Alertmanager webhook body: pure, no database."""

import json
from datetime import UTC, datetime

import pytest

from kb.alerting.webhook import PayloadError, parse_webhook, silence_url


def body(**alert) -> bytes:
    base = {
        "status": "firing",
        "labels": {"alertname": "DiskFull", "instance": "db-0"},
        "annotations": {},
        "startsAt": "2026-11-21T07:11:12.122947726Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": "aecb3ffbbb70cb79",
    }
    return json.dumps({"version": "4", "status": "firing", "alerts": [base | alert]}).encode()


def test_it_reads_nanoseconds_to_the_microsecond_and_year_one_as_not_ended():
    (alert,) = parse_webhook(body()).alerts
    assert alert.starts_at == datetime(2026, 11, 21, 7, 11, 12, 122947, tzinfo=UTC)
    assert alert.ends_at is None
    assert alert.key == ("aecb3ffbbb70cb79", alert.starts_at)


def test_a_time_with_an_offset_is_read_as_the_same_moment_in_utc():
    (alert,) = parse_webhook(body(startsAt="2026-11-21T08:11:12+01:00")).alerts
    assert alert.starts_at == datetime(2026, 11, 21, 7, 11, 12, tzinfo=UTC)


def test_a_resolved_alert_keeps_its_end_and_a_firing_one_ignores_a_stale_end():
    (resolved,) = parse_webhook(body(status="resolved", endsAt="2026-11-21T07:11:27Z")).alerts
    assert resolved.ends_at == datetime(2026, 11, 21, 7, 11, 27, tzinfo=UTC)
    (firing,) = parse_webhook(body(endsAt="2026-11-21T07:11:27Z")).alerts
    assert firing.ends_at is None


def test_only_http_generator_urls_are_kept():
    assert parse_webhook(body(generatorURL="javascript:alert(1)")).alerts[0].generator_url == ""
    assert parse_webhook(body(generatorURL="https://prom/graph")).alerts[0].generator_url == "https://prom/graph"


@pytest.mark.parametrize(
    "alert, error",
    [
        ({"status": "pending"}, "alerts[0].status is 'pending': expected 'firing' or 'resolved'"),
        ({"fingerprint": ""}, "alerts[0].fingerprint is missing"),
        ({"fingerprint": "f" * 65}, "alerts[0].fingerprint is longer than 64 characters"),
        ({"labels": {"instance": "db-0"}}, "alerts[0].labels.alertname is missing"),
        ({"labels": {"alertname": "A", "port": 9100}}, "alerts[0].labels.port must be a string"),
        ({"annotations": ["x"]}, "alerts[0].annotations must be an object of strings"),
        ({"startsAt": None}, "alerts[0].startsAt is missing"),
        ({"startsAt": "2026-11-21T07:11:12"}, "alerts[0].startsAt is '2026-11-21T07:11:12', without a time zone"),
        ({"startsAt": 1763709072}, "alerts[0].startsAt must be a string such as 2026-11-21T07:11:12Z"),
        ({"status": "resolved"}, "alerts[0] is resolved but its endsAt is not set"),
    ],
)
def test_a_bad_alert_names_its_field(alert, error):
    with pytest.raises(PayloadError) as failure:
        parse_webhook(body(**alert))
    assert str(failure.value) == error


def test_the_silence_form_link_escapes_matcher_values():
    url = silence_url(alertmanager_url="https://am.example.org/", labels={"b": 'say "hi"', "a": "x"}, comment="from kb")
    assert url == (
        "https://am.example.org/#/silences/new?filter=%7Ba%3D%22x%22%2Cb%3D%22say%20%5C%22hi%5C%22%22%7D&comment=from%20kb"
    )
