"""The two seed documents as shipped in ../shared/seeds: the parser reads the real runbook and the real
flattened post-mortem as their authors meant them. The same behaviour is tested on the project's own
seeds (tests/fixtures/seeds) in tests/markdown/test_parsing.py; this is the check on the originals."""

from datetime import date

import pytest

from kb.markdown.parsing import decode, parse_document
from kb.markdown.unflatten import looks_flattened

pytestmark = pytest.mark.corpus


def parse_file(path):
    return parse_document(decode(path.read_bytes()), path.name)


@pytest.fixture
def shipped_runbook(shared_seeds):
    return shared_seeds / "000_2c0d5e53b423be66.txt"


@pytest.fixture
def shipped_postmortem(shared_seeds):
    return shared_seeds / "004_3c076beea237fb3e.txt"


class TestTheShippedSeedRunbook:
    def test_it_finds_the_alert_and_its_label_scope(self, shipped_runbook):
        doc = parse_file(shipped_runbook)
        assert doc.kind == "runbook"
        assert doc.title == "Velero OOMKilled (HomelabPodOOMKilled)"
        assert doc.alert == "HomelabPodOOMKilled"
        assert doc.labels == {"container": "velero", "namespace": "velero"}

    def test_it_keeps_the_seven_sections_with_anchors(self, shipped_runbook):
        doc = parse_file(shipped_runbook)
        assert [s.heading for s in doc.sections] == [
            "Alert",
            "Symptoms",
            "Root Cause",
            "Investigation Steps",
            "Fix",
            "GitOps",
            "Resolution History",
        ]
        assert doc.sections[3].anchor == "investigation-steps"
        assert doc.sections[3].markdown.startswith("```bash\n# Check current pod state")

    def test_it_reads_the_resolution_history_row(self, shipped_runbook):
        (row,) = parse_file(shipped_runbook).resolution_history
        assert row.date == date(2026, 2, 24)
        assert row.incidents == ["#236", "#237"]
        assert (row.old, row.new) == ("512Mi", "1Gi")
        assert row.notes == "OOM after 3.5d uptime during daily kopia backup"
        assert row.cells["Old Limit"] == "512Mi"


class TestTheShippedFlattenedSeedPostmortem:
    def test_it_is_detected_and_reconstructed_with_a_warning(self, shipped_postmortem):
        doc = parse_file(shipped_postmortem)
        assert doc.kind == "postmortem"
        assert any(w.startswith("structure reconstructed") for w in doc.warnings)

    def test_it_reads_the_metadata_table(self, shipped_postmortem):
        doc = parse_file(shipped_postmortem)
        assert doc.title == "Post-Mortem: kured-sentinel-gate OOM while k8s-master stuck pending-reboot"
        assert doc.date == date(2026, 5, 31)
        assert doc.severity == "SEV4"
        assert doc.affected == "kured-sentinel-gate pod on k8s-master only"
        assert doc.duration.startswith("OOMs began 2026-05-30")
        assert doc.status.startswith("Fixed (gate hardened)")

    def test_it_finds_every_section(self, shipped_postmortem):
        headings = [s.heading for s in parse_file(shipped_postmortem).sections]
        assert headings == [
            "Summary",
            "Root cause (chain)",
            "Why hard to spot",
            "Fix (stacks/kured/main.tf, applied + committed 2026-05-31)",
            "Contributing items (open — being addressed separately)",
            "Lessons",
        ]

    def test_it_finds_three_lessons_and_the_open_contributing_items(self, shipped_postmortem):
        doc = parse_file(shipped_postmortem)
        assert len(doc.lessons) == 3
        assert doc.lessons[2].startswith("The KuredRebootBacklog alert")
        assert [f.status for f in doc.follow_ups] == ["open", "open"]
        assert doc.follow_ups[0].text.startswith("hermes-agent parked")
        assert doc.follow_ups[1].text.startswith("Synology offsite backup at 96%")

    def test_the_root_cause_chain_stays_a_code_block(self, shipped_postmortem):
        doc = parse_file(shipped_postmortem)
        chain = doc.sections[1].markdown
        assert chain.startswith("```\nhermes-agent deploy")
        code, after = chain[3:].split("```", 1)
        assert "\n→ PVCStuckPending fires" in code
        assert after.strip().startswith("The 64Mi limit was the proximate misconfiguration")
        assert "<pre>" in doc.html


def test_the_shipped_runbook_is_not_taken_for_a_flattened_document(shipped_runbook):
    assert not looks_flattened(decode(shipped_runbook.read_bytes()))
