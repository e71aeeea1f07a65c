"""Every URL of the knowledge base, grouped by area. Literal paths are a contract: alert rules,
chat bots and bookmarks hold them (the `runbook_url` of every alert above all)."""

from django.urls import include, path, re_path

from kb.views import (
    alerts,
    api,
    authoring,
    coverage,
    documents,
    entities,
    feedback,
    hooks,
    incidents,
    incidents_edit,
    insights,
    ops,
    revisions,
    search,
    tokens,
    webhook,
)

DOCUMENT = r"^(?P<kind>runbook|postmortem|note)s/(?P<slug>[-a-zA-Z0-9_]+)"

search_urls = [
    path("", search.home, name="home"),
    path("search/", search.home, name="search"),
]

# Writing: before the document pages, whose <slug> would take "new".
authoring_urls = [
    path("accounts/tokens/", tokens.token_list, name="token_list"),
    path("accounts/tokens/<int:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("postmortems/new/", authoring.postmortem_new, name="postmortem_new"),
    path("postmortems/<slug:slug>/edit/", authoring.postmortem_edit, name="postmortem_edit"),
    path(
        "postmortems/<slug:slug>/follow-ups/<int:position>/status/", authoring.follow_up_status, name="follow_up_status"
    ),
    path("postmortems/<slug:slug>.md", authoring.document_download, {"kind": "postmortem"}, name="postmortem_markdown"),
    path("runbooks/new/", authoring.runbook_new, name="runbook_new"),
    path("runbooks/<slug:slug>/edit/", authoring.runbook_edit, name="runbook_edit"),
    path("runbooks/<slug:slug>/resolutions/new/", authoring.resolution_new, name="resolution_new"),
    path("runbooks/<slug:slug>/feedback/", feedback.runbook_feedback, name="runbook_feedback"),
    path("runbooks/<slug:slug>.md", authoring.document_download, {"kind": "runbook"}, name="runbook_markdown"),
    path("notes/<slug:slug>.md", authoring.document_download, {"kind": "note"}, name="note_markdown"),
    path("preview/postmortem/", authoring.postmortem_preview, name="postmortem_preview"),
    path("preview/runbook/", authoring.runbook_preview, name="runbook_preview"),
    path("incidents/new/", incidents_edit.incident_new, name="incident_new"),
    path("incidents/received/<int:pk>/edit/", incidents_edit.incident_edit, name="incident_edit_received"),
    path("incidents/<str:key>/edit/", incidents_edit.incident_edit, name="incident_edit"),
]

documents_urls = [
    re_path(rf"{DOCUMENT}/history/$", revisions.revision_list, name="revision_list"),
    re_path(rf"{DOCUMENT}/history/(?P<number>[0-9]+)/$", revisions.revision_detail, name="revision_detail"),
    re_path(rf"{DOCUMENT}/history/(?P<number>[0-9]+)/restore/$", revisions.revision_restore, name="revision_restore"),
    path("runbooks/", documents.runbook_list, name="runbook_list"),
    path("runbooks/<slug:slug>/", documents.runbook_detail, name="runbook_detail"),
    path("postmortems/", documents.postmortem_list, name="postmortem_list"),
    path("postmortems/<slug:slug>/", documents.postmortem_detail, name="postmortem_detail"),
    path("notes/", documents.note_list, name="note_list"),
    path("notes/<slug:slug>/", documents.note_detail, name="note_detail"),
    path("resolve/", documents.resolve_reference, name="resolve_reference"),
]

alerting_urls = [
    path("incidents/", incidents.incident_list, name="incident_list"),
    # `#236` at /incidents/236/; incidents without a reference (Alertmanager's, by hand) under received/.
    path("incidents/received/<int:pk>/", incidents.incident_detail, name="incident_detail_received"),
    path("incidents/<str:key>/", incidents.incident_detail, name="incident_detail"),
    # The runbook_url of every alert: any name (even with `/` from a `%2F`), the trailing slash optional.
    re_path(r"^alerts/(?P<name>.+?)/?$", alerts.alert_runbook, name="alert_runbook"),
    path("api/alertmanager/", webhook.alertmanager, name="alertmanager_webhook"),
    path("api/alertmanager", webhook.alertmanager),
    path("coverage/", coverage.coverage, name="coverage"),
]

# A forge's push webhook (Gitea, Forgejo, GitHub, GitLab): a sync of the Git repository.
gitsync_urls = [path("hooks/git/", hooks.git_push, name="git_webhook")]

entities_urls = [
    path("entities/", entities.entity_list, name="entity_list"),
    path("entities/<path:name>/", entities.entity_detail, name="entity_detail"),
    path("insights/", insights.insights, name="insights"),
    path("insights/<slug:name>/", insights.insight_list, name="insight_list"),
]

api_urls = [
    path("api/runbooks", api.runbook_list),
    path("api/runbooks/<slug:slug>", api.runbook_detail),
    path("api/postmortems", api.postmortem_list),
    path("api/postmortems/<slug:slug>", api.postmortem_detail),
    path("api/notes", api.note_list),
    path("api/notes/<slug:slug>", api.note_detail),
    path("api/alerts/<path:name>", api.alert_detail),  # Icinga checks name paths: "… on /var/lib/postgresql"
    path("api/search", api.search_results),
    path("api/entities", api.entity_list),
    path("api/entities/<path:name>", api.entity_detail),
    path("api/insights", api.insights),
]

# Probes and Prometheus: the Deployment's probes and the PrometheusRule in deploy/kubernetes hold these paths.
ops_urls = [
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
]

urlpatterns = (
    ops_urls + search_urls + authoring_urls + documents_urls + alerting_urls + gitsync_urls + entities_urls + api_urls
)
