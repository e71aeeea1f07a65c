"""The parser on its own: text in, structure out, no database."""

import re
from datetime import date

import pytest

from kb.markdown.parsing import NotADocument, ParseError, decode, parse_document
from kb.markdown.syntax import unclosed_fence
from kb.markdown.unflatten import looks_flattened, unflatten


def parse_file(path):
    return parse_document(decode(path.read_bytes()), path.name)


class TestSeedRunbook:
    """The project's seed runbook; tests/corpus/test_shared_seeds.py runs the same tests on the shipped one."""

    TEXT = {
        "title": "Velero server OOMKilled (HomelabPodOOMKilled)",
        "investigation": "```bash\n# Is the server running, and how often has it restarted?",
        "notes": "Killed twice near the end of the nightly kopia run, ~3.5 days after a restart",
    }

    def test_it_finds_the_alert_and_its_label_scope(self, seed_runbook):
        doc = parse_file(seed_runbook)
        assert doc.kind == "runbook"
        assert doc.title == self.TEXT["title"]
        assert doc.alert == "HomelabPodOOMKilled"
        assert doc.labels == {"container": "velero", "namespace": "velero"}

    def test_it_keeps_the_seven_sections_with_anchors(self, seed_runbook):
        doc = parse_file(seed_runbook)
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
        assert doc.sections[3].markdown.startswith(self.TEXT["investigation"])

    def test_it_reads_the_resolution_history_row(self, seed_runbook):
        (row,) = parse_file(seed_runbook).resolution_history
        assert row.date == date(2026, 2, 24)
        assert row.incidents == ["#236", "#237"]
        assert (row.old, row.new) == ("512Mi", "1Gi")
        assert row.notes == self.TEXT["notes"]
        assert row.cells["Old Limit"] == "512Mi"


class TestFlattenedSeedPostmortem:
    """The project's flattened seed post-mortem; the corpus suite runs the same tests on the shipped one."""

    TEXT = {
        "title": "Post-Mortem: kured-sentinel-gate OOM loop while k8s-master waited for a reboot",
        "affected": "kured-sentinel-gate on k8s-master, no other pod",
        "duration": "2026-05-30 ~03:33 (first OOM)",
        "status": "Fixed: gate hardened",
        "fix_and_open_headings": [
            "Fix (stacks/kured/main.tf, applied and committed 2026-05-31)",
            "Contributing items (open, tracked separately)",
        ],
        "third_lesson": "KuredRebootBacklog has now been implicated twice",
        "first_follow_up": "hermes-agent has been at replicas=0",
        "second_follow_up": "Offsite Synology NAS 96% full",
        "chain": "```\nhermes-agent deployment scaled to 0",
        "after_chain": "What turned a held reboot into OOM kills was the 64Mi limit",
    }

    def test_it_is_detected_and_reconstructed_with_a_warning(self, seed_postmortem):
        doc = parse_file(seed_postmortem)
        assert doc.kind == "postmortem"
        assert any(w.startswith("structure reconstructed") for w in doc.warnings)

    def test_it_reads_the_metadata_table(self, seed_postmortem):
        doc = parse_file(seed_postmortem)
        assert doc.title == self.TEXT["title"]
        assert doc.date == date(2026, 5, 31)
        assert doc.severity == "SEV4"
        assert doc.affected == self.TEXT["affected"]
        assert doc.duration.startswith(self.TEXT["duration"])
        assert doc.status.startswith(self.TEXT["status"])

    def test_it_finds_every_section(self, seed_postmortem):
        headings = [s.heading for s in parse_file(seed_postmortem).sections]
        assert headings == [
            "Summary",
            "Root cause (chain)",
            "Why hard to spot",
            *self.TEXT["fix_and_open_headings"],
            "Lessons",
        ]

    def test_it_finds_three_lessons_and_the_open_contributing_items(self, seed_postmortem):
        doc = parse_file(seed_postmortem)
        assert len(doc.lessons) == 3
        assert doc.lessons[2].startswith(self.TEXT["third_lesson"])
        assert [f.status for f in doc.follow_ups] == ["open", "open"]
        assert doc.follow_ups[0].text.startswith(self.TEXT["first_follow_up"])
        assert doc.follow_ups[1].text.startswith(self.TEXT["second_follow_up"])

    def test_the_root_cause_chain_stays_a_code_block(self, seed_postmortem):
        doc = parse_file(seed_postmortem)
        chain = doc.sections[1].markdown
        assert chain.startswith(self.TEXT["chain"])
        code, after = chain[3:].split("```", 1)
        assert "\n→ PVCStuckPending fires" in code
        assert after.strip().startswith(self.TEXT["after_chain"])
        assert "<pre>" in doc.html


# --- reconstruction generalises: flatten real documents and rebuild them ---------------


def flatten(text: str) -> str:
    return " ".join(text.split("\n"))


@pytest.mark.corpus
def test_it_rebuilds_the_headings_of_every_flattened_corpus_postmortem(corpus):
    checked = 0
    for path in sorted((corpus / "postmortems" / "dfds").glob("PM2*.md")):
        original = parse_file(path)
        text = decode(path.read_bytes())
        rebuilt = parse_document(flatten(text.replace("\r\n", "\n")), path.name)
        assert [s.heading for s in rebuilt.sections] == [s.heading for s in original.sections], path.name
        assert len(rebuilt.follow_ups) == len(original.follow_ups), path.name
        checked += 1
    assert checked >= 35


def test_a_flattened_table_keeps_its_rows_even_with_empty_cells():
    text = (
        "# Outage review | Key | Value | |---|---| | **Date** | 2026-01-02 | | **Severity** | | "
        "| **Status** | Resolved | ## Summary The cache fell over. ## Timeline | Time | Event | |---|---| "
        "| 10:00 | paged | | 10:30 | fixed | ## Action items - [ ] Add an alert - [x] Raise the limit"
    )
    assert looks_flattened(text)
    rebuilt, report = unflatten(text)
    assert report.tables == 2
    doc = parse_document(text, "x.md")
    assert doc.date == date(2026, 1, 2)
    assert doc.status == "Resolved"
    assert [(f.text, f.status) for f in doc.follow_ups] == [("Add an alert", "open"), ("Raise the limit", "done")]


def test_an_ordinary_document_is_not_taken_for_a_flattened_one(seed_runbook):
    assert not looks_flattened(decode(seed_runbook.read_bytes()))


# --- telling runbooks from post-mortems --------------------------------------------------


def test_front_matter_kind_decides():
    doc = parse_document("---\nkind: postmortem\n---\n# Disk\n\n## Meaning\n\nx\n", "disk.md")
    assert doc.kind == "postmortem"


def test_an_unknown_front_matter_kind_names_the_key():
    with pytest.raises(ParseError, match=r"kind: 'recipe'.*kind: note"):
        parse_document("---\nkind: recipe\n---\n# Disk\n\ntext\n", "disk.md")


def test_a_document_that_is_neither_runbook_nor_postmortem_is_a_note():
    assert parse_document("# Shopping list\n\nMilk and eggs.\n", "list.md").kind == "note"


@pytest.mark.parametrize(
    "text, kind",
    [
        ("# Incident review: API latency\n\n## What happened\n\nSlow.\n", "postmortem"),
        ("# DB failover\n\n## Summary\n\nx\n\n## Timeline\n\nx\n\n## Action items\n\n- y\n", "postmortem"),
        ("# Disk full\n\n## Symptoms\n\nx\n\n## Investigation\n\nx\n\n## Fix\n\ny\n", "runbook"),
        ("# Something\n\n## Meaning\n\nx\n\n## Impact\n\nx\n\n## Diagnosis\n\nx\n\n## Mitigation\n\ny\n", "runbook"),
    ],
)
def test_it_tells_the_kind_from_title_and_heading_vocabulary(text, kind):
    assert parse_document(text, "doc.md").kind == kind


# --- alert names and scope -------------------------------------------------------------


def test_the_alert_comes_from_the_file_name_when_the_heading_is_words():
    doc = parse_document("# CPU Throttling High\n\n## Meaning\n\nThrottled.\n", "kubernetes/CPUThrottlingHigh.md")
    assert doc.alert == "CPUThrottlingHigh"


def test_front_matter_alert_and_labels_win():
    doc = parse_document(
        "---\nalert: DiskFull\nlabels:\n  namespace: db\n---\n# Disk (OtherAlert)\n\n## Mitigation\n\nx\n", "d.md"
    )
    assert doc.alert == "DiskFull"
    assert doc.labels == {"namespace": "db"}


def test_a_file_name_that_is_no_identifier_gives_no_alert():
    doc = parse_document(
        "# Rotate the backup disks\n\n## Steps\n\n1. a\n2. b\n\n## Verification\n\nok\n", "000_9f3a.txt"
    )
    assert doc.kind == "note"  # a procedure that answers no alert
    assert doc.alert is None


def test_the_heading_and_the_file_name_disagreeing_gives_a_warning():
    doc = parse_document(
        "# PrometheusRemoteStorageFailures\n\n## Meaning\n\nbehind\n", "PrometheusRemoteWriteBehind.md"
    )
    assert doc.alert == "PrometheusRemoteWriteBehind"
    assert any("PrometheusRemoteStorageFailures" in w for w in doc.warnings)


# --- post-mortem metadata in other layouts ---------------------------------------------------


def test_bold_field_lines_give_metadata():
    text = "# Post-mortem: queue backlog\n\n**Date:** 3 March 2026\n**Severity:** SEV2\n\n## Summary\n\nQueue.\n"
    doc = parse_document(text, "q.md")
    assert doc.date == date(2026, 3, 3)
    assert doc.severity == "SEV2"
    assert doc.summary == "Queue."


def test_without_a_date_field_the_date_is_the_first_timeline_row():
    text = (
        "# Post-mortem: inode exhaustion on the build hosts\n\n## Summary\n\nBuilds stalled.\n\n"
        "## Timeline\n\n| Time | Event |\n|---|---|\n| 2026-01-20 09:12 | first failed build |\n"
        "| 2026-01-21 10:00 | inodes freed |\n"
    )
    assert parse_document(text, "inodes.md").date == date(2026, 1, 20)


@pytest.mark.corpus
def test_the_date_falls_back_to_the_first_timeline_row(corpus):
    path = corpus / "postmortems" / "dfds" / "PM2020-001 - Inotify file watches exhaustion.md"
    doc = parse_file(path)
    assert doc.date == date(2020, 1, 20)
    assert doc.follow_ups[0].text == "Setup monitoring and alerting for file watches usage"
    assert len(doc.lessons) == 2  # two paragraphs: this team writes lessons as prose


def test_follow_up_tables_map_status_owner_and_due():
    text = (
        "# Post-mortem: x\n\n## Action items\n\n| Action | Owner | Due | Status |\n|---|---|---|---|\n"
        "| Add alert | ana | 2026-02-01 | Done |\n| Raise quota | bo | 2026-03-01 | Open |\n"
    )
    doc = parse_document(text, "x.md")
    assert [(f.text, f.owner, f.due, f.status) for f in doc.follow_ups] == [
        ("Add alert", "ana", date(2026, 2, 1), "done"),
        ("Raise quota", "bo", date(2026, 3, 1), "open"),
    ]


# --- rendering and sanitising ------------------------------------------------------------------


def test_untrusted_html_is_sanitised_but_harmless_html_survives():
    text = (
        "# Runbook: x\n\n## Fix\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1))\n\n<iframe src='https://evil.example'></iframe>\n\n"
        "<details><summary>Logs</summary>\n\nline\n\n</details>\n"
    )
    html = parse_document(text, "x.md").html
    assert "<script" not in html and "onerror" not in html
    assert "javascript:" not in html and "<iframe" not in html
    assert "<details>" in html and "<summary>Logs</summary>" in html


def test_headings_in_any_script_keep_their_letters_in_their_anchors():
    # As GitHub writes them, so that a link the team wrote there (`#überprüfung`) lands on its heading here too.
    text = (
        "# Runbook: SicherungFehlgeschlagen\n\n## Überprüfung\n\nSiehe [Maßnahmen](#maßnahmen).\n\n"
        "## Maßnahmen\n\nNeu starten.\n\n## 手順\n\n再起動する。\n\n## Disk full - what now?\n\nClean up.\n"
    )
    doc = parse_document(text, "SicherungFehlgeschlagen.md")
    assert [s.anchor for s in doc.sections] == ["überprüfung", "maßnahmen", "手順", "disk-full-what-now"]
    assert 'id="maßnahmen"' in doc.html and 'href="#maßnahmen"' in doc.html


def test_code_is_highlighted_and_tables_render():
    doc = parse_document(
        "# Fix it (DiskFull)\n\n## Fix\n\n```bash\nkubectl get pods\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n", "x.md"
    )
    assert 'class="highlight"' in doc.html
    assert "<table>" in doc.html


def test_a_hugo_ref_shortcode_becomes_a_link_to_resolve():
    text = (
        "---\ntitle: Disk failing\n---\n# DiskFailing\n\n## Mitigation\n\n"
        'See [the degraded array runbook]({{< ref "./ArrayDegraded.md" >}}).\n'
    )
    html = parse_document(text, "node/DiskFailing.md").html
    assert "{{&lt;" not in html and "{{<" not in html
    assert 'href="/resolve/?ref=./ArrayDegraded.md&amp;from=node/DiskFailing.md"' in html


@pytest.mark.corpus
def test_hugo_ref_shortcodes_become_links(corpus):
    path = corpus / "runbooks" / "prometheus-operator" / "node" / "NodeRAIDDiskFailure.md"
    doc = parse_document(decode(path.read_bytes()), "node/NodeRAIDDiskFailure.md")
    assert "{{&lt;" not in doc.html and "{{<" not in doc.html
    assert re.search(r'href="/resolve/\?ref=\./NodeRAIDDegraded\.md&amp;from=node/NodeRAIDDiskFailure\.md"', doc.html)


def test_a_list_right_under_a_paragraph_is_a_list():
    doc = parse_document("# Fix (DiskFull)\n\n## Fix\n\nConsider:\n1. Raising to 2Gi\n2. Pruning\n", "x.md")
    assert "<ol>" in doc.html


# --- bad input ---------------------------------------------------------------------------------


def test_invalid_utf8_names_the_byte_offset_and_line():
    with pytest.raises(ParseError) as exc:
        decode(b"# Title\n\nsome \xff text\n")
    assert "invalid UTF-8 at byte offset 14" in str(exc.value)
    assert exc.value.line == 3


def test_binary_content_is_refused():
    with pytest.raises(ParseError, match="binary content"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00")


def test_an_empty_file_is_refused():
    with pytest.raises(ParseError, match="empty"):
        decode(b"  \n\n")


def test_a_file_over_two_megabytes_is_refused():
    with pytest.raises(ParseError, match="over the 2,097,152-byte limit"):
        decode(b"x" * (2 * 1024 * 1024 + 1))


def test_front_matter_only_is_not_a_document():
    with pytest.raises(NotADocument):
        parse_document("---\ntitle: etcd\nweight: 10\n---\n", "_index.md")


def test_broken_front_matter_names_the_line():
    with pytest.raises(ParseError) as exc:
        parse_document("---\ntitle: [unclosed\n---\n# x\n", "x.md")
    assert "front matter" in str(exc.value) and exc.value.line is not None


def test_an_unclosed_fence_is_a_warning_with_its_line():
    doc = parse_document("# Fix (DiskFull)\n\n## Fix\n\n```bash\nkubectl get pods\n", "x.md")
    assert any("line 5" in w and "never closed" in w for w in doc.warnings)


@pytest.mark.parametrize(
    "text, fence",
    [
        ("```bash\nkubectl get pods\n```", None),
        ("```\nx\n`````", None),  # a longer fence closes a shorter one
        ("~~~~\nx\n~~~", "~~~~"),  # a shorter one does not
        ("````\nx\n```", "````"),
        ("```\nx\n~~~", "```"),
        ("    ```\nindented four: code, not a fence", None),
    ],
)
def test_it_knows_which_fence_a_text_leaves_open(text, fence):
    assert unclosed_fence(text) == fence


def test_a_ragged_table_is_a_warning_with_its_line():
    text = "# Fix (DiskFull)\n\n## Resolution History\n\n| Date | Old | New |\n|---|---|---|\n| 2026-01-01 | 1 |\n"
    doc = parse_document(text, "x.md")
    assert any("line 7" in w and "2 cells" in w and "has 3" in w for w in doc.warnings)


def test_bom_and_crlf_are_ordinary_input():
    raw = "\ufeff# Disk full (DiskFull)\r\n\r\n## Fix\r\n\r\nGrow it.\r\n".encode()
    text = decode(raw)
    assert text.encode() == raw  # kept exactly as read
    doc = parse_document(text, "x.md")
    assert doc.alert == "DiskFull"
    assert [s.heading for s in doc.sections] == ["Fix"]


def test_each_section_knows_its_heading_line_as_written():
    text = "---\nid: x\n---\n# Disk (DiskFull)\n\n## Fix (`df -h`)\n\nGrow it.\n\nChecks\n------\n\n<div>\n\n## Inside HTML\n\n</div>\n"
    doc = parse_document(text, "x.md")
    assert doc.front_matter_block == "---\nid: x\n---\n"
    assert doc.body == text.removeprefix(doc.front_matter_block)
    assert [(s.heading, s.line, s.written_heading) for s in doc.sections] == [
        ("Fix (df -h)", 2, "Fix (`df -h`)"),
        ("Checks", 6, "Checks"),
    ]


def test_a_flattened_body_keeps_the_front_matter_before_it(seed_postmortem):
    doc = parse_document("---\nid: pm-flat\n---\n" + seed_postmortem.read_text(), seed_postmortem.name)
    assert (doc.identity, doc.front_matter_block) == ("pm-flat", "---\nid: pm-flat\n---\n")
    assert doc.body.startswith("# Post-Mortem: kured-sentinel-gate OOM loop") and doc.body.count("\n") > 20


def test_a_fence_inside_a_numbered_step_stays_a_code_block():
    text = "# Fix it (DiskFull)\n\n## Mitigation\n\n1. Look at the volume:\n   ```bash\n   kubectl get pvc\n   ```\n2. Grow it.\n"
    html = parse_document(text, "x.md").html
    assert '<div class="highlight"><pre>' in html
    assert "<code>bash" not in html


def test_pull_request_numbers_are_not_incidents():
    doc = parse_document("# Post-mortem: x\n\n## Summary\n\nFixed in PR #1237 after incident #88.\n", "x.md")
    assert doc.incidents == ["#88"]


ALARM_NUMBERS_REPORT = """---
title: Incident on 2026-03-02 - Queue consumers down
weight: 4
---

# Incident on 2026-03-02 - Queue consumers down

- **Time to repair**: 0h 35m

- **Identified**: High Priority Alarms - #512001 Pingdom check orders queue is DOWN / Resolved: #512002 Pingdom check orders queue is UP.

- **Review actions**:
  - Raise the consumer memory limit (PR #105)
  - Fix issue #88 in the chart, see [the runbook](#queue-consumers)
  - Use colour #fff for the status banner
"""


def test_alarm_numbers_in_a_bold_label_report_are_incidents_and_its_pr_issue_and_colour_numbers_are_not():
    parsed = parse_document(ALARM_NUMBERS_REPORT, "2026-03-02-queue.html.md.erb")
    assert (parsed.kind, parsed.incidents) == ("postmortem", ["#512001", "#512002"])
