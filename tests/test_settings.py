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
