"""The Alertmanager settings stop the start on a bad value, naming the variable."""

import pytest

from tests.test_settings import start


@pytest.mark.parametrize(
    "env, message",
    [
        ({"KB_ALERTMANAGER_TOKEN": "short"}, "KB_ALERTMANAGER_TOKEN is 5 characters long: use at least 16"),
        (
            {"KB_ALERTMANAGER_URL": "alertmanager:9093"},
            "KB_ALERTMANAGER_URL='alertmanager:9093' is not an http:// or https:// address",
        ),
    ],
)
def test_a_bad_alertmanager_setting_names_the_variable(env, message):
    result = start(DJANGO_DEBUG="True", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_it_starts_with_a_token_an_address_and_rule_files():
    result = start(
        DJANGO_DEBUG="True",
        KB_ALERTMANAGER_TOKEN="x" * 32,
        KB_ALERTMANAGER_URL="https://am.example.org/",
        KB_RULE_FILES="rules/*.yaml, other.yml",
    )
    assert result.returncode == 0, result.stderr
