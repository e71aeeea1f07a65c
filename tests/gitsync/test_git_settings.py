"""The Git settings: a value that cannot work stops the start, naming the variable."""

import pytest

from tests.test_settings import start


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
def test_a_git_setting_that_cannot_work_stops_the_start(env, message):
    result = start(DJANGO_DEBUG="True", **env)
    assert result.returncode != 0
    assert message in result.stderr
