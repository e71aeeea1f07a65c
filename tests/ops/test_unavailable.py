"""Which database errors are "the database is away" (503, retried) and which are a fault (500), on a real
PostgreSQL: the driver's own errors, not a second question to a server that may be restarting."""

import socket

import pytest
from django.db import OperationalError, connection, connections
from django.db.utils import ConnectionHandler

from kb.ops.unavailable import database_away

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's SQLSTATEs")


def _error_of(run) -> OperationalError:
    with pytest.raises(OperationalError) as raised:
        run()
    return raised.value


@pytest.mark.django_db
def test_a_query_the_server_cancels_is_a_fault_not_an_outage():
    def cancelled():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 10")
            cursor.execute("SELECT pg_sleep(1)")

    error = _error_of(cancelled)
    assert error.__cause__.sqlstate == "57014"  # query_canceled: an OperationalError, the server up
    assert not database_away(error)


@pytest.mark.django_db
def test_a_server_that_refuses_the_connection_is_away():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]  # nothing listens once the socket is closed
    settings = {**connections["default"].settings_dict, "PORT": closed_port, "HOST": "127.0.0.1"}
    handler = ConnectionHandler({"default": settings})
    try:
        error = _error_of(handler["default"].ensure_connection)
    finally:
        handler.close_all()
    assert error.__cause__.sqlstate is None  # the client could not connect: no server to give a state
    assert database_away(error)
