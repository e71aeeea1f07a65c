"""SQLite connections are kept between requests (settings: CONN_MAX_AGE), and a kept connection reads and
writes the file it opened, whatever is at the database's path now: a file restored or replaced, or a volume
gone, would go on being served from the old one. Each request first checks that the path still names the
file the connection opened (one `stat`), else closes the connection: the request opens the file there now,
or answers 503 when there is none (kb.ops.unavailable)."""

from __future__ import annotations

import os

from django.core.signals import request_started
from django.db import connections
from django.db.backends.signals import connection_created


def _identity(path: str) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _opened(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        connection.kb_file = _identity(str(connection.settings_dict["NAME"]))


def _check_files(**kwargs) -> None:
    for connection in connections.all(initialized_only=True):
        opened = getattr(connection, "kb_file", None)
        if connection.connection is not None and opened is not None:
            if _identity(str(connection.settings_dict["NAME"])) != opened:
                connection.close()


def sqlite_file_watch() -> None:
    """Connected once, from the app's ready()."""
    connection_created.connect(_opened, dispatch_uid="kb-sqlite-file-opened")
    request_started.connect(_check_files, dispatch_uid="kb-sqlite-file-check")
