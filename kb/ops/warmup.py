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
from pathlib import Path

from django.conf import settings
from django.template.loader import get_template
from django.urls import get_resolver


def server_warm() -> int:
    """Compiles the site's templates into the template loaders' cache and builds the URL resolver; returns
    how many templates were compiled. `server_heap_frozen` comes after it."""
    get_resolver().url_patterns  # noqa: B018 -- imports the URL conf and every view module
    get_resolver()._populate()
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
