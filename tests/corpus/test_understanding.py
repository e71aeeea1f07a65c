"""How well the importer understands the public corpus, against the hand labels of bench/understanding/.

The bench script is run as a user runs it (a throwaway database, the whole corpus imported) and each
field's right answers may never fall below what they are today: raise a floor when the importer
gets better, never lower one. Issue #10's bar: every post-mortem a post-mortem, date ≥ 98 %, summary
≥ 95 %, follow-up count ≥ 90 %, done status ≥ 95 %, lessons ≥ 90 %, severity and duration ≥ 95 %.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.corpus

# Right answers over the whole labelled corpus (of 221 files, 106 post-mortems, 84 runbook files
# naming 146 alerts), as measured when these floors were set.
FLOORS = {
    "kind": 221,
    "date": 105,
    "severity": 106,
    "duration": 105,
    "summary": 106,
    "follow-ups": 103,
    "follow-ups done": 10,
    "lessons": 105,
    "alerts (files)": 84,
    "alert names": 146,
}


def understanding(workdir: Path) -> dict:
    out = workdir / "figures.json"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "understanding.py"), "--json", str(out)],
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=900,
    )
    return json.loads(out.read_text())


def test_the_importer_understands_the_corpus_at_least_as_well_as_before(corpus, tmp_path):
    figures = understanding(tmp_path)
    fallen = {
        field: (figures["fields"][field]["all"], figures.get("misses", {}).get(field, []))
        for field, floor in FLOORS.items()
        if figures["fields"][field]["all"]["right"] < floor
    }
    assert not fallen, fallen
    kinds = figures["fields"]["kind"]["all"]
    assert kinds["right"] == kinds["labelled"], "a corpus document was refused or misread"
