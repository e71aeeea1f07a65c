"""Marks for the corpus suite: the tests that read ../shared (the seeds as shipped and the public corpus)."""

import pytest

# The corpus grew by six collections. The importer now reads them all (issue #10), and two checks over
# the whole corpus still fall short; strict, so each must be unmarked the day it passes.
xfail_search_quality = pytest.mark.xfail(
    strict=True,
    reason="issue #10: with the six new collections imported, top-1 on the operator query set is 88%, under its 90% bar",
)
xfail_editor_round_trip = pytest.mark.xfail(
    strict=True,
    reason="issue #10: the post-mortem editor's round trip drops the bold labels of post-mortems written as one "
    "list of bold labels (moj-cloud-platform)",
)
