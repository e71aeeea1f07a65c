"""The conventions the parser reads by and the web editor writes by (`kb.markdown.syntax`)."""

import pytest
import yaml

from kb.markdown.errors import ParseError
from kb.markdown.parsing import parse_document
from kb.markdown.syntax import (
    DONE_PREFIX,
    LIST_LINE,
    setext_level,
    source_parts,
    split_row,
    table_end,
    table_starts,
)


def test_a_table_row_keeps_escaped_pipes_and_code_spans_whole():
    assert split_row("| a \\| b | `x|y` | |") == ["a \\| b", "`x|y`", ""]


def test_an_escaped_backtick_opens_no_code_span_and_a_last_backslash_is_text():
    assert split_row("| \\`a | b | c\\") == ["\\`a", "b", "c\\"]


def test_the_ragged_table_warning_counts_the_cells_the_editor_splits():
    header, row = "| Field | Value |", "| a `x|y` | b | c |"
    doc = parse_document(f"# Post-mortem: x\n\n{header}\n|---|---|\n{row}\n", "2026-01-02-x.md")
    assert len(split_row(header)) == 2 and len(split_row(row)) == 3
    assert doc.warnings == ["line 5: table row has 3 cells, its header (line 3) has 2"]


def test_a_table_runs_from_its_header_to_the_first_line_without_a_pipe():
    lines = ["text", "| a | b |", "|---|---|", "| 1 | 2 |", "", "| not | this |"]
    assert not table_starts(lines, 0) and table_starts(lines, 1)
    assert table_end(lines, 1) == 4
    assert table_end(lines, 1, stop=3) == 3


def test_setext_underlines_give_the_heading_level():
    assert [setext_level(line) for line in ("===", "  ---", "- x", "=-")] == [1, 2, None, None]


def test_a_follow_up_starting_with_a_done_marker_is_done():
    assert all(DONE_PREFIX.match(text) for text in ("✅ Rotated", "☑ Rotated", "DONE: rotate", "Done - rotate"))
    assert not any(DONE_PREFIX.match(text) for text in ("Done.", "Doneness", "done: lowercase is a word"))


def test_a_list_line_comes_apart_into_marker_box_done_marker_and_text():
    item = LIST_LINE.match("  - [x] ✅ Rotated the key")
    assert item.group("marker", "box", "done", "text") == ("  - ", "[x] ", "✅ ", "Rotated the key")


def test_front_matter_reads_the_same_values_and_problems_as_pyyaml():
    # Read by libyaml when PyYAML has it; a front matter it refuses is reported in PyYAML's words and line.
    front = "title: Disk full\ndate: 2026-05-16\ntags: [disk, 'node 3']\nowner: ~\nretries: 0x10\nok: yes\n"
    assert source_parts(f"---\n{front}---\nbody\n").front_matter == yaml.safe_load(front)
    broken = "title: ok\n\tsummary: a tab libyaml words otherwise\n"
    with pytest.raises(yaml.YAMLError) as expected:
        yaml.safe_load(broken)
    with pytest.raises(ParseError) as raised:
        source_parts(f"---\n{broken}---\nbody\n")
    assert (
        str(raised.value)
        == f"line {expected.value.problem_mark.line + 2}: invalid YAML front matter: {expected.value.problem}"
    )
