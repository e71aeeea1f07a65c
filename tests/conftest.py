import os
import shutil
from pathlib import Path

import pytest

from tests.authoring_support import SEED_POSTMORTEM, SEED_RUNBOOK

ROOT = Path(__file__).resolve().parents[1]
# KB_SHARED_DIR points elsewhere (e.g. at a missing folder) to check that the core suite needs no ../shared.
SHARED = Path(os.environ.get("KB_SHARED_DIR") or ROOT.parent / "shared")
EXAMPLES = ROOT / "examples"
IN_CI = os.environ.get("CI") == "true"


def require(path: Path, what: str) -> Path:
    """A path outside the project: skipped with a reason when absent, but a failure in CI."""
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{what} is missing at {path}; CI must have ../shared beside the checkout")
        pytest.skip(f"{what} not found at {path}")
    return path


def require_program(name: str, install: str) -> str:
    """A program outside the project, by its path: skipped with how to install it (`install`) when absent, but a
    failure in CI, which must have it (bin/test-all installs the Debian packages among them)."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is not installed: CI must have it ({install})")
        pytest.skip(f"{name} is not installed ({install})")
    return path


# The project's own seed documents, written in the style of ../shared/seeds: a runbook and a
# post-mortem that lost its newlines. The core suite runs on these; only the corpus suite reads ../shared.
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"


@pytest.fixture
def seeds() -> Path:
    return SEEDS


def _corpus_suite_only(request) -> None:
    # Without ../shared the core suite skips nothing, so whatever reads it must be in the corpus suite.
    if request.node.get_closest_marker("corpus") is None:
        pytest.fail(f"{request.node.nodeid} reads ../shared: mark it @pytest.mark.corpus")


@pytest.fixture
def shared_seeds(request) -> Path:
    """The seed documents as shipped in ../shared/seeds (corpus suite only)."""
    _corpus_suite_only(request)
    return require(SHARED / "seeds", "the seed documents")


@pytest.fixture
def corpus(request) -> Path:
    """The public documents in ../shared/corpus (corpus suite only)."""
    _corpus_suite_only(request)
    return require(SHARED / "corpus", "the shared corpus")


@pytest.fixture
def imported(seeds) -> None:
    """The project's two seed documents, imported as `manage.py import_docs` imports them."""
    from io import StringIO

    from django.core.management import call_command

    call_command("import_docs", str(seeds), stdout=StringIO())


@pytest.fixture
def seed_runbook(seeds) -> Path:
    return seeds / f"{SEED_RUNBOOK}.txt"


@pytest.fixture
def seed_postmortem(seeds) -> Path:
    return seeds / f"{SEED_POSTMORTEM}.txt"


@pytest.fixture(autouse=True)
def empty_page_cache():
    """Each test starts with an empty cache (kb.views caches parts of pages per worker, as in production)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker):
    """Pages run with DEBUG=False, as in production, so their static files must be collected, once: collecting
    deletes and writes again each hashed and compressed file, so a run collecting while another serves pages (`make
    test` runs the SQLite and PostgreSQL passes at once, into the same STATIC_ROOT) made WhiteNoise fail on a file
    gone. So a run collects only when a source file is newer than the manifest collecting writes last, one run at a
    time (a file lock): the other pass, waiting on the lock, then finds them current."""
    import fcntl

    from django.conf import settings
    from django.core.management import call_command

    root = Path(settings.STATIC_ROOT)
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / ".collectstatic.lock", "w") as lock, django_db_blocker.unblock():
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _static_collected(root):
            call_command("collectstatic", interactive=False, verbosity=0)


def _static_collected(root: Path) -> bool:
    """Whether `root` holds every static file as its finders find it now: its manifest newer than each of them."""
    from django.contrib.staticfiles import finders

    manifest = root / "staticfiles.json"
    if not manifest.exists():
        return False
    collected_at = manifest.stat().st_mtime
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            if Path(storage.path(path)).stat().st_mtime >= collected_at:
                return False
    return True


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download)."""
    executable = require_program("chromium", "apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    # CI runs both engines' passes side by side on two cores: a page may take seconds to settle, so
    # assertions wait on their condition for up to 15 s (Playwright's default is 5 s).
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    """A fresh browser tab on the live test server; `page.console_errors` collects what the page logged as errors."""
    # The live server answers /static/ from the source folders itself, so it cannot know hashed names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = browser.new_context(base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda message: tab.console_errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: tab.console_errors.append(str(error)))
    tab.on("response", lambda r: tab.console_errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)
    yield tab
    context.close()


# Personas: an editor (two, for races), a reader without rights, and a client logged in as the editor.
EDIT_PERMISSIONS = ("change_postmortem", "change_runbook", "change_incident")


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("erin", password="pw-erin-123")
    user.user_permissions.set(_permissions().filter(content_type__app_label="kb", codename__in=EDIT_PERMISSIONS))
    return user


@pytest.fixture
def other_editor(django_user_model):
    user = django_user_model.objects.create_user("oscar", password="pw-oscar-123")
    user.user_permissions.set(_permissions().filter(content_type__app_label="kb", codename__in=EDIT_PERMISSIONS))
    return user


@pytest.fixture
def reader(django_user_model):
    return django_user_model.objects.create_user("rita", password="pw-rita-123")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def _permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects
