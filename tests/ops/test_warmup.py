"""gunicorn's master compiles every template and the URL patterns before the workers fork (config/wsgi.py); each
worker's threads search once before its first request (deploy/gunicorn.conf.py)."""

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.template import engines

from kb.ops.warmup import server_warm, threads_warm
from tests.conftest import ROOT


def test_it_compiles_every_template_of_the_site_into_the_loaders_cache():
    templates = sorted((ROOT / "templates").rglob("*.html"))
    assert server_warm() == len(templates) > 50
    cached = engines["django"].engine.template_loaders[0]
    loader = getattr(cached, "loaders", [cached])[0]  # django-template-partials wraps the cached loader
    assert {str(Path(t).relative_to(ROOT / "templates")) for t in templates} <= set(loader.get_template_cache)


def test_it_leaves_the_server_process_nothing_for_a_full_collection_to_walk(tmp_path):
    # What gunicorn's master loads (config/wsgi.py), in a process of its own: the workers it forks inherit a
    # heap their first full collection no longer walks (38 ms in process before).
    code = "import gc, config.wsgi; gc.collect(); print(gc.get_freeze_count(), len(gc.get_objects()))"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "warmup-test-secret-key",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
    }
    frozen, tracked = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    ).stdout.split()
    assert int(frozen) > 50_000
    assert int(tracked) < 1_000


def test_a_worker_s_first_request_imports_no_module_the_server_process_could_have(tmp_path):
    # The messages' storage and the sessions' serializer are imported by Django at their first use: in gunicorn's
    # master (config/wsgi.py), not in each worker's first request.
    code = (
        "import sys, config.wsgi; from django.test import Client; loaded = set(sys.modules);"
        " Client(HTTP_HOST='127.0.0.1').get('/accounts/login/'); print(sorted(set(sys.modules) - loaded))"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "warmup-test-secret-key",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
    }
    imported = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    ).stdout.split("\n")[-2]
    assert imported == "[]"


def test_each_thread_of_a_worker_runs_the_warm_up_once_before_answering_a_request():
    warmed = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        threads_warm(pool, threads=2, work=lambda: warmed.append(threading.get_ident()))
        # Two threads, each with its connection opened: the pool starts no third for the first requests.
        first_requests = [pool.submit(threading.get_ident) for _ in range(4)]
        answered = {future.result() for future in first_requests}
    assert len(warmed) == len(set(warmed)) == 2
    assert answered <= set(warmed)


def test_a_warm_up_that_fails_is_logged_and_the_threads_answer_as_usual(caplog):
    def broken():
        raise ValueError("no such query")

    with ThreadPoolExecutor(max_workers=2) as pool:
        threads_warm(pool, threads=2, work=broken)
        assert pool.submit(lambda: "answered").result(timeout=10) == "answered"
    assert [record.exc_info[1].args for record in caplog.records] == [("no such query",)] * 2
