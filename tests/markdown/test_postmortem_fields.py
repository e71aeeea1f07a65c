"""Post-mortem fields read from wherever teams write them (issue #10): the date and where it came
from, severity and duration in bold fields or prose, the summary under any summary-like heading,
follow-ups from any action-like section and lessons kept with their group."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kb.markdown.followups import plain_texts, rendered_texts
from kb.markdown.parsing import parse_document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "markdown"


def parsed(name: str):
    return parse_document((FIXTURES / name).read_text(encoding="utf-8"), name)


def postmortem(text: str, path: str = "notes.md"):
    return parse_document("---\nkind: postmortem\n---\n" + text, path)


# --- the date and its source ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path", "day", "source"),
    [
        ("# 2024-03-02 Checkout is down\n\nIt broke.\n", "notes.md", date(2024, 3, 2), "title"),
        ("# February 5th, 2019 Partial Prow Outage\n\nJobs hung.\n", "notes.md", date(2019, 2, 5), "title"),
        ("# Checkout is down\n\nIt broke.\n", "2023-07-21-checkout.md", date(2023, 7, 21), "file name"),
        ("# Checkout is down\n\nOn May 10th, 2021 the cart emptied itself.\n", "x.md", date(2021, 5, 10), "text"),
        ("# Checkout is down\n\nBetween March 3-5, 2024 carts emptied.\n", "x.md", date(2024, 3, 3), "text"),
        (
            "# Checkout\n\n| Field | Value |\n|---|---|\n| Date | 2022-09-14 |\n",
            "2020-01-01.md",
            date(2022, 9, 14),
            "metadata",
        ),
    ],
)
def test_the_date_is_read_where_the_document_states_it_and_says_where(text, path, day, source):
    doc = postmortem(text, path)
    assert (doc.date, doc.date_source) == (day, source)


def test_a_front_matter_title_gives_the_date_as_the_title_does():
    doc = parsed("incident-report-queue.md")
    assert (doc.date, doc.date_source) == (date(2023, 11, 14), "title")


def test_a_change_merged_days_before_the_incident_is_its_cause_not_its_date():
    timeline = (
        "# Pool exhaustion\n\n## Timeline\n\n| Time | Event |\n|---|---|\n"
        "| 2024-02-27 16:00 | New pool settings merged |\n"
        "| 2024-03-02 09:40 | Payment errors alert fires |\n"
        "| 2024-03-02 12:50 | Settings reverted |\n"
    )
    doc = postmortem(timeline)
    assert (doc.date, doc.date_source) == (date(2024, 3, 2), "timeline")


def test_a_first_timeline_entry_that_tells_of_impact_is_the_date_even_when_alone():
    timeline = (
        "# Node starvation\n\n## Timeline\n\n| Time | Event |\n|---|---|\n"
        "| 2025-02-27 19:32 | First node NotReady, pods failing |\n"
        "| 2025-03-03 09:52 | Second node NotReady |\n"
        "| 2025-03-03 11:04 | Third node NotReady |\n"
    )
    assert postmortem(timeline).date == date(2025, 2, 27)


def test_a_title_copied_from_an_older_report_gives_way_to_the_file_name_the_timeline_bears_out():
    text = "# 2022-01-27, pod limit reached\n\n## Timeline\n\n### 2022-06-02 10:00\n\nLaunches fail.\n"
    doc = postmortem(text, "2022-06-02-pod-limit.md")
    assert (doc.date, doc.date_source) == (date(2022, 6, 2), "file name")


def test_a_post_mortem_without_any_date_says_so():
    doc = postmortem("# Cache fell over\n\nIt fell over and we restarted it.\n")
    assert (doc.date, doc.date_source) == (None, "")
    assert any(w.startswith("no incident date found") for w in doc.warnings)


# --- severity, duration, summary ------------------------------------------------------------


def test_bold_fields_in_the_body_give_severity_and_duration():
    doc = parsed("2024-03-02-checkout-down.md")
    assert (doc.severity, doc.duration) == ("Major", "3 hours 10 minutes")


def test_the_time_to_repair_is_the_duration_and_the_longer_time_to_resolve_a_field_beside_it():
    doc = parsed("incident-report-queue.md")
    assert doc.duration == "2h 40m"
    assert doc.metadata["Time to resolve"] == "3h 25m (during support hours)"
    assert "Review actions" not in doc.metadata


@pytest.mark.parametrize(
    ("sentence", "duration"),
    [
        ("The outage lasted approximately four hours.", "approximately four hours"),
        ("It made the hub unusable for about 1h50m.", "about 1h50m"),
        ("This caused 40min of total outage.", "40min"),
        ("The cluster appeared to recover itself in 20 minutes.", "20 minutes"),
        ("We spent two hours on the review meeting.", ""),
    ],
)
def test_a_duration_stated_in_the_summary_is_the_duration(sentence, duration):
    doc = postmortem(f"# Hub down\n\n## Summary\n\nThe hub broke. {sentence}\n")
    assert doc.duration == duration


def test_a_setext_issue_summary_is_the_summary_not_the_field_lines_above_it():
    summary = parsed("2024-03-02-checkout-down.md").summary
    assert summary.startswith("Between 09:40 and 12:50 UTC the checkout service")


def test_an_overview_heading_is_the_summary():
    assert parsed("google-style.md").summary.startswith("On May 10th, 2021 the search cluster")


def test_a_summary_written_as_a_table_reads_as_text_without_pipes():
    text = "# DNS outage\n\n## Summary\n\n| What | Detail |\n|---|---|\n| Impact | No DNS for 20 minutes |\n"
    summary = postmortem(text).summary
    assert "|" not in summary and "Impact: No DNS for 20 minutes" in summary


def test_without_a_summary_the_lead_paragraph_is_the_summary():
    doc = postmortem("# Culler flood\n\nA deploy flooded the hub with stop requests.\n\n## Timeline\n\nx\n")
    assert doc.summary == "A deploy flooded the hub with stop requests."


def test_a_label_whose_text_sits_on_the_lines_under_it_gives_that_text():
    assert parsed("incident-report-queue.md").summary.startswith("Consumers of the order queue stopped")


# --- follow-ups ---------------------------------------------------------------------------


def test_an_action_table_gives_the_follow_ups_and_the_bullets_explaining_it_are_not_items():
    follow_ups = parsed("2024-03-02-checkout-down.md").follow_ups
    assert [(f.text, f.owner, f.status) for f in follow_ups] == [
        ("Load-test pool settings before merging", "ana", "done"),
        ("Alert on payment error ratio above 1%", "ben", "open"),
        ("Double the pool size", "ana", "done"),
    ]


@pytest.mark.parametrize("glyph", ["✅", "✔", "☑", "✔️"])
def test_a_status_cell_holding_only_a_done_glyph_is_done(glyph):
    text = f"# X\n\n## Action items\n\n| Action | Status |\n|---|---|\n| Add an alert | {glyph} |\n| Fix it | open |\n"
    assert [f.status for f in postmortem(text).follow_ups] == ["done", "open"]


@pytest.mark.parametrize(
    "heading", ["Remediation", "Corrective actions", "Next steps", "Review actions", "Prevention", "Follow-ups"]
)
def test_any_action_like_section_gives_follow_ups(heading):
    doc = postmortem(f"# X\n\n## {heading}\n\n- Add an alert on queue depth\n- Write the restart procedure\n")
    assert [f.text for f in doc.follow_ups] == ["Add an alert on queue depth", "Write the restart procedure"]


def test_labelled_review_actions_give_one_follow_up_per_top_level_bullet_with_their_done_marks():
    follow_ups = parsed("incident-report-queue.md").follow_ups
    assert [f.status for f in follow_ups] == ["open", "done", "done"]
    assert follow_ups[0].text == "Add a readiness check on the broker connection with a link to the design note"


def test_grouped_next_steps_give_an_item_per_bullet_and_per_paragraph_but_not_questions():
    follow_ups = parsed("google-style.md").follow_ups
    assert [(f.text, f.status) for f in follow_ups] == [
        ("Page on master count below quorum", "done"),
        ("Graph the election rate - see the dashboard proposal for details", "open"),
        ("Move the masters to dedicated nodes so data nodes cannot starve them.", "open"),
    ]


def test_a_bullet_nested_by_two_spaces_belongs_to_its_parent():
    text = "# X\n\n## Action items\n\n- Use a shared mailbox for certificates\n  - This has been done: team@example.org\n- Watch the next renewal\n"
    follow_ups = postmortem(text).follow_ups
    assert [f.status for f in follow_ups] == ["done", "open"]


@pytest.mark.parametrize(
    ("item", "status"),
    [
        ("Rotate the keys (completed)", "done"),
        ("~~Rotate the keys~~", "done"),
        ("Rotate the keys (DONE)", "done"),
        ("Document what can be done in case the rollover fails", "open"),
    ],
)
def test_done_marks_in_a_follow_up_make_it_done(item, status):
    assert [f.status for f in postmortem(f"# X\n\n## Action items\n\n- {item}\n").follow_ups] == [status]


def test_a_see_link_bullet_adds_to_the_item_before_it():
    text = "# X\n\n## Action Items\n\n- Add dashboards for error rates\n- See https://example.org/metrics.md\n"
    assert len(postmortem(text).follow_ups) == 1


# --- lessons --------------------------------------------------------------------------------


def test_lessons_keep_the_group_they_were_written_in():
    assert parsed("2024-03-02-checkout-down.md").lessons == [
        "What went well: The alert fired within two minutes.",
        "What went wrong: Nobody knew the pool settings had changed.",
        "What went wrong: The rollback needed a manual approval.",
        "Where we got lucky: It happened on a quiet Saturday.",
    ]


def test_insights_and_takeaways_are_lessons():
    assert parsed("google-style.md").lessons == [
        "Quorum loss looks like a slow cluster from the outside.",
        "Our runbook assumed one master at a time.",
        "Test the failure of two masters in the next game day.",
    ]


def test_a_what_went_wrong_group_under_action_items_gives_lessons_not_follow_ups():
    text = (
        "# X\n\n## Action items\n\n### What went wrong\n\n- Nobody was paged\n\n### Process\n\n1. Page the whole team\n"
    )
    doc = postmortem(text)
    assert ([f.text for f in doc.follow_ups], doc.lessons) == (
        ["Page the whole team"],
        ["What went wrong: Nobody was paged"],
    )


def test_a_severity_declared_in_the_timeline_is_the_severity_when_no_field_gives_one():
    text = (
        "# Node failure\n\n## Timeline\n\n| Time | Event |\n|---|---|\n"
        "| 2023-02-14 11:07 | Sev 1 ticket raised |\n\n## Lessons\n\n- Other severity 1 work delayed us\n"
    )
    assert postmortem(text).severity == "Sev 1"
    assert postmortem("# Log4Shell\n\n## Summary\n\nTwo teams had other severity 1 work.\n").severity == ""


def test_a_templates_examples_after_the_groups_own_items_are_not_lessons():
    text = (
        "# X\n\n## Lessons learned\n\n### What went well\n\n- The staging cluster caught it\n\n"
        "List of things that went well. For example,\n\n1. We were alerted by bots\n2. Docs helped\n"
    )
    assert postmortem(text).lessons == ["What went well: The staging cluster caught it"]


def test_a_lead_in_ending_for_example_before_any_item_introduces_real_lessons():
    text = "# X\n\n## What went wrong\n\nThings that could have gone better. For example,\n\n- No logs\n- No alert\n"
    assert len(postmortem(text).lessons) == 2


# Words and the punctuation follow-ups are written with, and Markdown's marks: list, heading and quote marks
# first, emphasis, code, links, escapes, entities and HTML anywhere; code spans and bold runs, whole or broken,
# holding marks or not, glued to what is beside them or not.
WORDS = ["fix", "Disk", "2024-03-01", "v1.2", "#12", "(owner:", "@ana)", "a/b", "50%", "$5", "x=y", "'q'", '"q"', "c++"]
MARKS = ["1.", "3)", "-", "*", "_x_", "`cmd`", "[link](http://a)", "<b>", "&amp;", "\\*", "|", "{#id}", ">", "[ ]", ":"]
SPANS = [
    *["`", "``", "**", "***", "`kubectl get pods -n x`", "` a `", "`*a*`", "`a**b`", "`<b>`", "`&amp;`", "`a\\`"],
    *["`[x](y)`", "`_a_`", "**Owner:**", "**a b**", "** a **", "**a **", "**`x`**", "**<b>**", "**a_b**", "**1.**"],
]
ITEM_TEXT = st.tuples(
    st.sampled_from(["fix", "Disk", "2024-03-01", "1.", "3)", "-", "#", ">", "`cmd`", "**Owner:**", "`", "**"]),
    st.lists(st.tuples(st.sampled_from(["", " ", "  ", "\t"]), st.sampled_from(WORDS + MARKS + SPANS)), max_size=6),
).map(lambda item: item[0] + "".join(gap + token for gap, token in item[1]))


@settings(max_examples=1500, deadline=None)
@given(st.lists(ITEM_TEXT, min_size=1, max_size=3))
@example(["fix` a `"])  # a code span's inner spaces are not the reader's
@example(["fix`cmd``kubectl get pods -n x`"])  # one code span, backticks inside
@example(["fix**a **", "Disk** a **"])  # no bold either way
@example(["1. fix"])
def test_follow_ups_read_without_rendering_read_as_rendered(texts):
    # Items with no mark but code spans and bold runs skip the rendering (`PLAIN_ITEM`): what a reader sees must be
    # the same either way.
    assert plain_texts(texts) == rendered_texts(texts)
