from django.contrib import admin
from django.urls import path, re_path

from kb import api
from kb.views import alerts, coverage, documents, entities, incidents, insights, search, webhook

urlpatterns = [
    path("", search.home, name="home"),
    path("search/", search.home, name="search"),
    path("runbooks/", documents.runbook_list, name="runbook_list"),
    path("runbooks/<slug:slug>/", documents.runbook_detail, name="runbook_detail"),
    path("postmortems/", documents.postmortem_list, name="postmortem_list"),
    path("postmortems/<slug:slug>/", documents.postmortem_detail, name="postmortem_detail"),
    path("incidents/", incidents.incident_list, name="incident_list"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident_detail"),
    # The runbook_url of every alert: any name (even with `/` from a `%2F`), the trailing slash optional.
    re_path(r"^alerts/(?P<name>.+?)/?$", alerts.alert_runbook, name="alert_runbook"),
    path("resolve/", documents.resolve_reference, name="resolve_reference"),
    path("api/runbooks", api.runbook_list),
    path("api/runbooks/<slug:slug>", api.runbook_detail),
    path("api/postmortems", api.postmortem_list),
    path("api/postmortems/<slug:slug>", api.postmortem_detail),
    path("api/alerts/<str:name>", api.alert_detail),
    path("api/alertmanager/", webhook.alertmanager, name="alertmanager_webhook"),
    path("api/alertmanager", webhook.alertmanager),
    path("coverage/", coverage.coverage, name="coverage"),
    path("api/search", api.search_results),
    path("entities/", entities.entity_list, name="entity_list"),
    path("entities/<path:name>/", entities.entity_detail, name="entity_detail"),
    path("insights/", insights.insights, name="insights"),
    path("api/entities", api.entity_list),
    path("api/entities/<path:name>", api.entity_detail),
    path("api/insights", api.insights),
    path("admin/", admin.site.urls),
]
