"""`export_site`: the knowledge base as static files that work without it.

Each page is asked of the site itself (Django's test client, so it is exactly the page the server
shows), then its links are made relative: a link to another exported page points at that page's
`index.html`, a static file at its copy, anything else (an edit form, the admin) at the live site.
Pagefind then indexes the main part of every document, incident and entity page.
"""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.utils import timezone

from kb.models import Document, DocumentKind, Entity, Incident

HOST = "offline-export.invalid"
LIST_PAGES = ["/runbooks/", "/postmortems/", "/notes/", "/incidents/", "/entities/"]
LINK = re.compile(r'(?P<attr>\b(?:href|src|action))="(?P<url>/[^"/][^"]*|/)"')
# Logging in means nothing in a copy: the menu (a span with no span inside) goes.
USER_MENU = re.compile(r'<span class="user-menu">(?:(?!<span).)*?</span>', re.S)
SEARCH_SCRIPT = Path(__file__).with_name("site-search.js")


class SiteError(Exception):
    """The export could not be finished; the message says which page or step."""


@dataclass
class SiteReport:
    pages: int = 0
    indexed: int = 0
    static_files: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.pages} pages written ({self.indexed} searchable), {self.static_files} static files"


def site_export(*, directory: Path, pagefind: bool = True) -> SiteReport:
    directory.mkdir(parents=True, exist_ok=True)
    report = SiteReport()
    searchable = _searchable_pages()
    pages = LIST_PAGES + searchable
    exported = set(pages) | {"/"}
    static: set[str] = set()
    with override_settings(ALLOWED_HOSTS=[HOST], KB_LOGIN_REQUIRED=False, SECURE_SSL_REDIRECT=False):
        client = Client(HTTP_HOST=HOST)
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                report.warnings.append(f"{url}: answered {response.status_code}, not written")
                continue
            html = response.content.decode()
            if url in searchable:
                html = html.replace('<main id="main">', '<main id="main" data-pagefind-body>', 1)
            _write(directory, url, html, exported, static)
            report.pages += 1
    report.indexed = len(searchable)
    _write(directory, "/", _index_page(), exported, static)
    report.pages += 1
    report.static_files = _copy_static(directory, static, report)
    shutil.copyfile(SEARCH_SCRIPT, directory / SEARCH_SCRIPT.name)
    if pagefind:
        _pagefind(directory)
    return report


def _searchable_pages() -> list[str]:
    documents = Document.objects.filter(archived=False, kind__in=DocumentKind.values).order_by("kind", "slug")
    pages = [document.get_absolute_url() for document in documents]
    pages += [incident.get_absolute_url() for incident in Incident.objects.order_by("pk")]
    pages += [entity.get_absolute_url() for entity in Entity.objects.order_by("name")]
    return list(dict.fromkeys(pages))


def _index_page() -> str:
    counts = {
        "runbooks": Document.objects.filter(archived=False, kind=DocumentKind.RUNBOOK).count(),
        "postmortems": Document.objects.filter(archived=False, kind=DocumentKind.POSTMORTEM).count(),
        "notes": Document.objects.filter(archived=False, kind=DocumentKind.NOTE).count(),
        "incidents": Incident.objects.count(),
    }
    return render_to_string(
        "kb/offline_index.html",
        {"counts": counts, "base_url": settings.KB_BASE_URL, "exported_at": timezone.now()},
    )


def file_of(url: str) -> str:
    """The file a page's URL is written to, relative to the site: `/runbooks/x/` → `runbooks/x/index.html`."""
    path = unquote(urlsplit(url).path).lstrip("/")
    if not path or path.endswith("/"):
        path += "index.html"
    return path


def _write(directory: Path, url: str, html: str, exported: set[str], static: set[str]) -> None:
    here = file_of(url)

    def relative(match: re.Match) -> str:
        attr, target = match["attr"], match["url"].replace("&amp;", "&")
        parts = urlsplit(target)
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        if parts.path.startswith(settings.STATIC_URL):
            name = parts.path.removeprefix(settings.STATIC_URL)
            static.add(name)
            link = posixpath.relpath(f"static/{unquote(name)}", posixpath.dirname(here) or ".")
        elif parts.path == "/search/":  # the search box of every page: the offline search page
            link = posixpath.relpath("index.html", posixpath.dirname(here) or ".")
        elif parts.path in exported and not parts.query:
            link = posixpath.relpath(file_of(parts.path), posixpath.dirname(here) or ".") + fragment
        else:
            return f'{attr}="{settings.KB_BASE_URL}{match["url"]}"'
        return f'{attr}="{link}"'

    html = USER_MENU.sub("", html)
    target = directory / here
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(LINK.sub(relative, html), encoding="utf-8")


def _copy_static(directory: Path, names: set[str], report: SiteReport) -> int:
    copied = 0
    for name in sorted(names):
        name = unquote(name)
        source = Path(settings.STATIC_ROOT) / name if settings.STATIC_ROOT else None
        if source is None or not source.is_file():
            found = finders.find(name)
            source = Path(found) if found else None
        if source is None:
            report.warnings.append(f"static file {name} not found (run collectstatic)")
            continue
        target = directory / "static" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        copied += 1
    return copied


def _pagefind(directory: Path) -> None:
    command = [sys.executable, "-m", "pagefind_bin", "--site", str(directory), "--keep-index-url", "--silent"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SiteError(f"pagefind could not run: {exc}") from exc
    if result.returncode != 0:
        raise SiteError(f"pagefind failed ({result.returncode}): {(result.stderr or result.stdout).strip()}")
