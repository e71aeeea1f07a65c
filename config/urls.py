from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("kb.urls")),
]

# While the database is away: 503 with Retry-After (Alertmanager retries), never the 500 page.
handler500 = "kb.ops.unavailable.server_error"
