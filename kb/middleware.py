"""Request handling around the views: reading needs a login only when KB_LOGIN_REQUIRED is set
(writing always does, on the views), and the client's address as the login rate limit counts it."""

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware


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
