"""Telling a runbook, a post-mortem and an operations note apart, from all the evidence a document gives."""

from pathlib import Path

import pytest

from kb.markdown.kinds import POSTMORTEM_SECTIONS, kind_key, section_weight
from kb.markdown.parsing import NotADocument, ParseError, parse_document

KINDS = Path(__file__).resolve().parents[1] / "fixtures" / "kinds"


def parse(relative: str, *, name_only: bool = False):
    path = KINDS / relative
    return parse_document(path.read_text(encoding="utf-8"), path.name if name_only else relative)


@pytest.mark.parametrize(
    "relative, kind",
    [
        ("postmortems/2025-03-04-checkout-latency.md", "postmortem"),  # PagerDuty-like, date-prefixed name
        ("postmortems/search-returns-nothing.md", "postmortem"),  # Google SRE book, ordinal date
        ("postmortems/login-failures-eu.md", "postmortem"),  # "Issue Summary" template
        ("postmortems/2024-06-12-nodes-not-ready.html.md.erb", "postmortem"),  # one list of bold labels
        ("ops/alerts/KubeJobFailed.md", "runbook"),  # Meaning / Impact / Diagnosis / Mitigation
        ("ops/alerts/disk-space-low.html.md", "runbook"),  # front matter, no H1, "this alert fires"
        ("ops/rotate-tls-certificates.md", "note"),  # a procedure that answers no alert
        ("ops/index.md", "note"),  # a list of links to other pages
    ],
)
def test_it_reads_each_template_style_as_its_kind_without_being_told(relative, kind):
    # The file name alone: the folders a team keeps its documents in are not needed to tell.
    assert parse(relative, name_only=True).kind == kind
    assert parse(relative).kind == kind


def test_front_matter_kind_wins_over_every_other_evidence():
    text = (KINDS / "postmortems" / "login-failures-eu.md").read_text(encoding="utf-8")
    assert parse_document("---\nkind: note\n---\n" + text, "postmortems/login-failures-eu.md").kind == "note"
    assert parse_document("---\nkind: runbook\n---\n" + text, "login-failures-eu.md").kind == "runbook"


def test_a_note_keeps_its_sections_and_answers_no_alert():
    note = parse("ops/rotate-tls-certificates.md")
    assert [s.heading for s in note.sections] == ["Prerequisites", "Steps", "Verification"]
    assert note.alert is None
    assert note.follow_ups == [] and note.date is None
    assert "kubectl" in note.html


def test_erb_tags_stay_text_and_are_escaped():
    doc = parse("postmortems/2024-06-12-nodes-not-ready.html.md.erb")
    assert doc.title == "Incident on 2024-06-12 - Worker nodes NotReady"
    assert "&lt;%= partial" in doc.html and "<%" not in doc.html


def test_a_page_that_names_its_alert_in_the_h1_under_a_plainer_title_is_a_runbook():
    text = "---\ntitle: Node RAID Disk Failure\n---\n\n# NodeRAIDDiskFailure\n\nSee [Node RAID Degraded](x.md)\n"
    doc = parse_document(text, "NodeRAIDDiskFailure.md")
    assert (doc.kind, doc.alert) == ("runbook", "NodeRAIDDiskFailure")


def test_a_heading_counts_in_any_common_spelling():
    assert kind_key("3. Root Causes & Trigger:") == "root causes and trigger"
    for heading in ("Root causes and trigger", "Lessons Learnt", "Corrective & Preventive Measures", "Follow-ups"):
        assert section_weight(POSTMORTEM_SECTIONS, heading) >= 2, heading
    assert section_weight(POSTMORTEM_SECTIONS, "Rooting the device") == 0


def test_a_document_with_sections_of_both_kinds_in_equal_measure_is_a_note_not_a_guess():
    text = "# Database\n\n## Timeline\n\nx\n\n## Diagnosis\n\ny\n"
    assert parse_document(text, "database.md").kind == "note"


def test_a_recorded_http_message_saved_as_text_is_no_document():
    with pytest.raises(NotADocument, match="HTTP message"):
        parse_document("POST /hook HTTP/1.1\nHost: 127.0.0.1:18000\nContent-Type: application/json\n", "hook.txt")
    with pytest.raises(NotADocument):
        parse_document("HTTP/1.1 200 OK\nContent-Length: 2\n", "reply.txt")


def test_a_site_generator_type_that_names_no_kind_is_no_error_but_an_unknown_kind_is():
    text = "---\ntype: docs\n---\n# Login failures\n\n## Issue Summary\n\nx\n\n## Root cause\n\ny\n"
    assert parse_document(text, "login.md").kind == "postmortem"
    assert parse_document("---\ntype: runbook\n---\n# Login\n\nx\n", "login.md").kind == "runbook"
    with pytest.raises(ParseError, match=r"line 2: front matter kind: 'docs' is not known"):
        parse_document(text.replace("type:", "kind:"), "login.md")
