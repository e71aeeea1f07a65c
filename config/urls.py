from django.contrib import admin
from django.urls import path

from kb import api
from kb.views import documents, entities, insights

urlpatterns = [
    path("", documents.home, name="home"),
    path("runbooks/<slug:slug>/", documents.runbook_detail, name="runbook_detail"),
    path("postmortems/<slug:slug>/", documents.postmortem_detail, name="postmortem_detail"),
    path("resolve/", documents.resolve_reference, name="resolve_reference"),
    path("api/runbooks", api.runbook_list),
    path("api/runbooks/<slug:slug>", api.runbook_detail),
    path("api/postmortems", api.postmortem_list),
    path("api/postmortems/<slug:slug>", api.postmortem_detail),
    path("api/alerts/<str:name>", api.alert_detail),
    path("entities/", entities.entity_list, name="entity_list"),
    path("entities/<path:name>/", entities.entity_detail, name="entity_detail"),
    path("insights/", insights.insights, name="insights"),
    path("api/entities", api.entity_list),
    path("api/entities/<path:name>", api.entity_detail),
    path("api/insights", api.insights),
    path("admin/", admin.site.urls),
]
