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


# SQLSTATE classes of PostgreSQL saying the server is away, not the query wrong: connection exceptions,
# too many connections, and shutting down / crashed / starting up (57P01-57P03).
AWAY_SQLSTATES = ("08", "53300", "57P")


def database_away(error: BaseException | None) -> bool:
    """Whether an error says the database is away (the connection refused, dropped, or the SQLite file gone
    or locked), not that the code or the schema is wrong: SQLite's "no such table" is an OperationalError
    too, and stays a 500.

    PostgreSQL's driver says which it is: no SQLSTATE (the client could not make or keep the connection),
    or one of AWAY_SQLSTATES. Asking the server again instead raced its restart: a request refused with
    "the database system is starting up" found it up a moment later, and answered 500. SQLite's errors
    say less: there the database is asked once, on the error path only."""
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    cause = error.__cause__
    if type(cause).__module__.startswith("psycopg"):
        sqlstate = getattr(cause, "sqlstate", None)
        return sqlstate is None or sqlstate.startswith(AWAY_SQLSTATES)
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
