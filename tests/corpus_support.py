"""Marks for the corpus suite: the tests that read ../shared (the seeds as shipped and the public corpus)."""

import pytest
from django.db import connection

# The corpus grew by six collections; issue #10's work brought the editor round trip and, on SQLite, search
# quality back over their bars. On PostgreSQL search quality is still one query short: strict, so it must be
# unmarked the day it passes.
xfail_search_quality_on_postgresql = pytest.mark.xfail(
    condition=connection.vendor == "postgresql",
    strict=True,
    reason="issue #10: on PostgreSQL top-1 on the operator query set is 89.2% (58/65), under its 90% bar "
    "(SQLite: 90.8%)",
)
