"""bench/scaling/tasks.urls: the lists' deepest pages the scale bench times are their last pages, not one past."""

import pytest

from kb.documents.importing import import_paths
from kb.models import Runbook
from tests.documents.test_import_queries import runbook

pytestmark = pytest.mark.django_db


def _runbooks(folder, first: int, count: int) -> None:
    for n in range(first, first + count):
        (folder / f"queue-lag-{n}.md").write_text(runbook(f"Shard{n}QueueLagHigh", rows=0, steps=1))


def test_the_last_page_timed_holds_the_last_runbooks(tmp_path):
    from bench.scaling import tasks
    from kb.views.documents import DOCUMENTS_PER_PAGE

    _runbooks(tmp_path, 0, DOCUMENTS_PER_PAGE)
    import_paths([tmp_path])
    assert Runbook.objects.count() == DOCUMENTS_PER_PAGE
    assert tasks.urls()["lists"][:2] == ["/runbooks/?page=1", "/runbooks/?page=1"]

    _runbooks(tmp_path, DOCUMENTS_PER_PAGE, 1)
    import_paths([tmp_path])
    assert tasks.urls()["lists"][:2] == ["/runbooks/?page=1", "/runbooks/?page=2"]
