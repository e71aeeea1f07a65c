"""Reading an alert link: `/alerts/<name>/?namespace=velero&pod=velero-7d9` (the `runbook_url` annotation).

Pure functions, no database access. Alertmanager fills the query string from the alert's
labels; a link pasted by hand may hold anything, so whatever is not a usable label is
dropped rather than refused: this link must always lead somewhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlencode

LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
MAX_LABELS = 64
MAX_VALUE_LENGTH = 1024
MAX_ALERT_NAME_LENGTH = 200  # Alert.name's max_length


def labels_from_query(query: Mapping) -> dict[str, str]:
    """The labels of an alert link: valid label names with a value, the last value of a repeated name.

    `query` is a QueryDict (or any mapping of names to lists of values, or to values).
    Empty values (a label the alert did not have), values with NUL characters and very
    long values are left out.
    """
    labels: dict[str, str] = {}
    items = query.lists() if hasattr(query, "lists") else query.items()
    for name, values in items:
        value = values[-1] if isinstance(values, (list, tuple)) and values else values
        if not isinstance(value, str) or not LABEL_NAME.fullmatch(name):
            continue
        value = value.strip()
        if value and "\x00" not in value and len(value) <= MAX_VALUE_LENGTH:
            labels[name] = value
        if len(labels) >= MAX_LABELS:
            break
    return labels


def labels_query(labels: Mapping[str, str]) -> str:
    """`?namespace=velero&pod=x`, or "" when there are no labels."""
    return "?" + urlencode(labels) if labels else ""


def alert_name_from_path(raw: str) -> str | None:
    """The alert name of `/alerts/<raw>/`, or None when it cannot be an alert name at all."""
    name = raw.strip().strip("/").strip()
    if not name or "\x00" in name or len(name) > MAX_ALERT_NAME_LENGTH:
        return None
    return name
