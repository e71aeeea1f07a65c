"""Parsing time grows with the size of a document, never with its square, whatever is in it.

Before kb/markdown/limits.py a paragraph of 5,000 `[` took 20 seconds and 20,000 characters of
`[](` never finished; each case below is one that was quadratic (numbers in the commit message).
"""

import time

import pytest

from kb.markdown.parsing import ParseError, parse_document

TWO_MB = 2 * 1024 * 1024 - 100
# What makes a markdown parser scan ahead from every position: openings never closed.
ADVERSARIAL = ["|", "*", "[", "`", "#", "# ", "[a](", "[](", "![", "<a ", "&#", "{{<a ", "[^", "> ", "\\"]


def cpu_seconds(text: str) -> float:
    start = time.process_time()
    try:
        parse_document(text, "adversarial.md")
    except ParseError:
        pass
    return time.process_time() - start


@pytest.fixture(scope="module", autouse=True)
def warm():
    parse_document("# Warm\n\n[a](b) *c* `d`\n", "warm.md")


@pytest.mark.parametrize("unit", ADVERSARIAL)
def test_a_two_megabyte_line_of_openings_parses_in_under_a_second(unit):
    text = "# Adversarial\n\n" + unit * (TWO_MB // len(unit)) + "\n"
    assert cpu_seconds(text) < 1.0


@pytest.mark.parametrize("unit", ["[", "![", "[a](", "[](", "![](http://a) ", "[^", "<a ", "{{<a ", "*a", "`a"])
def test_a_hundred_kilobytes_of_such_lines_parse_in_seconds_not_minutes(unit):
    line = unit * (1000 // len(unit))
    text = "# Adversarial\n\n" + "\n".join([line] * 100) + "\n"
    assert cpu_seconds(text) < 3.0


def test_a_line_too_long_to_be_prose_is_shown_cut_as_text_with_a_warning():
    line = "[a](" * 10_000
    document = parse_document(f"# Blob\n\nBefore.\n\n{line}\n\nAfter *this*.\n", "blob.md")
    assert "1 line(s) or paragraph(s) over 20,000 characters shown as plain text" in document.warnings
    assert "(40,000 characters, the rest in the source)" in document.html
    assert "<em>this</em>" in document.html
    assert len(document.html) < 5_000


def test_links_images_and_footnotes_of_ordinary_documents_still_render():
    text = (
        '# Links\n\nSee [the runbook](https://kb.example.org/runbooks/disk/ "Disk") and '
        "[nested [brackets]](/a_(b)) and ![logo](/static/logo.png) and a note[^1].\n\n"
        '{{< ref "other.md" >}} and {{< figure src="x.png" >}} gone.\n\n[^1]: The note.\n'
    )
    html = parse_document(text, "links.md").html
    assert '<a href="https://kb.example.org/runbooks/disk/" title="Disk"' in html
    assert '<a href="/a_(b)"' in html and ">nested [brackets]</a>" in html
    assert '<img alt="logo" src="/static/logo.png"' in html
    assert '<sup><a href="#fn:1"' in html
    assert "figure" not in html
