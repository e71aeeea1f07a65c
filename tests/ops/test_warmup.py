"""gunicorn's master compiles every template and the URL patterns before the workers fork (config/wsgi.py)."""

import gc
from pathlib import Path

from django.template import engines

from kb.ops.warmup import server_warm
from tests.conftest import ROOT


def test_it_compiles_every_template_of_the_site_into_the_loaders_cache():
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert server_warm() == len(templates) > 50
    cached = engines["django"].engine.template_loaders[0]
    loader = getattr(cached, "loaders", [cached])[0]  # django-template-partials wraps the cached loader
    assert {str(Path(t).relative_to(ROOT / "templates")) for t in templates} <= set(loader.get_template_cache)


def test_it_leaves_what_the_workers_inherit_out_of_the_garbage_collectors_walks():
    try:
        server_warm()
        # A worker's full collection no longer walks (and copies the pages of) every template and module.
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
