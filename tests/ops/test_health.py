"""/healthz and /readyz: what a Kubernetes probe sees."""

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from kb.ops.health import readiness_forget

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_readiness():
    readiness_forget()
    yield
    readiness_forget()


def test_it_answers_healthz_without_asking_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_is_ready_when_the_database_answers_and_every_migration_is_applied(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_a_second_readiness_check_costs_one_query(client, django_assert_num_queries):
    client.get("/readyz")
    # SELECT 1; the migration plan was read by the first check and is not read again.
    with django_assert_num_queries(1):
        assert client.get("/readyz").status_code == 200


def test_it_is_not_ready_while_a_migration_is_missing_and_names_it(client):
    latest = MigrationRecorder(connection).migration_qs.filter(app="kb").order_by("-applied", "-id").first()
    MigrationRecorder(connection).migration_qs.filter(pk=latest.pk).delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert f"kb.{latest.name}" in response.json()["problem"]
    assert "manage.py migrate" in response.json()["problem"]


def test_probes_need_no_login_even_when_reading_does(client, settings):
    settings.KB_LOGIN_REQUIRED = True
    assert client.get("/runbooks/").status_code == 302
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_probes_are_never_cached(client):
    for path in ("/healthz", "/readyz"):
        assert "no-cache" in client.get(path)["Cache-Control"]


def test_probes_answer_on_the_pod_address_that_allowed_hosts_does_not_list(client, settings):
    settings.ALLOWED_HOSTS = ["kb.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path, HTTP_HOST="10.42.0.17:8000").status_code == 200, path
    assert client.get("/runbooks/", HTTP_HOST="10.42.0.17:8000").status_code == 400
