"""The counts kept on each entity (documents, post-mortems implicating it, runbooks) always equal what
its mentions say, through imports, edits, archives, prunes and curation."""

from io import StringIO

import pytest
from django.core.management import call_command

from kb.entities.counts import COUNTS, entities_recount
from kb.entities.curation import entity_merge
from kb.models import Entity

pytestmark = pytest.mark.django_db

RUNBOOK = """# Queue backlog (QueueBacklogHigh)

Fires when the `orders` queue on host `mq-1.example.org` grows.

## Mitigation

Restart the `order-worker` component.
"""
POSTMORTEM = """# Post-mortem: orders stalled on 2026-04-0{n}

**Date:** 2026-04-0{n}

## Summary

`QueueBacklogHigh` fired; host `mq-1.example.org` was out of disk{extra}.

## Action items

- [ ] Alert on disk before the queue
"""


def stored() -> dict[str, tuple]:
    return {e.name: tuple(getattr(e, name) for name in COUNTS) for e in Entity.objects.order_by("name")}


def recounted() -> dict[str, tuple]:
    entities_recount()
    return stored()


def write(folder, name: str, text: str) -> None:
    (folder / name).write_text(text)


def test_the_kept_counts_equal_a_recount_after_every_kind_of_write(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    write(folder, "queue-backlog.md", RUNBOOK)
    for n in (1, 2, 3):
        write(folder, f"pm-{n}.md", POSTMORTEM.format(n=n, extra=""))

    def imported(*options):
        call_command("import_docs", str(folder), *options, stdout=StringIO(), stderr=StringIO())
        return stored()

    counts = imported()
    assert counts["QueueBacklogHigh"] == (4, 3, 1, 1)  # 4 documents, 3 post-mortems, its runbook
    assert counts == recounted()

    write(folder, "pm-2.md", POSTMORTEM.format(n=2, extra=" and `NodeDiskFull` fired too"))
    (folder / "pm-3.md").unlink()
    counts = imported("--prune")
    assert counts["QueueBacklogHigh"] == (3, 2, 1, 1) and counts["NodeDiskFull"][:2] == (1, 1)
    assert counts == recounted()

    write(folder, "pm-3.md", POSTMORTEM.format(n=3, extra=""))  # back from the archive
    write(folder, "queue-backlog.md", RUNBOOK.replace("QueueBacklogHigh", "QueueBacklogCritical"))
    counts = imported()
    assert counts["QueueBacklogHigh"][:4] == (3, 3, 0, 0) and counts["QueueBacklogCritical"][3] == 1
    assert counts == recounted()

    entity_merge(source=Entity.objects.get(name="NodeDiskFull"), into=Entity.objects.get(name="QueueBacklogHigh"))
    assert stored() == recounted()


def test_the_insights_want_a_runbook_for_an_alert_only_while_none_is_for_it(client, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    write(folder, "pm-1.md", POSTMORTEM.format(n=1, extra=""))
    call_command("import_docs", str(folder), stdout=StringIO())
    wanted = client.get("/api/insights").json()["wanted_alerts"]
    assert [a["name"] for a in wanted] == ["QueueBacklogHigh"]
    write(folder, "queue-backlog.md", RUNBOOK)
    call_command("import_docs", str(folder), stdout=StringIO())
    assert client.get("/api/insights").json()["wanted_alerts"] == []
