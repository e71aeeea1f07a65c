"""The answer while the database is away (PostgreSQL restarting or failing over, a SQLite file gone or
locked past its timeout): 503 with Retry-After rather than the 500 page.

It is Django's `handler500` (config/urls.py), so it sees an error raised anywhere in the request, in a
middleware as in a view. A 503 says "temporary": Alertmanager retries the delivery, a reader tries again
in a few seconds, and the readiness probe (/readyz, its own 503) takes the pod out meanwhile. The
connection is dropped at the end of the request and made again by the next one (CONN_HEALTH_CHECKS),
so the app recovers by itself when the database is back.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

RETRY_AFTER_SECONDS = 5
DATABASE_AWAY = (OperationalError, InterfaceError)


def server_error(request):
    """handler500: 503 when the database did not answer, else Django's own 500 page."""
    if not isinstance(sys.exc_info()[1], DATABASE_AWAY):
        return defaults.server_error(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": "the database does not answer: retry in a few seconds"}, status=503)
    else:
        # No context processors and no request: they would ask the database for the user.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
