from django.contrib import admin
from django.urls import path

from kb import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("runbooks/<slug:slug>/", views.runbook_detail, name="runbook_detail"),
    path("postmortems/<slug:slug>/", views.postmortem_detail, name="postmortem_detail"),
    path("resolve/", views.resolve_reference, name="resolve_reference"),
    path("api/runbooks", api.runbook_list),
    path("api/runbooks/<slug:slug>", api.runbook_detail),
    path("api/postmortems", api.postmortem_list),
    path("api/postmortems/<slug:slug>", api.postmortem_detail),
    path("api/alerts/<str:name>", api.alert_detail),
    path("admin/", admin.site.urls),
]
