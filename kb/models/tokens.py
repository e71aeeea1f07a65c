"""Personal API tokens: how a script (a Grafana link, `annotate_rules`, a chat bot) reads the JSON
API when KB_LOGIN_REQUIRED is on, as the user who made the token.

Only a SHA-256 of the token is stored: the token itself is shown once, when it is made. A token
reads; it writes only when granted, and never more than its user may. Revoked tokens stay listed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "kb_"
# A token used again within this long keeps its recorded last use: not one write per request.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    # The token's first characters, to tell tokens apart in a list; never enough to use one.
    shown = models.CharField(max_length=12)
    can_write = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=~models.Q(name=""), name="api_token_name_not_empty")]

    def __str__(self) -> str:
        return f"{self.name} ({self.shown}…)"

    @classmethod
    def issue(cls, *, user, name: str, can_write: bool = False) -> tuple[ApiToken, str]:
        """A new token for `user`: the record, and the token itself (shown once, stored nowhere)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = cls.objects.create(
            user=user, name=name.strip(), digest=token_digest(token), shown=token[:8], can_write=can_write
        )
        return record, token

    @classmethod
    def authenticate(cls, token: str) -> ApiToken | None:
        """The live token `token` is, its use recorded; None when it is unknown or revoked."""
        found = (
            cls.objects.select_related("user")
            .filter(digest=token_digest(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is not None:
            now = timezone.now()
            if found.last_used_at is None or now - found.last_used_at > LAST_USED_PRECISION:
                cls.objects.filter(pk=found.pk).update(last_used_at=now)
                found.last_used_at = now
        return found

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    @property
    def active(self) -> bool:
        return self.revoked_at is None
