"""Lists of many values (an Alertmanager group's fingerprints, the incidents whose search rows a group replaces) are
sent to SQLite as one statement whatever their length: the driver keeps every statement it compiles for the
connection's life, a gunicorn worker's (kb.models.lookups)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from kb.models import Incident, SearchEntry

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


@pytest.fixture
def incidents() -> list[Incident]:
    return Incident.objects.bulk_create(
        Incident(
            reference=f"#{n}" if n % 2 else f"#Störung-{n}-🔥",
            title=f"Incident {n}",
            fingerprint=f"{n:016x}",
            started_at=START + timedelta(minutes=n),
        )
        for n in range(150)
    )


@pytest.mark.parametrize("many", [64, 100, 149])
def test_many_values_find_what_each_of_them_finds(incidents, many):
    chosen = incidents[:many]
    by_id = Incident.objects.filter(pk__in=[i.pk for i in chosen])
    by_reference = Incident.objects.filter(reference__in=[i.reference for i in chosen])
    by_key = Incident.objects.received([(i.fingerprint, i.started_at) for i in chosen])
    expected = sorted(i.pk for i in chosen)
    assert sorted(by_id.values_list("pk", flat=True)) == expected
    assert sorted(by_reference.values_list("pk", flat=True)) == expected  # non-ASCII letters and emoji too
    assert sorted(by_key.values_list("pk", flat=True)) == expected
    assert not Incident.objects.filter(reference__in=[f"#{n}-missing" for n in range(many)]).exists()


def test_a_related_objects_many_values_find_their_rows(incidents):
    SearchEntry.objects.bulk_create(
        SearchEntry(kind="incident", scope="whole", incident=i, url=f"/incidents/{i.pk}/", title=i.title)
        for i in incidents
    )
    chosen = incidents[10:110]
    found = SearchEntry.objects.filter(incident__in=chosen).values_list("incident_id", flat=True)
    assert sorted(found) == sorted(i.pk for i in chosen)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's driver keeps every statement it compiles")
def test_on_sqlite_the_statement_is_the_same_whatever_the_number_of_values(incidents):
    def statements(n: int) -> list[str]:
        ids = [i.pk for i in incidents[:n]]
        keys = [(i.fingerprint, i.started_at) for i in incidents[:n]]
        asked = (Incident.objects.filter(pk__in=ids), Incident.objects.received(keys))
        return [queryset.query.sql_with_params()[0] for queryset in asked]

    assert statements(100) == statements(101) == statements(149)
    assert all("json_each" in sql for sql in statements(100))
    assert not any("json_each" in sql for sql in statements(3)[:1])  # a few values: a parameter each, as before
