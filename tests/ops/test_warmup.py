"""gunicorn's master compiles every template and the URL patterns before the workers fork (config/wsgi.py)."""

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
