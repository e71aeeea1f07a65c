"""A new row to insert that is not built as a model instance: an import inserts thousands of rows a batch
(sections, mentions, links to incidents…), and `Model.__init__` (a descriptor and a default for every field)
cost more than their insert. `kb.documents.batches.rows_insert` inserts these and model instances alike."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.db import models


class NewRow(NamedTuple):
    """`model`'s row of these values, by field attname (`document_id`, not `document`): a field left out takes
    its default. Not for a model with `auto_now`/`auto_now_add` fields, whose value is the save's."""

    model: type[models.Model]
    values: dict[str, Any]
