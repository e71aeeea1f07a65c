"""What a document says fixed an incident, and a runbook's own next step when the fix did not hold."""

from kb.markdown.fixes import is_fix_heading, next_step, row_fix, short_text


def test_it_finds_the_next_step_a_runbook_gives_with_the_list_it_introduces():
    text = "## Fix\n\nRaise the limit.\n\nIf OOMs recur after raising to 1Gi, consider:\n1. Raising to 2Gi\n2. Reducing the `backup` scope\n\n## GitOps\n"
    step = next_step(text)
    assert step.sentence == "If OOMs recur after raising to 1Gi, consider:"
    assert step.options == ["Raising to 2Gi", "Reducing the backup scope"]


def test_a_next_step_in_running_text_is_its_sentence():
    step = next_step("Restart the pod. If the alert fires again within a day, open an upstream issue. Then rest.")
    assert (step.sentence, step.options) == ("If the alert fires again within a day, open an upstream issue.", [])


def test_conditions_that_are_not_about_the_fix_failing_are_no_next_step():
    assert next_step("If only one replica is Ready, scale up.\n\nIf `base` is big, find the table.") is None
    assert next_step("```bash\n# If it persists: rm -rf /\n```\n") is None
    assert next_step("| If it recurs | page |\n|---|---|\n| x | y |\n") is None


def test_fix_headings_are_told_from_others():
    assert [
        is_fix_heading(h) for h in ("Fix (`main.tf`, applied)", "Resolution", "How it was fixed", "Root cause")
    ] == [
        True,
        True,
        True,
        False,
    ]
    assert not is_fix_heading("Fixed follow-ups")


def test_a_history_row_fix_prefers_a_fix_column_to_a_cause():
    cells = {"Date": "2026-02-18", "Incident": "#233", "Cause": "Token expired", "Notes": "Re-created the `token`"}
    assert row_fix(cells, "Token expired") == "Re-created the token"
    assert row_fix({"Date": "2026-02-18"}, "Raised it") == "Raised it"


def test_a_long_fix_is_cut_at_a_word():
    text = short_text("word " * 100, limit=40)
    assert len(text) <= 40 and text.endswith("word…")
