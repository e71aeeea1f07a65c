from django.contrib import admin
from django.urls import path

from kb import api
from kb.views import coverage, documents, search, webhook

urlpatterns = [
    path("", search.home, name="home"),
    path("search/", search.home, name="search"),
    path("runbooks/<slug:slug>/", documents.runbook_detail, name="runbook_detail"),
    path("postmortems/<slug:slug>/", documents.postmortem_detail, name="postmortem_detail"),
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
    path("admin/", admin.site.urls),
]
