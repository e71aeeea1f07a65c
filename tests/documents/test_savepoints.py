"""A savepoint taken only when its block sends a statement (kb.models.savepoints, on PostgreSQL): a failing block
leaves what `atomic` leaves, its statements rolled back and its on-commit work dropped, whether it sent any or not."""

import pytest
from django.db import connection, transaction

from kb.models import Alert
from kb.models.savepoints import savepoint_if_sending

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="on SQLite it is `atomic` itself"),
]


def test_a_failing_block_leaves_neither_its_rows_nor_its_on_commit_work(django_capture_on_commit_callbacks):
    Alert.objects.create(name="KeptBefore")
    with django_capture_on_commit_callbacks() as callbacks:
        for sends in (False, True):
            with pytest.raises(ValueError), savepoint_if_sending():
                if sends:
                    Alert.objects.create(name="GoneWithTheBlock")
                transaction.on_commit(lambda: None)
                raise ValueError("the file fails")
        with savepoint_if_sending():
            Alert.objects.create(name="KeptAfter")
            transaction.on_commit(lambda: None)
    assert len(callbacks) == 1
    assert sorted(Alert.objects.values_list("name", flat=True)) == ["KeptAfter", "KeptBefore"]


def test_a_block_that_sends_nothing_sends_no_savepoint(django_assert_num_queries):
    with django_assert_num_queries(0), savepoint_if_sending():
        pass
    with django_assert_num_queries(3):  # the savepoint, the insert, the release
        with savepoint_if_sending():
            Alert.objects.create(name="OneStatement")
