"""The answer while the database is away (PostgreSQL restarting or failing over, a SQLite file gone or
locked past its timeout): 503 with Retry-After rather than the 500 page.

A view's error is answered by `kb.middleware.DatabaseAway` (one warning line logged, no traceback), an
error in a middleware by Django's `handler500` (config/urls.py): none gets the 500 page. A 503 says
"temporary": Alertmanager retries the delivery, a reader tries again in a few seconds, and the readiness
probe (/readyz, its own 503) takes the pod out meanwhile. A connection that failed is dropped at the end
of the request and made again by the next one, so the app recovers by itself when the database is back.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from kb.ops.health import database_answers

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def database_away(error: BaseException | None) -> bool:
    """Whether an error says the database is away (the connection refused, dropped, or the SQLite file gone
    or locked), not that the code or the schema is wrong: SQLite's "no such table" is an OperationalError
    too, and stays a 500. Asks the database once, on the error path only."""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    return "database is locked" in str(error) or not database_answers()


def server_error(request):
    """handler500: 503 when the database did not answer, else Django's own 500 page."""
    error = sys.exc_info()[1]
    if not database_away(error):
        return defaults.server_error(request)
    return database_away_response(request, error)


def database_away_response(request, error: Exception) -> HttpResponse:
    """503 with Retry-After: JSON on the API (the webhook's caller reads it), a short page elsewhere."""
    # One line, not a traceback per request: an outage of a few seconds is hundreds of requests.
    logger.warning("the database does not answer (%s: %s): 503 to %s", type(error).__name__, error, request.path)
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": "the database does not answer: retry in a few seconds"}, status=503)
    else:
        # No context processors and no request: they would ask the database for the user.
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
