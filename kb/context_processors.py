"""What every page's template needs from the settings."""

from django.conf import settings


def query_links(request) -> dict:
    """Where the page's PromQL opens (`static/kb/kb.js` builds the links); empty values: no links."""
    return {
        "query_links": {
            "prometheus": settings.KB_PROMETHEUS_URL,
            "grafana": settings.KB_GRAFANA_URL,
            "grafana_datasource": settings.KB_GRAFANA_DATASOURCE,
        }
    }
