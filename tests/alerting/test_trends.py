"""The one-line summary of a resolution history: a pure function."""

from datetime import date

from kb.alerting.trends import Change, quantity, quantity_name, trend_line

HEADERS = ["Date", "Incident", "Old Limit", "New Limit", "Notes"]


def test_it_names_the_quantity_from_the_column_headers():
    assert quantity_name(HEADERS) == "limit"
    assert quantity_name(["Date", "Old Size", "New Size"]) == "size"
    assert quantity_name(["Before", "After"]) == "value"
    assert quantity_name(["Previous replicas", "Current replicas"]) == "replicas"


def test_it_compares_quantities_with_their_units():
    assert quantity("1Gi").value > quantity("512Mi").value
    assert quantity("2GB").value < quantity("2GiB").value
    assert quantity("500m").value < quantity("1").value
    assert quantity("3 replicas").dimension == "count"
    assert quantity("5m", time=True).value == 300
    assert quantity("v1.17") is None


def test_it_says_a_memory_limit_was_raised_twice():
    changes = [Change("512Mi", "1Gi", date(2026, 2, 24)), Change("1Gi", "2Gi", date(2026, 4, 1))]
    assert trend_line(headers=HEADERS, changes=changes) == "memory limit raised twice: 512Mi → 1Gi → 2Gi"


def test_it_orders_dated_rows_oldest_first():
    changes = [Change("1Gi", "2Gi", date(2026, 4, 1)), Change("512Mi", "1Gi", date(2026, 2, 24))]
    assert trend_line(headers=HEADERS, changes=changes) == "memory limit raised twice: 512Mi → 1Gi → 2Gi"


def test_it_calls_a_limit_in_millicores_a_cpu_limit():
    changes = [Change("500m", "1"), Change("1", "1500m")]
    assert trend_line(headers=HEADERS, changes=changes) == "CPU limit raised twice: 500m → 1 → 1500m"


def test_it_reports_changes_in_both_directions_and_unchanged_rows():
    headers = ["Date", "Old replicas", "New replicas"]
    changes = [Change("2", "4"), Change("4", "3"), Change("3", "3")]
    assert trend_line(headers=headers, changes=changes) == (
        "replicas changed twice (raised once, lowered once): 2 → 4 → 3; unchanged once"
    )


def test_it_says_when_the_value_never_changed():
    changes = [Change("50Gi", "50Gi")] * 3
    assert trend_line(headers=["Old Size", "New Size"], changes=changes) == "size unchanged at 50Gi in 3 entries"


def test_it_reads_durations_for_time_columns():
    changes = [Change("30s", "5m")]
    assert trend_line(headers=["Old timeout", "New timeout"], changes=changes) == "timeout raised once: 30s → 5m"


def test_it_describes_values_it_cannot_compare_as_changed():
    changes = [Change("v1.16", "v1.17"), Change("v1.17", "v1.18")]
    assert (
        trend_line(headers=["Old version", "New version"], changes=changes)
        == "version changed twice: v1.16 → v1.17 → v1.18"
    )


def test_it_has_nothing_to_say_without_values():
    assert trend_line(headers=["Date", "Notes"], changes=[Change("", "")]) is None
    assert trend_line(headers=HEADERS, changes=[]) is None
