"""What a server process compiles once before its workers fork (gunicorn's `preload_app`): every template
of the site and the URL patterns with the views they import. Each worker inherited none of it and paid it
on its first view of each kind of page (74 templates: ~200 ms in all, ~20-60 ms on the first runbook page),
the view a benchmark's p95 and an operator opening an alert link both meet.

What is loaded then is frozen out of the garbage collector's reach (`gc.freeze()`): the workers inherit
~100,000 objects that live as long as they do, and each worker's first full collection walked them all,
100 ms inside whichever request it fell in (a search's p95 on a small database was that request). Frozen,
they are never walked again, nor written to (the collector's bookkeeping): their pages stay shared with
the master rather than copied into each worker."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.template import engines
from django.template.loader import get_template
from django.urls import get_resolver
from django.utils.module_loading import import_string

# How long a worker's threads wait for each other to start before each warms anyway.
THREADS_START_S = 5.0

logger = logging.getLogger(__name__)


def server_warm() -> int:
    """Compiles the site's templates into the template loaders' cache, builds the URL resolver and imports what the
    settings name that Django imports at its first use (the context processors, the messages' storage, the sessions'
    serializer: each worker imported these 8 modules in its first request); returns how many templates were compiled.
    `server_heap_frozen` comes after it."""
    get_resolver().url_patterns  # noqa: B018 -- imports the URL conf and every view module
    get_resolver()._populate()
    engines["django"].engine.template_context_processors  # noqa: B018 -- imports them
    import_string(settings.MESSAGE_STORAGE)
    import_string(settings.SESSION_SERIALIZER)
    compiled = 0
    for directory in settings.TEMPLATES[0]["DIRS"]:
        for path in sorted(Path(directory).rglob("*.html")):
            get_template(path.relative_to(directory).as_posix())
            compiled += 1
    return compiled


def server_heap_frozen() -> int:
    """Moves every object the server process holds (Django, the compiled templates, the URL patterns) out of
    the garbage collector's generations, as Python's documentation advises before a fork without exec; returns
    how many. A worker's first full collection otherwise walked all of them: 55 ms inside one runbook page's
    first view, in process, and in each gunicorn worker (it also wrote to every page the workers share with
    the master). They live as long as the process anyway."""
    gc.collect()  # what is garbage already is not frozen with the rest
    gc.freeze()
    return gc.get_freeze_count()


def threads_warm(pool: Executor, *, threads: int, work: Callable[[], object]) -> None:
    """Runs `work` once on each of `threads` threads of a gunicorn worker's pool (gthread), now, rather than have the
    first request each thread answers pay what a first time costs; returns at once. Connections are kept, one a
    thread (settings.env_database), and the pool starts its second thread when a request arrives before the first
    is free again, even from one reader asking in turn: on PostgreSQL that request waited for a new connection
    (8-13 ms) and for its new backend to read the catalog entries of every table, index and text-search
    configuration its statements name (5-7 ms more of a search's CPU), the slowest of the bench's 19 first searches
    at 12,000 documents. Each task waits for the others to start, so that every thread takes one; a database that
    does not answer leaves the threads to try again in their first requests, as before."""
    started = threading.Barrier(threads)

    def warm() -> None:
        try:
            started.wait(timeout=THREADS_START_S)
        except threading.BrokenBarrierError:
            pass
        try:
            work()
        except DatabaseError:
            pass  # the database away: the thread connects in its first request, as it did without
        except Exception:
            logger.exception("A worker thread's warm-up failed")

    for _ in range(threads):
        pool.submit(warm)
