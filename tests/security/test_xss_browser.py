"""Hostile text in a real Chromium: every payload of tests/security/payloads.py, placed in imported
documents, the post-mortem and runbook forms' live previews, entity names and aliases, Alertmanager
labels and annotations, alert-link labels and search queries, on every page that shows them.

A page fails on any dialog, any request to a host a payload named (`xss-<n>.invalid`), any script
error or policy violation, and any element left able to run or fetch something (an event handler,
a `javascript:` URL, an iframe, an htmx attribute from a payload). The browser ignores the
Content-Security-Policy here, so the sanitiser is tested alone: the policy is the second wall.
"""

import json
import re
from io import StringIO
from urllib.parse import quote, urlencode

import pytest
from django.core.management import call_command
from django.test import Client

from kb.entities.curation import entity_alias_add, entity_create
from kb.models import Entity, Incident, PostMortem, Runbook
from tests.security.payloads import PAYLOADS, all_payloads, one_line, payload, postmortem_text, runbook_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALERT = "XssHostileInputFiring"
TOKEN = "xss-test-token-0123456789"
PAYLOAD_HOST = re.compile(r"xss-(\d+)\.invalid")
SHOWN = re.compile(r"alert\(|xss-\d+\.invalid|onerror=")
PAYLOAD_URL = re.compile(r"^[a-z]+://xss-\d+\.invalid\b")

# What is left in the page once it has loaded: anything that could still run or fetch.
AUDIT = r"""() => {
  const found = [];
  const urlAttributes = ["href", "src", "srcset", "action", "formaction", "data", "poster", "background", "xlink:href", "srcdoc", "content"];
  const show = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    const ours = (tag === "script" && el.src && new URL(el.src).origin === location.origin) ||
      (el.closest("head") && tag === "link" && new URL(el.href).origin === location.origin) ||
      (el.closest("head") && tag === "meta" && !el.httpEquiv);
    if (["script", "style", "iframe", "frame", "frameset", "object", "embed", "base", "link", "meta"].includes(tag) && !ours) {
      found.push("element " + show(el));
      continue;
    }
    for (const attribute of el.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value;
      const compact = value.replace(/[\s\u0000-\u001f]/g, "").toLowerCase();
      if (name.startsWith("on") || /^(data-)?hx-on/.test(name)) found.push("handler " + show(el));
      else if (urlAttributes.includes(name) && /^(javascript|vbscript|data):/.test(compact)) found.push("url " + show(el));
      else if (urlAttributes.includes(name) && /xss-\d+\.invalid/.test(value) && !(tag === "a" && name === "href")) found.push("fetch " + show(el));
      else if (/^(data-)?hx-/.test(name) && /xss-|alert|js:|javascript/i.test(value)) found.push("htmx " + show(el));
      else if (name === "style" && /url\(|expression|xss-/i.test(value)) found.push("style " + show(el));
    }
  }
  return found;
}"""


@pytest.fixture
def hostile(tmp_path, settings, django_user_model):
    """Every surface filled: documents (two revisions), entities, incidents from the webhook, users."""
    folder = tmp_path / "docs"
    (folder / "runbooks").mkdir(parents=True)
    (folder / "postmortems").mkdir()
    runbook_file = folder / "runbooks" / "hostile-runbook.md"
    runbook_file.write_text(runbook_text(ALERT))
    (folder / "postmortems" / "2026-06-01-hostile.md").write_text(postmortem_text())
    call_command("import_docs", str(folder), stdout=StringIO())
    # A second revision, so that the history shows a diff full of payloads.
    runbook_file.write_text(runbook_text(ALERT) + "\n## Later\n\n" + "\n\n".join(reversed(all_payloads())) + "\n")
    call_command("import_docs", str(folder), stdout=StringIO())

    # Named by a curator (the admin's path): the documents are read again for each new name.
    for n in range(0, len(PAYLOADS), 8):
        entity = entity_create(name=one_line(payload(n))[:300], kind="component")
        entity_alias_add(entity=entity, alias=one_line(payload(n + 1))[:300])

    settings.KB_ALERTMANAGER_TOKEN = TOKEN
    labels = {"alertname": ALERT, "namespace": "velero"} | {f"p{n}": payload(n) for n in range(len(PAYLOADS))}
    annotations = {
        "summary": one_line(payload(3)),
        "description": "\n".join(all_payloads()),
        "runbook_url": "javascript:alert(1000)",
        "dashboard": "http://xss-1000.invalid/",
    }
    alerts = [
        {
            "status": "firing",
            "labels": labels,
            "annotations": annotations,
            "startsAt": "2026-11-30T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "javascript:alert(1001)",
            "fingerprint": "a1b2c3d4e5f60001",
        },
        {
            "status": "firing",
            "labels": {"alertname": one_line(payload(9))[:100], "severity": payload(12)},
            "annotations": {"summary": payload(54)},
            "startsAt": "2026-11-30T11:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://xss-1002.invalid/",
            "fingerprint": "a1b2c3d4e5f60002",
        },
    ]
    body = {
        "version": "4",
        "groupKey": payload(0),
        "status": "firing",
        "receiver": payload(1),
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://xss-1003.invalid/",
        "alerts": alerts,
    }
    response = Client().post(
        "/api/alertmanager/", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2, response.json()

    admin = django_user_model.objects.create_superuser("ada", password="pw-ada-12345")
    return {"runbook": Runbook.objects.get(), "postmortem": PostMortem.objects.get(), "admin": admin}


class Watch:
    """What the payloads managed to do in one browser context."""

    def __init__(self, context):
        self.offences: list[str] = []
        self.where = ""
        context.route(PAYLOAD_URL, lambda route: route.abort())
        context.on("request", self.request)
        context.on("page", self.attach)

    def attach(self, page):
        page.on("dialog", self.dialog)
        page.on("console", self.console)
        page.on("pageerror", lambda error: self.offences.append(f"{self.where}: script error {error}"))

    def request(self, request):
        if PAYLOAD_URL.match(request.url) or request.url.startswith(("javascript:", "vbscript:")):
            self.offences.append(f"{self.where}: request to {request.url}")

    def dialog(self, dialog):
        self.offences.append(f"{self.where}: {dialog.type} dialog {dialog.message!r}")
        dialog.dismiss()

    def console(self, message):
        text = message.text
        if (
            PAYLOAD_HOST.search(text)
            or "Content Security Policy" in text
            or "htmx:" in text
            and message.type == "error"
        ):
            self.offences.append(f"{self.where}: console {message.type} {text[:200]}")


def visit(page, watch: Watch, url: str, *, shows_payloads: bool = True) -> None:
    watch.where = url
    page.goto(url, wait_until="networkidle")
    if shows_payloads and not SHOWN.search(page.locator("body").inner_text()):
        watch.offences.append(f"{url}: shows no payload, so it tests nothing")
    audit(page, watch)


def audit(page, watch: Watch) -> None:
    page.wait_for_timeout(150)  # a `load`-triggered htmx request or a timer would have started by now
    watch.offences += [f"{watch.where}: {found}" for found in page.evaluate(AUDIT)]


@pytest.fixture
def hostile_page(browser, live_server, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    watch = Watch(context)
    page = context.new_page()
    yield page, watch
    context.close()


def test_no_payload_runs_or_fetches_anything_on_any_page_that_shows_it(hostile, hostile_page):
    page, watch = hostile_page
    runbook, postmortem = hostile["runbook"], hostile["postmortem"]
    # The two from the webhook, and one that the runbook's resolution history named.
    incidents = list(Incident.objects.order_by("-pk")[:2]) + [Incident.objects.order_by("pk").first()]
    queries = [one_line(" ".join(all_payloads()[n : n + 8]))[:400] for n in range(0, len(PAYLOADS), 16)]
    alert_link = f"/alerts/{ALERT}/?" + urlencode(
        {"namespace": payload(0), "pod": payload(9), "container": payload(65)}
    )
    pages = [
        "/",
        runbook.get_absolute_url(),
        postmortem.get_absolute_url(),
        f"{runbook.get_absolute_url()}history/",
        f"{runbook.get_absolute_url()}history/1/",
        f"{postmortem.get_absolute_url()}history/",
        "/runbooks/",
        "/postmortems/",
        "/incidents/",
        *(incident.get_absolute_url() for incident in incidents),
        "/entities/",
        *(f"/entities/{quote(entity.name, safe='')}/" for entity in Entity.objects.filter(curated=True)[:3]),
        f"/entities/{ALERT}/",
        "/insights/",
        alert_link,
        *(f"/search/?{urlencode({'q': query})}" for query in queries),
    ]
    for url in pages:
        visit(page, watch, url)

    # Typed into the live search box: results arrive through htmx.
    visit(page, watch, "/")
    watch.where = "live search"
    page.locator("[data-search-box]").fill(one_line(payload(0) + " " + payload(65) + " " + ALERT))
    page.wait_for_load_state("networkidle")
    audit(page, watch)

    # The forms' live previews, logged in as an administrator, then the admin lists.
    page.goto("/admin/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "pw-ada-12345")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    visit(page, watch, "/postmortems/new/", shows_payloads=False)
    watch.where = "post-mortem preview"
    page.get_by_role("button", name="Add follow-up").click()
    page.get_by_role("button", name="Add lesson").click()
    fields = page.locator("form input[type=text]:visible, form textarea:visible")
    for index in range(fields.count()):
        fields.nth(index).fill(payload((index * 7) % len(PAYLOADS)) + "\n" + "\n".join(all_payloads()[index::5]))
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    audit(page, watch)
    assert page.locator("#preview").inner_text().strip(), "the post-mortem preview stayed empty"

    visit(page, watch, "/runbooks/new/", shows_payloads=False)
    watch.where = "runbook preview"
    page.locator("form textarea").first.fill(runbook_text(ALERT))
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    audit(page, watch)

    for model in (
        "runbook",
        "postmortem",
        "incident",
        "alert",
        "entity",
        "followup",
        "lesson",
        "resolutionentry",
        "section",
        "revision",
        "mention",
    ):
        visit(page, watch, f"/admin/kb/{model}/")
    visit(page, watch, f"/admin/kb/runbook/{runbook.pk}/change/")
    visit(page, watch, f"/admin/kb/incident/{incidents[0].pk}/change/")

    assert watch.offences == [], "\n".join(watch.offences)


def test_with_the_policy_enforced_hostile_pages_log_no_violation_and_htmx_still_works(page, tmp_path):
    (tmp_path / "hostile-runbook.md").write_text(runbook_text(ALERT))
    call_command("import_docs", str(tmp_path), stdout=StringIO())
    page.goto(Runbook.objects.get().get_absolute_url(), wait_until="networkidle")
    assert SHOWN.search(page.locator("main").inner_text())
    page.goto("/")
    page.locator("[data-search-box]").fill("hostile runbook")
    page.locator("#search-results a", has_text="Hostile runbook").first.wait_for()
    assert "/?q=hostile" in page.url, "htmx did not push the query into the address"
    # `<img src=x>` is a harmless relative image, so its 404 is the only error expected.
    errors = [e for e in page.console_errors if not re.search(r"/x\b|404 \(Not Found\)", e)]
    assert errors == [], errors
