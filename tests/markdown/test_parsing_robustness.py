"""Whatever text arrives, the parser answers with a document or a ParseError, never a crash."""

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kb.markdown.parsing import NotADocument, ParseError, parse_document
from kb.markdown.unflatten import looks_flattened

FRAGMENTS = [
    "# ",
    "## ",
    "### ",
    "\n",
    "\n\n",
    "| a | b |",
    "|---|---|",
    "```",
    "```bash",
    "- ",
    "- [ ] ",
    "1. ",
    "**Date:** ",
    "2026-05-31",
    "---",
    "title: x",
    "kind: runbook",
    "kind: postmortem",
    "`code`",
    "<details>",
    "</details>",
    "<script>x</script>",
    '{{< ref "x.md" >}}',
    "#236",
    "Summary",
    "Timeline",
    "Action items",
    "Lessons",
    "Alert",
    "Fix",
    "KubePodCrashLooping",
    "namespace `velero`",
    "\r\n",
    "\ufeff",
    "===",
    "> quote",
    "    indented",
    "[link](javascript:x)",
    "→",
    "│",
    "▼",
    "é",
    "\t",
]

documents = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=60).map("".join)
# A copy that lost its newlines, as chat and ticket tools paste it: many fragments on one line.
flattened = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), min_size=30, max_size=80).map(
    lambda parts: " ".join(" ".join(part.splitlines()) for part in parts)
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_it_never_crashes(text):
    try:
        doc = parse_document(text, "fuzz.md")
    except (ParseError, NotADocument):
        return
    assert_a_sane_document(doc)


@settings(max_examples=200, deadline=None)
@given(flattened)
def test_a_flattened_copy_never_crashes_either(text):
    assume(looks_flattened(text))  # what makes the parser rebuild the structure first (kb.markdown.unflatten)
    try:
        doc = parse_document(text, "fuzz.md")
    except (ParseError, NotADocument):
        return
    assert any(warning.startswith("structure reconstructed") for warning in doc.warnings)
    assert_a_sane_document(doc)


def assert_a_sane_document(doc):
    assert doc.kind in ("runbook", "postmortem", "note")
    assert "<script" not in doc.html
    assert all(1 <= s.level <= 6 for s in doc.sections)
