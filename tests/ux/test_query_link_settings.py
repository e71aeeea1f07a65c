"""KB_PROMETHEUS_URL and KB_GRAFANA_URL: where the pages open PromQL; a bad address stops the start, naming it."""

import pytest

from tests.test_settings import start


@pytest.mark.parametrize("name", ["KB_PROMETHEUS_URL", "KB_GRAFANA_URL"])
def test_an_address_that_is_not_http_stops_the_start_naming_the_variable(name):
    result = start(DJANGO_DEBUG="True", **{name: "prometheus:9090"})
    assert result.returncode != 0
    assert f"{name}='prometheus:9090' is not an http:// or https:// address" in result.stderr


@pytest.mark.django_db
def test_every_page_tells_its_script_where_queries_open_only_when_set(client, settings):
    settings.KB_PROMETHEUS_URL = "https://prometheus.example.org"
    settings.KB_GRAFANA_URL = "https://grafana.example.org"
    settings.KB_GRAFANA_DATASOURCE = ""
    body = client.get("/runbooks/").content.decode()
    assert 'data-prometheus-url="https://prometheus.example.org"' in body
    assert 'data-grafana-url="https://grafana.example.org"' in body
    assert "data-grafana-datasource" not in body

    settings.KB_PROMETHEUS_URL = settings.KB_GRAFANA_URL = ""
    body = client.get("/runbooks/").content.decode()
    assert "data-prometheus-url" not in body and "data-grafana-url" not in body
