"""The two seed documents as shipped in ../shared/seeds: the parser reads the real runbook and the real
flattened post-mortem as their authors meant them. The same behaviour is tested on the project's own
seeds (tests/fixtures/seeds) in tests/markdown/test_parsing.py; this is the check on the originals."""

import pytest

from kb.markdown.parsing import decode
from kb.markdown.unflatten import looks_flattened
from tests.markdown import test_parsing as owned

pytestmark = pytest.mark.corpus


@pytest.fixture
def shipped_runbook(shared_seeds):
    return shared_seeds / "000_2c0d5e53b423be66.txt"


@pytest.fixture
def shipped_postmortem(shared_seeds):
    return shared_seeds / "004_3c076beea237fb3e.txt"


class TestTheShippedSeedRunbook(owned.TestSeedRunbook):
    TEXT = {
        "title": "Velero OOMKilled (HomelabPodOOMKilled)",
        "investigation": "```bash\n# Check current pod state",
        "notes": "OOM after 3.5d uptime during daily kopia backup",
    }

    @pytest.fixture
    def seed_runbook(self, shipped_runbook):
        return shipped_runbook


class TestTheShippedFlattenedSeedPostmortem(owned.TestFlattenedSeedPostmortem):
    TEXT = {
        "title": "Post-Mortem: kured-sentinel-gate OOM while k8s-master stuck pending-reboot",
        "affected": "kured-sentinel-gate pod on k8s-master only",
        "duration": "OOMs began 2026-05-30",
        "status": "Fixed (gate hardened)",
        "fix_and_open_headings": [
            "Fix (stacks/kured/main.tf, applied + committed 2026-05-31)",
            "Contributing items (open — being addressed separately)",
        ],
        "third_lesson": "The KuredRebootBacklog alert",
        "first_follow_up": "hermes-agent parked",
        "second_follow_up": "Synology offsite backup at 96%",
        "chain": "```\nhermes-agent deploy",
        "after_chain": "The 64Mi limit was the proximate misconfiguration",
    }

    @pytest.fixture
    def seed_postmortem(self, shipped_postmortem):
        return shipped_postmortem


def test_the_shipped_runbook_is_not_taken_for_a_flattened_document(shipped_runbook):
    assert not looks_flattened(decode(shipped_runbook.read_bytes()))
