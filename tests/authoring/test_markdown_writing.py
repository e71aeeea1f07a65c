"""Writing post-mortems as markdown (kb.authoring.to_markdown), and reading them back into drafts (kb.authoring.from_markdown). No database."""

import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.authoring.from_markdown import postmortem_draft
from kb.authoring.to_markdown import (
    SEVERITIES,
    FollowUpDraft,
    PostMortemDraft,
    SectionDraft,
    draft_mismatches,
    postmortem_markdown,
    postmortem_template,
    runbook_template,
)
from kb.markdown.parsing import parse_document

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def fields(parsed):
    """What the API shows of a post-mortem."""
    return {
        "kind": parsed.kind,
        "title": parsed.title,
        "date": parsed.date,
        "duration": parsed.duration,
        "severity": parsed.severity,
        "affected": parsed.affected,
        "status": parsed.status,
        "summary": " ".join(parsed.summary.split()),
        "follow_ups": [(f.text, f.status, f.owner, f.due) for f in parsed.follow_ups],
        "lessons": parsed.lessons,
        "incidents": sorted(parsed.incidents),
    }


def words(html: str) -> set[str]:
    return set(re.findall(r"\w+", re.sub(r"<[^>]+>", " ", html).lower()))


def test_it_writes_the_seed_layout_a_field_table_then_the_sections():
    draft = PostMortemDraft(
        title="Disk full on db-1",
        date=date(2026, 6, 2),
        duration="40 minutes",
        severity="SEV3",
        affected="`postgres` on db-1",
        status="Resolved",
        summary="The WAL volume filled up.",
        sections=[SectionDraft("Root cause", "Archiving had stopped.")],
        follow_ups=[FollowUpDraft("Alert on archiving lag"), FollowUpDraft("Grow the volume", "done")],
        lessons=["Watch the archiver"],
    )
    assert postmortem_markdown(draft)[0] == (
        "# Disk full on db-1\n\n"
        "| Field | Value |\n|-------|-------|\n"
        "| **Date** | 2026-06-02 |\n| **Duration** | 40 minutes |\n| **Severity** | SEV3 |\n"
        "| **Affected** | `postgres` on db-1 |\n| **Status** | Resolved |\n\n"
        "## Summary\n\nThe WAL volume filled up.\n\n"
        "## Root cause\n\nArchiving had stopped.\n\n"
        "## Follow-ups\n\n- [ ] Alert on archiving lag\n- [x] Grow the volume\n\n"
        "## Lessons\n\n1. Watch the archiver\n"
    )


def test_it_writes_follow_ups_with_owners_or_due_dates_as_a_table_the_parser_reads():
    draft = PostMortemDraft(
        title="Post-mortem: x",
        follow_ups=[FollowUpDraft("Fix | pipe", "done", "alice", date(2026, 7, 1)), FollowUpDraft("Other")],
    )
    parsed = postmortem_markdown(draft)[1]
    assert [(f.text, f.status, f.owner, f.due) for f in parsed.follow_ups] == [
        ("Fix | pipe", "done", "alice", date(2026, 7, 1)),
        ("Other", "open", "", None),
    ]


def test_a_new_draft_has_the_structure_of_the_seed_postmortem():
    draft = postmortem_template(date=date(2026, 1, 2), affected="velero")
    draft.title = "Velero down"
    draft.summary = "It stopped."
    parsed = postmortem_markdown(draft)[1]
    assert [s.heading for s in parsed.sections] == ["Summary", "Root cause", "Why it was hard to spot", "Fix"]
    assert draft.follow_ups_heading == "Contributing items" and draft.lessons_heading == "Lessons"
    assert (parsed.date, parsed.affected) == (date(2026, 1, 2), "velero")


def test_a_title_is_plain_text_even_with_markdown_characters():
    draft = PostMortemDraft(title="*Not* a [link] <b>, `code` & #1")
    parsed = postmortem_markdown(draft)[1]
    assert parsed.title == "*Not* a [link] <b>, `code` & #1"
    assert draft_mismatches(draft, parsed) == {}


def test_a_document_the_parser_would_call_a_runbook_gets_kind_front_matter():
    draft = PostMortemDraft(title="KubePodCrashLooping", sections=[SectionDraft("Fix", "Restart it.")])
    text, parsed = postmortem_markdown(draft)
    assert text.startswith("---\nkind: postmortem\n---\n")
    assert parsed.kind == "postmortem"


def test_an_unclosed_code_fence_is_closed_inside_its_own_section():
    draft = PostMortemDraft(
        title="Post-mortem: fences",
        date=date(2026, 5, 16),
        sections=[SectionDraft("Fix", "```bash\nkubectl delete pod x"), SectionDraft("After", "text")],
    )
    parsed = postmortem_markdown(draft)[1]
    assert [s.heading for s in parsed.sections] == ["Fix", "After"]
    assert parsed.warnings == []


def test_front_matter_is_kept_and_its_title_follows_the_form():
    text = "---\ntitle: Old title\nid: pm-7\ntags: [db]\n---\n# Old title\n\n## Summary\n\nx\n"
    draft = postmortem_draft(text)
    draft.title = "New title"
    parsed = postmortem_markdown(draft)[1]
    assert (parsed.title, parsed.identity, parsed.front_matter["tags"]) == ("New title", "pm-7", ["db"])


def test_front_matter_without_form_fields_is_kept_byte_for_byte():
    text = "---\n# a comment\nid: pm-8\n---\n# Title of it\n\n| Field | Value |\n|---|---|\n| Date | 2026-01-01 |\n\n## Summary\n\nx\n"
    written, _parsed = postmortem_markdown(postmortem_draft(text))
    assert written.startswith("---\n# a comment\nid: pm-8\n---\n")


LABEL_LIST_REPORT = """---
title: Incident on 2026-04-09 - Registry pulls failing
weight: 12
---

# Incident on 2026-04-09 - Registry pulls throttled on every node

- **Key events**
  - First detected 2026-04-09 08:10
  - Repaired 2026-04-09 09:02

- **Time to repair**: 0h 52m

- **Identified**: Builds failed with `toomanyrequests` from the image registry.
```ErrImagePull: toomanyrequests```

- **Impact**:
  - No new pods could start on the build nodes

- **Review actions**:
  - Use a pull-through cache for the registry (Done)
  - Alert on pull errors per node
"""


def test_a_report_written_as_one_list_of_bold_labels_keeps_its_labels_fields_and_heading():
    parsed = parse_document(LABEL_LIST_REPORT, "2026-04-09-registry.html.md.erb")
    written, again = postmortem_markdown(postmortem_draft(LABEL_LIST_REPORT, "x.html.md.erb"), path="x.html.md.erb")
    assert fields(again) == fields(parsed)
    assert [f.status for f in again.follow_ups] == ["done", "open"]
    for label in ("**Key events**", "**Time to repair**: 0h 52m", "**Identified**:", "**Review actions**:"):
        assert label in written
    assert "# Incident on 2026-04-09 - Registry pulls throttled on every node\n" in written
    assert words(parsed.html) <= words(again.html)
    assert postmortem_markdown(postmortem_draft(written, "x.html.md.erb"), path="x.html.md.erb")[0] == written


def test_a_code_span_written_with_three_backticks_on_one_line_opens_no_fence():
    draft = postmortem_draft(LABEL_LIST_REPORT, "x.html.md.erb")
    written, parsed = postmortem_markdown(draft)
    assert "```" not in written.split("\n")  # no fence line added to close it
    assert "<code>ErrImagePull: toomanyrequests</code>" in parsed.html


def test_a_changed_title_replaces_the_heading_that_said_more():
    draft = postmortem_draft(LABEL_LIST_REPORT, "x.html.md.erb")
    draft.title = "Registry outage"
    written, parsed = postmortem_markdown(draft)
    assert "# Registry outage\n" in written and parsed.title == "Registry outage"


def test_a_mismatch_is_reported_on_the_field_that_caused_it():
    draft = PostMortemDraft(title="Post-mortem: x", follow_ups=[FollowUpDraft("Done: nothing", "open")])
    problems = draft_mismatches(draft, postmortem_markdown(draft)[1])
    assert list(problems) == ["follow_ups"]
    assert "Done" in problems["follow_ups"]


def test_it_reads_the_seed_postmortem_back_into_editable_lists(seed_postmortem):
    draft = postmortem_draft(seed_postmortem.read_text(), seed_postmortem.name)
    assert draft.title == "Post-Mortem: kured-sentinel-gate OOM loop while k8s-master waited for a reboot"
    assert (draft.date, draft.severity) == (date(2026, 5, 31), "SEV4")
    assert draft.severity_note.startswith("nobody outside noticed")
    assert draft.affected == "`kured-sentinel-gate` on k8s-master, no other pod"
    assert [s.heading for s in draft.sections] == [
        "Root cause (chain)",
        "Why hard to spot",
        "Fix (`stacks/kured/main.tf`, applied and committed 2026-05-31)",
    ]
    assert draft.follow_ups_heading == "Contributing items (open, tracked separately)"
    assert draft.follow_ups[0].text.startswith("**hermes-agent** has been at `replicas=0`")
    assert len(draft.lessons) == 3


def every_postmortem(*folders: Path):
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            text = path.read_text(encoding="utf-8", errors="replace")
            try:
                parsed = parse_document(text, path.name)
            except Exception:
                continue
            if parsed.kind == "postmortem":
                yield path, text, parsed


@pytest.mark.corpus
def test_editing_any_real_postmortem_keeps_its_fields_and_every_word(seeds, shared_seeds, corpus):
    checked = 0
    for path, text, parsed in every_postmortem(seeds, shared_seeds, corpus / "postmortems", EXAMPLES / "postmortems"):
        written, again = postmortem_markdown(postmortem_draft(text, path.name), path=path.name)
        assert fields(again) == fields(parsed), path
        assert words(parsed.html) <= words(again.html), (path, words(parsed.html) - words(again.html))
        # Written once, the layout is stable: reading and writing again changes nothing.
        assert postmortem_markdown(postmortem_draft(written, path.name), path=path.name)[0] == written, path
        checked += 1
    assert checked > 40


# --- property: whatever the form holds reads back the same ---------------------------------

word = st.from_regex(r"[a-z]{1,8}", fullmatch=True).map(lambda w: "w" + w)
phrase = st.lists(word, min_size=1, max_size=6).map(" ".join)
# The parser skips placeholder items ("-", "…"); the form refuses them.
punctuated = (
    st.lists(
        st.one_of(word, st.sampled_from([",", ".", ";", "(x)", "-", "'", "1.", "50%", "#", ">"])),
        min_size=1,
        max_size=8,
    )
    .map(" ".join)
    .filter(lambda t: t not in ("-", ".", "…", "..."))
)
paragraphs = st.lists(phrase, min_size=0, max_size=3).map("\n\n".join)
title = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda t: t.strip() and not re.match(r"^\s*[-=+*]+\s*$", t) and not t.strip().isdigit())
dates = st.one_of(st.none(), st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
follow_up = st.builds(
    FollowUpDraft,
    text=punctuated,
    status=st.sampled_from(["open", "done"]),
    owner=st.one_of(st.just(""), word),
    due=dates,
)
drafts = st.builds(
    PostMortemDraft,
    title=title,
    date=dates,
    duration=st.one_of(st.just(""), punctuated),
    severity=st.sampled_from(("",) + SEVERITIES),
    affected=st.one_of(st.just(""), punctuated),
    status=st.one_of(st.just(""), punctuated),
    summary=paragraphs,
    sections=st.lists(st.builds(SectionDraft, heading=phrase, markdown=paragraphs), max_size=4),
    follow_ups=st.lists(follow_up, max_size=4),
    lessons=st.lists(punctuated, max_size=3),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts)
def test_whatever_the_form_holds_reads_back_as_the_same_fields(draft):
    text, parsed = postmortem_markdown(draft)
    assert parsed == parse_document(text)  # the parse that comes with the text is the text's
    assert draft_mismatches(draft, parsed) == {}
    assert fields(parsed) | {"incidents": []} == {
        "kind": "postmortem",
        "title": " ".join(draft.title.split()),
        "date": draft.date,
        "duration": draft.duration,
        "severity": draft.severity,
        "affected": draft.affected,
        "status": draft.status,
        "summary": " ".join(draft.summary.split()),
        "follow_ups": [(f.text, f.status, f.owner, f.due) for f in draft.follow_ups],
        "lessons": draft.lessons,
        "incidents": [],
    }
    # Read back into the form, the draft writes the very same text.
    assert postmortem_markdown(postmortem_draft(text))[0] == text


def test_a_new_runbook_for_an_alert_reads_as_that_alerts_runbook():
    parsed = parse_document(runbook_template("KubePodCrashLooping"), "runbooks/KubePodCrashLooping.md")
    assert (parsed.kind, parsed.alert, parsed.resolution_history, parsed.warnings) == (
        "runbook",
        "KubePodCrashLooping",
        [],
        [],
    )


@pytest.mark.parametrize("alert", ["", "NodeDiskFull"])
def test_a_new_runbook_template_names_no_alert_it_was_not_given(alert):
    parsed = parse_document(runbook_template(alert), "runbooks/new.md")
    assert (parsed.kind, parsed.alert) == ("runbook", alert or None)
