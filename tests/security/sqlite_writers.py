"""One writer of the SQLite concurrency test, run as its own process: `python sqlite_writers.py
KIND N FOLDER`. Prints one JSON line: what it wrote and what failed."""

import copy
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

FIXTURE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager" / "02-HomelabPodOOMKilled-2-alerts-firing.json"
)


def webhook(n: int, _folder: Path) -> dict:
    """n deliveries of one alert each, every one a new incident (its own fingerprint)."""
    template = json.loads(FIXTURE.read_text())
    client, failed = Client(), []
    for i in range(n):
        payload = copy.deepcopy(template)
        payload["alerts"] = payload["alerts"][:1]
        payload["alerts"][0]["fingerprint"] = f"c0ffee{i:010x}"
        response = client.post(
            "/api/alertmanager/", json.dumps(payload), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {os.environ['KB_ALERTMANAGER_TOKEN']}",
        )  # fmt: skip
        if response.status_code != 200:
            failed.append(response.status_code)
    return {"sent": n, "failed": failed}


def edits(n: int, _folder: Path) -> dict:
    """n web edits of the runbook, each appending one line: each saved one is a revision."""
    from kb.authoring.saving import runbook_save
    from kb.documents.saving import VersionConflict
    from kb.models import Runbook

    saved, conflicts = 0, 0
    for i in range(n):
        runbook = Runbook.objects.get(identity="disk.md")
        try:
            runbook_save(
                text=runbook.source_text + f"\nEdit {i}.\n",
                runbook=runbook,
                expected_version=runbook.version,
                author=None,
            )
            saved += 1
        except VersionConflict:
            conflicts += 1
    return {"saved": saved, "conflicts": conflicts}


def imports(n: int, folder: Path) -> dict:
    """n imports of a folder whose files change each time."""
    from kb.documents.importing import import_paths

    failed = []
    for i in range(n):
        for j in range(5):
            (folder / f"note-{j}.md").write_text(f"# Procedure {j}\n\nStep {i}.\n")
        report = import_paths([folder])
        failed += [r.message for r in report.results if r.outcome == "failed"]
    return {"imports": n, "failed": failed}


if __name__ == "__main__":
    kind, count, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    print(json.dumps({"webhook": webhook, "edits": edits, "imports": imports}[kind](count, folder)))
