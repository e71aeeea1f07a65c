from django.contrib import admin
from django.urls import include, path, re_path

from kb import api
from kb.views import authoring, documents, incidents_edit, revisions

DOCUMENT = r"^(?P<kind>runbook|postmortem)s/(?P<slug>[-a-zA-Z0-9_]+)"

urlpatterns = [
    path("", documents.home, name="home"),
    # Writing (authoring): before the document pages, whose <slug> would take "new".
    path("accounts/", include("django.contrib.auth.urls")),
    path("postmortems/new/", authoring.postmortem_new, name="postmortem_new"),
    path("postmortems/<slug:slug>/edit/", authoring.postmortem_edit, name="postmortem_edit"),
    path("postmortems/<slug:slug>/follow-ups/<int:position>/status/", authoring.follow_up_status, name="follow_up_status"),
    path("postmortems/<slug:slug>.md", authoring.document_download, {"kind": "postmortem"}, name="postmortem_markdown"),
    path("runbooks/new/", authoring.runbook_new, name="runbook_new"),
    path("runbooks/<slug:slug>/edit/", authoring.runbook_edit, name="runbook_edit"),
    path("runbooks/<slug:slug>/resolutions/new/", authoring.resolution_new, name="resolution_new"),
    path("runbooks/<slug:slug>.md", authoring.document_download, {"kind": "runbook"}, name="runbook_markdown"),
    path("preview/postmortem/", authoring.postmortem_preview, name="postmortem_preview"),
    path("preview/runbook/", authoring.runbook_preview, name="runbook_preview"),
    path("incidents/new/", incidents_edit.incident_new, name="incident_new"),
    path("incidents/<int:pk>/edit/", incidents_edit.incident_edit, name="incident_edit"),
    re_path(rf"{DOCUMENT}/history/$", revisions.revision_list, name="revision_list"),
    re_path(rf"{DOCUMENT}/history/(?P<number>[0-9]+)/$", revisions.revision_detail, name="revision_detail"),
    re_path(rf"{DOCUMENT}/history/(?P<number>[0-9]+)/restore/$", revisions.revision_restore, name="revision_restore"),
    path("runbooks/<slug:slug>/", documents.runbook_detail, name="runbook_detail"),
    path("postmortems/<slug:slug>/", documents.postmortem_detail, name="postmortem_detail"),
    path("resolve/", documents.resolve_reference, name="resolve_reference"),
    path("api/runbooks", api.runbook_list),
    path("api/runbooks/<slug:slug>", api.runbook_detail),
    path("api/postmortems", api.postmortem_list),
    path("api/postmortems/<slug:slug>", api.postmortem_detail),
    path("api/alerts/<str:name>", api.alert_detail),
    path("admin/", admin.site.urls),
]
