"""The push webhook of Gitea, Forgejo, GitHub and GitLab: whose signature a delivery carries, and
whether it is a push to the synced branch.

Gitea and Forgejo sign the body with HMAC-SHA256 in hex (`X-Gitea-Signature`, `X-Forgejo-Signature`),
GitHub the same prefixed `sha256=` (`X-Hub-Signature-256`); GitLab sends the secret itself
(`X-Gitlab-Token`). Every comparison takes constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

SIGNATURE_HEADERS = (
    ("X-Forgejo-Signature", "forgejo", ""),
    ("X-Gitea-Signature", "gitea", ""),
    ("X-Hub-Signature-256", "github", "sha256="),
)
EVENT_HEADERS = ("X-Forgejo-Event", "X-Gitea-Event", "X-GitHub-Event", "X-Gitlab-Event")


class PushError(Exception):
    """The delivery is signed but not a readable push; the message names what is wrong."""


def webhook_forge(*, headers: Mapping[str, str], body: bytes, secret: str) -> str | None:
    """The forge whose signature or token matches the secret; None when the delivery carries none that does."""
    if not secret:
        return None
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    for header, forge, prefix in SIGNATURE_HEADERS:
        if header in headers:
            given = headers[header].strip()
            matches = given.startswith(prefix) and hmac.compare_digest(given[len(prefix) :].lower(), expected)
            return forge if matches else None
    if "X-Gitlab-Token" in headers:
        return "gitlab" if hmac.compare_digest(headers["X-Gitlab-Token"].encode(), secret.encode()) else None
    return None


def pushed_branch(*, headers: Mapping[str, str], body: bytes) -> str | None:
    """The branch a push delivery is about; None for another event (a ping, a tag, an issue)."""
    event = next((headers[h] for h in EVENT_HEADERS if h in headers), "push")
    if event.lower() not in ("push", "push hook"):
        return None
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PushError(f"the body is not JSON: {exc}") from None
    ref = payload.get("ref") if isinstance(payload, dict) else None
    if not isinstance(ref, str):
        raise PushError("no `ref` field: not a push event")
    return ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
