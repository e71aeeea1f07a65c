"""The Git settings: a value that cannot work stops the start, naming the variable."""

import runpy

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.conftest import ROOT


@pytest.mark.parametrize(
    "env, message",
    [
        (
            {"KB_GIT_WEB_URL": "https://github.com/ops/runbooks"},
            "KB_GIT_WEB_URL='https://github.com/ops/runbooks' needs {commit} and {path}",
        ),
        ({"KB_GIT_WEBHOOK_SECRET": "short"}, "KB_GIT_WEBHOOK_SECRET is 5 characters long"),
        ({"KB_GIT_PUSH": "True", "KB_GIT_URL": ""}, "KB_GIT_COMMIT/KB_GIT_PUSH need KB_GIT_URL"),
    ],
)
def test_a_git_setting_that_cannot_work_stops_the_start(monkeypatch, env, message):
    monkeypatch.setenv("DJANGO_DEBUG", "True")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # The settings file read afresh, as a start reads it (the running settings stay untouched).
    with pytest.raises(ImproperlyConfigured) as raised:
        runpy.run_path(str(ROOT / "config" / "settings.py"))
    assert message in str(raised.value)
