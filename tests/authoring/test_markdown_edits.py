"""Edits made in place: a resolution row appended, a follow-up's status changed. No database."""

import difflib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.authoring.edits import EditError, ResolutionDraft, follow_up_status_set, resolution_row_append
from kb.markdown.parsing import parse_document

ROW = ResolutionDraft(date(2026, 3, 1), ["#240"], "1Gi", "2Gi", "OOM | again")


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_it_appends_a_row_to_the_seed_runbooks_resolution_history(seed_runbook):
    text = seed_runbook.read_text()
    written, parsed = resolution_row_append(text, entry=ROW, path=seed_runbook.name)
    assert changed_lines(text, written) == ["+| 2026-03-01 | #240 | 1Gi | 2Gi | OOM \\| again |"]
    history = parsed.resolution_history
    assert [(r.date, r.incidents, r.old, r.new, r.notes) for r in history][-1] == (
        date(2026, 3, 1),
        ["#240"],
        "1Gi",
        "2Gi",
        "OOM | again",
    )


def test_it_creates_the_table_when_the_runbook_has_none():
    text = "# Disk (DiskFull)\n\n## Alert\n`DiskFull`\n\n## Fix\nGrow it.\n"
    written, _parsed = resolution_row_append(text, entry=ROW)
    assert written.endswith(
        "## Resolution History\n\n| Date | Incident | Old Value | New Value | Notes |\n"
        "|------|----------|-----------|-----------|-------|\n| 2026-03-01 | #240 | 1Gi | 2Gi | OOM \\| again |\n"
    )


def test_it_puts_the_table_inside_a_history_section_that_has_only_prose():
    text = "# Disk (DiskFull)\n\n## Alert\n`DiskFull`\n\n## History\n\nNone yet.\n\n## Fix\nGrow it.\n"
    written, parsed = resolution_row_append(text, entry=ROW)
    assert written.index("| 2026-03-01") < written.index("## Fix")
    assert len(parsed.resolution_history) == 1


def test_values_without_a_column_go_into_the_notes():
    text = "# Disk (DiskFull)\n\n## Alert\n`DiskFull`\n\n## Resolution History\n\n| Date | Notes |\n|---|---|\n| 2026-01-01 | grew |\n"
    (_first, added) = resolution_row_append(text, entry=ROW)[1].resolution_history
    assert added.notes == "OOM | again; incidents: #240; old value: 1Gi; new value: 2Gi"


def test_a_table_with_nowhere_to_put_a_value_is_refused_with_the_reason():
    text = "# Disk (DiskFull)\n\n## Alert\n`DiskFull`\n\n## Resolution History\n\n| Date | Incident |\n|---|---|\n| 2026-01-01 | #1 |\n"
    with pytest.raises(EditError, match="no column for the old value, new value and notes"):
        resolution_row_append(text, entry=ROW)


def test_a_postmortem_is_not_given_a_resolution(seed_postmortem):
    with pytest.raises(EditError, match="reads as a postmortem"):
        resolution_row_append(seed_postmortem.read_text(), entry=ROW, path=seed_postmortem.name)


def test_ticking_a_follow_up_changes_only_its_line():
    text = "# Post-mortem: x\n\n## Action items\n\n- Alert on lag\n- [ ] Grow the volume\n\n## Lessons\n\n1. y\n"
    written, _parsed = follow_up_status_set(text, index=0, status="done")
    assert changed_lines(text, written) == ["-- Alert on lag", "+- [x] Alert on lag"]
    _reopened, parsed = follow_up_status_set(written, index=0, status="open")
    assert [f.status for f in parsed.follow_ups] == ["open", "open"]


def test_it_rewrites_the_status_cell_of_a_follow_up_table():
    text = (
        "# Post-mortem: x\n\n## Action items\n\n| Item | Owner | Status |\n|---|---|---|\n"
        "| Fix [the thing](http://x) | bob | open |\n| Other | al | open |\n"
    )
    written, _parsed = follow_up_status_set(text, index=0, status="done")
    assert changed_lines(text, written) == [
        "-| Fix [the thing](http://x) | bob | open |",
        "+| Fix [the thing](http://x) | bob | done |",
    ]


def test_a_done_marker_is_removed_when_a_follow_up_is_reopened():
    text = "# Post-mortem: x\n\n## Follow-ups\n\n- ✅ Rotated the key\n"
    written, parsed = follow_up_status_set(text, index=0, status="open")
    assert parsed.follow_ups[0].status == "open"
    assert "Rotated the key" in written


def test_a_follow_up_that_cannot_change_in_place_is_refused():
    text = "# Post-mortem: x\n\n## Action items\n\n| Item | Owner |\n|---|---|\n| Fix it | bob |\n"
    with pytest.raises(EditError, match="cannot be changed in place"):
        follow_up_status_set(text, index=0, status="done")
    with pytest.raises(EditError, match="no follow-up number 3"):
        follow_up_status_set(text, index=2, status="done")


def test_toggling_the_flattened_seed_rebuilds_its_structure(seed_postmortem):
    _written, parsed = follow_up_status_set(
        seed_postmortem.read_text(), index=1, status="done", path=seed_postmortem.name
    )
    assert [f.status for f in parsed.follow_ups] == ["open", "done"]
    assert parsed.warnings == []  # no longer flattened


def test_toggling_a_flattened_postmortem_keeps_its_front_matter(seed_postmortem):
    text = "---\nid: pm-flat\n---\n" + seed_postmortem.read_text()
    written, parsed = follow_up_status_set(text, index=1, status="done", path=seed_postmortem.name)
    assert written.startswith("---\nid: pm-flat\n---\n# ")
    assert (parsed.identity, [f.status for f in parsed.follow_ups]) == ("pm-flat", ["open", "done"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["open", "done"]), min_size=1, max_size=5), st.data())
def test_any_sequence_of_toggles_sets_exactly_the_statuses_asked_for(statuses, data):
    items = "\n".join(f"- [{'x' if s == 'done' else ' '}] task number {n}" for n, s in enumerate(statuses))
    text = f"# Post-mortem: t\n\n## Follow-ups\n\n{items}\n"
    wanted = list(statuses)
    for _ in range(4):
        index = data.draw(st.integers(0, len(statuses) - 1))
        status = data.draw(st.sampled_from(["open", "done"]))
        text, parsed = follow_up_status_set(text, index=index, status=status)
        wanted[index] = status
        assert [f.status for f in parsed.follow_ups] == wanted
        assert parsed == parse_document(text)
