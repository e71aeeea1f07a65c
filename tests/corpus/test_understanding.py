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
    "alerts (files)": 81,
    "alert names": 140,
}


@pytest.fixture(scope="module")
def figures(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("understanding") / "figures.json"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "understanding.py"), "--json", str(out)],
        cwd=tmp_path_factory.getbasetemp(),
        check=True,
        capture_output=True,
        timeout=900,
    )
    return json.loads(out.read_text())


@pytest.mark.parametrize("field", FLOORS)
def test_the_importer_understands_the_corpus_at_least_as_well_as_before(figures, field):
    overall = figures["fields"][field]["all"]
    misses = figures.get("misses", {}).get(field, [])
    assert overall["right"] >= FLOORS[field], f"{field}: {overall} — misses: {misses}"


def test_no_corpus_document_is_refused(figures):
    kinds = figures["fields"]["kind"]["all"]
    assert kinds["right"] == kinds["labelled"], figures.get("misses", {}).get("kind")
