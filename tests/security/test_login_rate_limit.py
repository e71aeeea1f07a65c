"""Wrong passwords are counted by django-axes per user name and address: after the limit that pair
is refused (429) even with the right password, until the cool-off passes; others are not."""

from datetime import timedelta

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def log_in(username: str, password: str, address: str = "192.0.2.10", **headers):
    return Client(REMOTE_ADDR=address, **headers).post("/accounts/login/", {"username": username, "password": password})


def fail(times: int, username: str = "erin", address: str = "192.0.2.10", **headers):
    for _ in range(times):
        log_in(username, "wrong-password", address, **headers)


def test_after_the_limit_even_the_right_password_is_refused_with_a_message(editor):
    fail(LIMIT - 1)
    assert log_in("erin", "wrong-password").status_code == 429
    response = log_in("erin", "pw-erin-123")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_below_the_limit_the_right_password_still_logs_in(editor):
    fail(LIMIT - 1)
    assert log_in("erin", "pw-erin-123").status_code == 302


def test_a_lockout_keeps_others_and_other_addresses_out_of_it(editor, other_editor):
    fail(LIMIT)
    assert log_in("oscar", "pw-oscar-123").status_code == 302
    assert log_in("erin", "pw-erin-123", address="198.51.100.7").status_code == 302


def test_the_lockout_ends_after_the_cool_off(editor, settings):
    fail(LIMIT)
    settings.AXES_COOLOFF_TIME = timedelta(seconds=0)
    assert log_in("erin", "pw-erin-123").status_code == 302


def test_the_admin_login_is_limited_too(editor):
    for _ in range(LIMIT):
        Client(REMOTE_ADDR="192.0.2.10").post("/admin/login/", {"username": "erin", "password": "nope"})
    assert (
        Client(REMOTE_ADDR="192.0.2.10")
        .post("/admin/login/", {"username": "erin", "password": "pw-erin-123"})
        .status_code
        == 429
    )


def test_without_a_declared_proxy_a_forged_forwarded_for_does_not_dodge_the_lockout(editor):
    for n in range(LIMIT):
        log_in("erin", "wrong-password", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert log_in("erin", "pw-erin-123", HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_behind_a_declared_proxy_each_client_address_is_counted_apart(editor, settings):
    settings.KB_TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"
    fail(LIMIT, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert log_in("erin", "pw-erin-123", proxy, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert log_in("erin", "pw-erin-123", proxy, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 302


def test_behind_a_proxy_an_address_forged_before_the_proxys_does_not_dodge_the_lockout(editor, settings):
    settings.KB_TRUSTED_PROXIES = 1
    for n in range(LIMIT):
        fail(1, address="10.0.0.2", HTTP_X_FORWARDED_FOR=f"198.18.0.{n}, 203.0.113.5")
    assert log_in("erin", "pw-erin-123", "10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
