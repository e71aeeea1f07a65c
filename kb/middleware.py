"""Reading needs a login only when KB_LOGIN_REQUIRED is set; writing always does (on the views)."""

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
