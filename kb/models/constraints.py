"""What the models named case-insensitively share: one name per spelling whatever its case, never empty."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


def name_constraints(prefix: str) -> list[models.BaseConstraint]:
    """`<prefix>_unique_ci`, the name unique regardless of case, and `<prefix>_not_empty`."""
    return [
        models.UniqueConstraint(Lower("name"), name=f"{prefix}_unique_ci"),
        models.CheckConstraint(condition=~Q(name=""), name=f"{prefix}_not_empty"),
    ]
