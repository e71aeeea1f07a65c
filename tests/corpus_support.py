"""Marks for the corpus suite: the tests that read ../shared (the seeds as shipped and the public corpus)."""

import pytest

# The corpus grew by six collections whose styles the importer does not understand yet. These tests
# keep the whole corpus in view and fail until issue #10 lands; strict, so they must then be unmarked.
xfail_issue_10 = pytest.mark.xfail(
    strict=True,
    reason="issue #10 (understand every post-mortem and runbook style): "
    "the importer refuses or skips the new corpus collections",
)
