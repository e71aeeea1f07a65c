"""Request handling around the views: reading needs a login only when KB_LOGIN_REQUIRED is set
(writing always does, on the views); every request is counted and timed for /metrics by the name
of the view that answered; probes answer on any host; the client's address as the login rate
limit counts it; personal API tokens on the JSON API."""

import time
from functools import cache

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import JsonResponse
from django.urls import resolve, reverse

from kb.models import ApiToken
from kb.ops.metrics import UNRESOLVED_VIEW, request_observe
from kb.ops.unavailable import database_away, database_away_response


class RequestMetrics:
    """First in MIDDLEWARE, so that the time includes every other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        request_observe(
            view=match.view_name if match is not None else UNRESOLVED_VIEW,
            method=request.method if request.method in KNOWN_METHODS else "other",
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response


class DatabaseAway:
    """A view that found the database away (restarting, failing over) answers 503 with Retry-After, so that
    Alertmanager retries and readers are told it is temporary; errors outside views meet the same answer
    in kb.ops.unavailable.server_error (handler500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if database_away(exception):
            return database_away_response(request, exception)
        return None


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

PROBE_URL_NAMES = ("healthz", "readyz", "metrics")


class ProbesOnAnyHost:
    """/healthz, /readyz and /metrics answered before the Host header is checked or HTTPS enforced.

    The kubelet, Docker's HEALTHCHECK and Prometheus reach a pod by its IP address, which is not in
    DJANGO_ALLOWED_HOSTS, over plain HTTP. These views build no URL from the Host header (what
    ALLOWED_HOSTS protects), so they answer whatever it says; every other path is checked as usual.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in _probe_paths():
            match = resolve(request.path_info)
            request.resolver_match = match
            return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)


@cache
def _probe_paths() -> frozenset[str]:
    return frozenset(reverse(name) for name in PROBE_URL_NAMES)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The webhook has a bearer token of its own (KB_ALERTMANAGER_TOKEN).
TOKEN_PATHS, NOT_TOKEN_PATHS = "/api/", "/api/alertmanager"


class ApiTokens:
    """`Authorization: Bearer <personal API token>` on the JSON API: the request is its user's
    (so it reads with KB_LOGIN_REQUIRED on), without the CSRF check no browser needs here. An unknown
    or revoked token is a 401, a read-only token writing a 403. After AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        path = request.path_info
        if header[:7].lower() == "bearer " and path.startswith(TOKEN_PATHS) and not path.startswith(NOT_TOKEN_PATHS):
            token = ApiToken.authenticate(header[7:].strip())
            if token is None:
                return JsonResponse(
                    {"error": "unknown or revoked API token"}, status=401, headers={"WWW-Authenticate": "Bearer"}
                )
            if request.method not in SAFE_METHODS and not token.can_write:
                return JsonResponse({"error": "this API token may only read"}, status=403)
            request.user, request.api_token = token.user, token
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)


class LoginRequiredForReading(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, switched by the KB_LOGIN_REQUIRED setting.

    Views that must stay open (the login page, an Alertmanager webhook with its own token) are
    marked with `django.contrib.auth.decorators.login_not_required`.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.KB_LOGIN_REQUIRED:
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def client_address(request) -> str | None:
    """The address a request came from, for django-axes (AXES_CLIENT_IP_CALLABLE).

    Without a proxy (KB_TRUSTED_PROXIES=0) it is REMOTE_ADDR: X-Forwarded-For is ignored, since
    anyone can send it. Behind N proxies, each of which appends the address it was reached from,
    the client is the N-th address from the right; a shorter header means a request that did not
    come through them, and its REMOTE_ADDR counts.
    """
    proxies = settings.KB_TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
