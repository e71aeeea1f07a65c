"""`manage.py check --deploy` is clean under the production settings: DEBUG off, a real secret
key and KB_HTTPS=True behind a TLS proxy. On plain HTTP it names exactly what HTTPS would fix."""

import os
import re
import subprocess
import sys

from tests.conftest import ROOT

PRODUCTION = {
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": "x7Qp2vLr9sTz4Kw8Nb3Yc6Hd1Jf5Mg0Ra2Ue7Io9Pk4Sl6Vn8Xq3Wt5Zy1Bh",
    "DJANGO_ALLOWED_HOSTS": "kb.example.org",
}


def deploy_check(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "KB_"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **PRODUCTION, **env},
        capture_output=True,
        text=True,
    )


def test_the_deploy_check_is_clean_behind_a_tls_proxy():
    result = deploy_check(KB_HTTPS="True")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_on_plain_http_the_deploy_check_names_only_what_https_would_fix():
    result = deploy_check(KB_HTTPS="False")
    assert result.returncode != 0
    assert sorted(set(re.findall(r"security\.W\d+", result.stderr))) == [
        "security.W004",  # HSTS
        "security.W008",  # redirect to HTTPS
        "security.W012",  # session cookie over HTTPS only
        "security.W016",  # CSRF cookie over HTTPS only
    ]


def test_a_bad_https_value_names_the_variable():
    result = deploy_check(KB_HTTPS="perhaps")
    assert result.returncode != 0
    assert "KB_HTTPS='perhaps' is not a boolean" in result.stderr


def test_a_bad_number_names_the_variable():
    result = deploy_check(KB_LOGIN_FAILURE_LIMIT="five")
    assert result.returncode != 0
    assert "KB_LOGIN_FAILURE_LIMIT='five' is not a whole number" in result.stderr
