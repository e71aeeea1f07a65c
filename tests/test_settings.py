"""Settings come from the environment and a bad value stops the start, naming the variable."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def start(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_it_starts_with_debug_and_no_secret_key():
    result = start(DJANGO_DEBUG="True")
    assert result.returncode == 0, result.stderr


def test_without_debug_a_secret_key_is_required():
    result = start(DJANGO_DEBUG="False")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG='maybe' is not a boolean"),
        ({"DJANGO_DEBUG": "True", "DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL='mysql://x@y/z' is not supported"),
        ({"DJANGO_DEBUG": "True", "KB_LOGIN_REQUIRED": "sometimes"}, "KB_LOGIN_REQUIRED='sometimes' is not a boolean"),
    ],
)
def test_a_bad_value_names_the_variable(env, message):
    result = start(**env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize("debug", ["True", "False"])
def test_a_server_log_line_is_printed_once(debug):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    code = (
        "import logging;"
        "logging.getLogger('django.request').warning('Not Found: /nowhere/');"
        "logging.getLogger('kb.views.webhook').warning('webhook refused')"
    )
    env = {**clean, "DJANGO_DEBUG": debug, "DJANGO_SECRET_KEY": "x" * 50}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout + result.stderr
    assert printed.count("Not Found: /nowhere/") == 1
    assert printed.count("webhook refused") == 1


def test_it_keeps_the_sqlite_connection_for_the_process_life(monkeypatch):
    from config.settings import env_database

    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/kb.sqlite3")
    assert env_database("DATABASE_URL", "")["CONN_MAX_AGE"] is None


def test_it_keeps_postgresql_connections_for_the_process_life_checked_before_each_request(monkeypatch):
    from config.settings import env_database

    monkeypatch.setenv("DATABASE_URL", "postgres://kb@127.0.0.1:5432/kb")
    config = env_database("DATABASE_URL", "")
    assert config["CONN_MAX_AGE"] is None
    assert config["CONN_HEALTH_CHECKS"] is True
