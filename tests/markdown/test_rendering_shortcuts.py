"""The work rendering skips (kb/markdown/shortcuts.py) changes nothing: every text renders to the same
HTML and the same outline as Python-Markdown renders it with all its work done."""

import itertools
from pathlib import Path

import pytest
from markdown.inlinepatterns import BACKTICK_RE, BacktickInlineProcessor

from kb.markdown.rendering import markdown_new
from kb.markdown.shortcuts import _code_span

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

TEXTS = {
    "plain prose": "# Disk full\n\nThe node ran out of space.\n\n## Steps\n\nCheck it, then clean it.\n",
    "every inline construct": (
        "# All of them\n\n"
        '`code` and ``two `ticks` `` and \\*escaped\\* and a [link](https://example.org/a_b "t") and\n'
        "[ref][r] and [short] and ![image](/static/x.png) and ![ref image][r] and ![short image]\n"
        "and <https://example.org/x> and <ops@example.org> and <b>bold</b> and &amp; &#35; &#x41;\n"
        "and *em* _em_ **strong** __strong__ ***both*** a_snake_case_name and 2 * 3 * 4.  \n"
        "A hard break above, a note[^1] and <!-- a comment -->.\n\n"
        "[r]: https://example.org/r\n[short]: /short\n[short image]: /s.png\n\n[^1]: The *note*.\n"
    ),
    "code spans hide the rest": "Run `kubectl get pods -n [ns] <pod> & *` now.\n",
    "a marker for a table of contents": "# Title\n\n[TOC]\n\n## One\n\n### One and a half\n\n## Two\n",
    "a marker in a list item and a heading": "# [TOC]\n\n- [TOC]\n\n## Again\n\n  [TOC]  \n",
    "duplicate headings": "## Steps\n\nA.\n\n## Steps\n\nB.\n\n## Steps {#own}\n\nC.\n",
    "headings named by their markup": (
        "## A &amp; B\n\n## 1 < 2 > 0\n\n## Escaped \\*star\\*\n\n## Note[^n]\n\n## Label {: data-toc-label='Short' }\n\n"
        "##   Spaced    out  \n\n## A &amp; B\n\n[^n]: A note.\n"
    ),
    "rows with escaped pipes and code": "| A | B |\n|---|---|\n| `a|b` | c \\| d |\n| x\\\\ | ``y|` `` |\n",
    "blocks that look like others": (
        "Not a rule - or _ or *\nNor a quote > here\n\nTerm: not a definition\n\n*[ not an abbreviation\n\n"
        "[^ not a footnote\n\n[not]: a reference? no\n\nSetext\n---\n\n> A quote\n\n- - -\n"
    ),
    "markup in headings and tables": (
        "## The `api` *server* & [docs](/d)\n\n| Host | State |\n|:--|--:|\n| `db-1` | **down** |\n"
    ),
    "nested lists and code": (
        "1. First\n   ```bash\n   kubectl -n x get pods\n   ```\n2. Second with *emphasis*\n   - [ ] open\n   - [x] done\n"
    ),
    "html blocks and definitions": (
        "<details><summary>More</summary>\n\nInside *markdown*.\n\n</details>\n\nTerm\n:   Its *definition*.\n\n"
        "*[HTML]: Hyper Text\n\nHTML here.\n"
    ),
    "tables with and without borders": (
        "| A | B |\n|---|:-:|\n| 1 | 2 |\n\nA | B\n--|--\n1 | 2\n\n| One |\n| --- |\n| 1 |\n\nNo | table\nhere\n\n"
        "First line\n| a | b |\n|---|---|\n"
    ),
    "underscores only": "snake_case_names like node_filesystem_avail_bytes and _private_\n",
    "attribute lists": (
        '## Steps {: #steps .x}\n\nA paragraph.\n{: .note }\n\nAn *emphasis*{: .y} and a [link](/a){: title="t"}.\n\n'
        '- item\n{: .list}\n\n<div markdown="1">\n\n## Inside {: #inner}\n\n</div>\n\n```yaml\nkey: {a: 1}\n```\n'
    ),
    "braces and backslashes only in fenced code": '```bash\necho \\"{x}\\" \\\\\n```\n\nNo mark *here*.\n',
    "escapes": 'A \\*star\\* and \\_under\\_ and \\`tick\\` in [a \\] link](/x\\_y "a \\" quote").\n',
    "a blank text": "",
}


def rendered(md, text: str):
    html = md.convert(text)
    return html, getattr(md, "outline_blocks", None)


@pytest.mark.parametrize("name", TEXTS)
def test_it_renders_each_construct_as_python_markdown_does(name):
    assert rendered(markdown_new(), TEXTS[name]) == rendered(markdown_new(shortcuts=False), TEXTS[name])


def test_it_renders_every_markdown_fixture_as_python_markdown_does():
    files = sorted(FIXTURES.rglob("*.md"))
    assert len(files) > 20
    for file in files:
        text = file.read_text()
        assert rendered(markdown_new(), text) == rendered(markdown_new(shortcuts=False), text), file


def test_it_builds_the_table_of_contents_where_a_marker_asks_for_one():
    html, _ = rendered(markdown_new(), TEXTS["a marker for a table of contents"])
    assert '<div class="toc">' in html
    assert '<a href="#one-and-a-half">One and a half</a>' in html


def test_it_highlights_each_code_block_with_its_own_options():
    plain = "```bash\nkubectl get pods\n```\n"
    first = markdown_new().convert(plain)
    titled = markdown_new().convert('```promql hl_lines="1" title="Query"\nrate(x_total[5m])\n```\n')
    assert '<span class="filename">Query</span>' in titled and '<span class="hll">' in titled
    assert markdown_new().convert(plain) == first
    assert "filename" not in first and "hll" not in first


def test_it_finds_the_code_spans_python_markdown_finds():
    backtick = BacktickInlineProcessor(BACKTICK_RE)
    for size in range(9):
        for text in map("".join, itertools.product("`a ", repeat=size)):
            for start in range(size + 1):
                assert _code_span(start, text) == backtick.find_code_spans(start, text), (start, text)
