"""Reading needs a login only when KB_LOGIN_REQUIRED is set; writing always does (on the views).
Every request is counted and timed for /metrics, by the name of the view that answered."""

import time

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware

from kb.ops.metrics import UNRESOLVED_VIEW, request_observe


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


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class LoginRequiredForReading(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, switched by the KB_LOGIN_REQUIRED setting.

    Views that must stay open (the login page, an Alertmanager webhook with its own token) are
    marked with `django.contrib.auth.decorators.login_not_required`.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.KB_LOGIN_REQUIRED:
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
