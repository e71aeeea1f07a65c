"""Every page is sent with a Content-Security-Policy that refuses inline scripts, inline styles
and eval, and with the headers that stop sniffing, framing and leaking the address elsewhere."""

import re

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/search/?q=oom",
    "/runbooks/",
    "/postmortems/",
    "/incidents/",
    "/insights/",
    "/entities/",
    "/coverage/",
    "/accounts/login/",
    "/admin/login/",
    "/no-such-page/",
]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("url", PAGES)
def test_every_page_refuses_inline_script_inline_style_and_eval(client, url):
    policy = directives(client.get(url))
    for directive in ("script-src", "style-src"):
        assert policy[directive] == ["'self'"], (url, directive, policy[directive])
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_forbids_sniffing_framing_and_cross_site_referrers(client, url):
    response = client.get(url)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_json_api_and_the_webhook_answers_carry_the_headers_too(client):
    for response in (
        client.get("/api/runbooks"),
        client.post("/api/alertmanager/", "{}", content_type="application/json"),
    ):
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event handler attribute"),
    (re.compile(r"\shx-on[:-]", re.I), "hx-on code"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def test_no_template_holds_code_or_style_the_policy_would_refuse():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert found == []


def test_htmx_is_configured_to_run_without_eval_or_injected_styles(client):
    page = client.get("/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']+)\'>', page)
    assert config, "base.html lost its htmx-config meta tag"
    assert '"allowEval": false' in config.group(1)
    assert '"includeIndicatorStyles": false' in config.group(1)
