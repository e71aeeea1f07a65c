"""Settings for the incident knowledge base, read from the environment.

Every variable is documented in `.env.example`. A bad value stops the start with
the variable's name, rather than running with a guess.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set (see .env.example)")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name, str(default))
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use True or False")


def env_int(name: str, default: int) -> int:
    raw = env_str(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


def env_url(name: str) -> str:
    """An http(s) address without its trailing slash, or "" when unset."""
    value = env_str(name, "").rstrip("/")
    if value and not value.startswith(("http://", "https://")):
        raise ImproperlyConfigured(f"{name}={value!r} is not an http:// or https:// address")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_networks(name: str, default: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from exc
    return networks


def env_database(name: str, default: str) -> dict:
    url = env_str(name, default)
    if not url.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise ImproperlyConfigured(
            f"{name}={url!r} is not supported: use sqlite:///path or postgres://user:pass@host:port/name"
        )
    try:
        # PostgreSQL: kept for the process's life (None), each checked before a request uses it (a restarted
        # server's is replaced). A new one forks a server process whose catalog caches start empty: the first
        # page read through it took 7-10 ms more (up to 50), what an operator opening an alert link after a
        # quiet minute paid when connections lasted 60 s.
        config = dj_database_url.parse(url, conn_max_age=None, conn_health_checks=True)
    except Exception as exc:  # the library raises several types for malformed URLs
        raise ImproperlyConfigured(f"{name}={url!r} cannot be parsed: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Kept open for the process's life, as on PostgreSQL: opening a WAL database (and, when the last connection
        # to it closes, its checkpoint) cost more than the rest of a cached page, which served 0.4x the
        # login page's requests/s under wrk; each gunicorn thread keeps its own, idle in autocommit. A connection
        # closed after a quiet minute (60 s, until round 8) made the next search read the schema and compile its
        # statements again (9 M instructions more at 12,000 documents). A file replaced under a kept connection is
        # noticed (kb.ops.sqlite_file).
        config["CONN_MAX_AGE"] = None
        # IMMEDIATE: a transaction that will write takes the lock when it starts, so two racing
        # saves queue up (and the version check refuses the second) instead of failing "locked".
        # timeout: how long a writer waits for the lock; an import or a burst of 1,000 alerts holds it
        # for seconds under load, past the driver's 5 s (tests/security/test_mixed_load.py).
        # No mmap_size: reading the file through a mapping spared the scale bench's 19 first searches their 5,591
        # read() calls (~1.7 us each), but each page a worker touches then counts in its RSS with the 15 around it
        # (the kernel maps 64 KB a fault): gunicorn's peak under wrk went from 206-208 to 548-664 MiB (PSS 118-124
        # to 248-278), past the pod's 256 MiB.
        config["OPTIONS"] = {
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    return config


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key" if DEBUG else None)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "http://localhost:8000,http://127.0.0.1:8000")

KB_LOGIN_REQUIRED = env_bool("KB_LOGIN_REQUIRED", False)
KB_BASE_URL = env_str("KB_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Alertmanager: the webhook's bearer token (the webhook refuses every delivery while it is empty),
# the address of Alertmanager's UI for silence links, and the rule files /coverage/ reads.
KB_ALERTMANAGER_TOKEN = env_str("KB_ALERTMANAGER_TOKEN", "")
if KB_ALERTMANAGER_TOKEN and len(KB_ALERTMANAGER_TOKEN) < 16:
    raise ImproperlyConfigured(
        f"KB_ALERTMANAGER_TOKEN is {len(KB_ALERTMANAGER_TOKEN)} characters long: use at least 16, "
        "e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    )
KB_ALERTMANAGER_URL = env_url("KB_ALERTMANAGER_URL")
KB_RULE_FILES = env_list("KB_RULE_FILES", "")
# A runbook without `review_in` in its front matter is due for review this many days after it was last
# reviewed (front matter `last_reviewed_on`) or, without that, last edited; overdue, it is flagged stale.
KB_RUNBOOK_REVIEW_DAYS = env_int("KB_RUNBOOK_REVIEW_DAYS", 180)
# Where the PromQL of a document opens: Prometheus' graph page and Grafana's Explore (with a data
# source's name or uid, else Grafana's default). Empty: no such links.
KB_PROMETHEUS_URL = env_url("KB_PROMETHEUS_URL")
KB_GRAFANA_URL = env_url("KB_GRAFANA_URL")
KB_GRAFANA_DATASOURCE = env_str("KB_GRAFANA_DATASOURCE", "")

# /metrics: open while both are empty; each one set must be satisfied (a bearer token, and/or the
# direct peer's address in one of the networks; X-Forwarded-For is not trusted).
KB_METRICS_TOKEN = env_str("KB_METRICS_TOKEN", "")
KB_METRICS_ALLOWED_IPS = env_networks("KB_METRICS_ALLOWED_IPS", "")

# Git as the source of the documents (README "Keep runbooks in Git"): the repository, its branch, the
# folders of documents in it, where it is cloned, its web UI for links, the push webhook's secret, and
# whether web edits are committed (and pushed) back.
KB_GIT_URL = env_str("KB_GIT_URL", "")
KB_GIT_BRANCH = env_str("KB_GIT_BRANCH", "main")
KB_GIT_PATHS = env_list("KB_GIT_PATHS", "")
KB_GIT_CACHE = Path(env_str("KB_GIT_CACHE", str(BASE_DIR / "git-cache")))
KB_GIT_TIMEOUT = env_int("KB_GIT_TIMEOUT", 300)
KB_GIT_WEB_URL = env_str("KB_GIT_WEB_URL", "")
if KB_GIT_WEB_URL and not ("{commit}" in KB_GIT_WEB_URL and "{path}" in KB_GIT_WEB_URL):
    raise ImproperlyConfigured(
        f"KB_GIT_WEB_URL={KB_GIT_WEB_URL!r} needs {{commit}} and {{path}}, "
        "e.g. https://github.com/org/repo/blob/{commit}/{path}"
    )
KB_GIT_WEBHOOK_SECRET = env_str("KB_GIT_WEBHOOK_SECRET", "")
if KB_GIT_WEBHOOK_SECRET and len(KB_GIT_WEBHOOK_SECRET) < 16:
    raise ImproperlyConfigured(
        f"KB_GIT_WEBHOOK_SECRET is {len(KB_GIT_WEBHOOK_SECRET)} characters long: use at least 16"
    )
KB_GIT_PUSH = env_bool("KB_GIT_PUSH", False)
KB_GIT_COMMIT = env_bool("KB_GIT_COMMIT", KB_GIT_PUSH)
if KB_GIT_COMMIT and not KB_GIT_URL:
    raise ImproperlyConfigured("KB_GIT_COMMIT/KB_GIT_PUSH need KB_GIT_URL: the repository to commit to")
KB_GIT_COMMITTER = env_str("KB_GIT_COMMITTER", "Knowledge base <kb@localhost>")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    "kb",
]

MIDDLEWARE = [
    "kb.middleware.RequestMetrics",
    "kb.middleware.DatabaseAway",
    "kb.middleware.ProbesOnAnyHost",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kb.middleware.ApiTokens",
    "kb.middleware.LoginRequiredForReading",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kb.context_processors.query_links",
            ],
            "builtins": ["kb.templatetags.dates"],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}

# One cache per worker, bounded: a document's linked HTML and the parts of a page every reader sees alike
# (kb.views), keyed by what they show, so that a write changes the key and nothing is invalidated by hand.
# MAX_ENTRIES bounds the memory (an entry is a fragment of a page, a few to some tens of KB).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "kb",
        "OPTIONS": {"MAX_ENTRIES": env_int("KB_CACHE_ENTRIES", 600)},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Security headers -----------------------------------------------------------------------
# No inline script, style or event handler anywhere: a script or style attribute that slips into
# a document's HTML is refused by the browser too. htmx runs with allowEval off (base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# Behind a TLS proxy (Caddy, Traefik, nginx) that sets X-Forwarded-Proto: https.
KB_HTTPS = env_bool("KB_HTTPS", False)
if KB_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = env_int("KB_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KB_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("KB_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds the whole registrable domain for good: its owner's call, not this app's.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Login attempts (django-axes) ------------------------------------------------------------
# After KB_LOGIN_FAILURE_LIMIT wrong passwords for one user name from one address, that pair is
# refused (429) for KB_LOGIN_COOLOFF_MINUTES. Others, and that user from elsewhere, can still log in.
AXES_FAILURE_LIMIT = env_int("KB_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KB_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client's address: REMOTE_ADDR, or behind KB_TRUSTED_PROXIES proxies the address they add to
# X-Forwarded-For (ignored when no proxy is declared: anyone can send that header).
KB_TRUSTED_PROXIES = env_int("KB_TRUSTED_PROXIES", 0)
AXES_CLIENT_IP_CALLABLE = "kb.middleware.client_address"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # Django's own "django" logger has a console handler of its own (under DEBUG) and propagates to
    # the root's: every request warning was printed twice. One handler, the root's, prints each event.
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}
