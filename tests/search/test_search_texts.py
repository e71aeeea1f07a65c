"""The texts a document's search rows hold, from its HTML alone (`SearchTexts`): pure, no database. The
whole row's text is built from its sections' and must read exactly as the text of the whole HTML (the marks of its
sections are spaces to a reader: `squeeze`)."""

import random

from kb.markdown.html_parts import split_sections
from kb.search import SearchTexts
from kb.search.index import MAX_BODY
from kb.search.text import (
    SECTION_BODY_MARK,
    SECTION_MARK,
    SECTION_TERMS_MARK,
    html_text,
    identifier_terms,
    squeeze,
    vocabulary,
)

PAGE = (
    "<p>Before the first heading: HomelabPodOOMKilled &amp</p>"
    '<h1 id="title">Disk &nbsp;full</h1><p>Run <code>df&nbsp;-h</code>&#x27;</p>'
    '<details><h2 id="inner">Inside</h2><p>kube-apiserver</p></details>'
    '<h2 id="fix">Fix&hellip;</h2>\n<pre><code>NODE=&lt;node&gt;\n</code></pre>'
    '<h2 id="fix">Fix again</h2><p>last one wins</p><h3 id="">No anchor</h3>'
)


def _expected(markup: str) -> tuple[str, dict[str, str]]:
    sections = {part.anchor: html_text(part.body_html) for part in split_sections(markup) if part.anchor}
    return html_text(markup), sections


def test_it_reads_the_whole_page_and_each_section_as_a_reader_sees_them():
    texts = SearchTexts.of(PAGE)
    whole, sections = _expected(PAGE)
    assert squeeze(texts.body) == whole
    assert squeeze(texts.body).startswith(
        "Before the first heading: HomelabPodOOMKilled & Disk full Run df -h ' Inside"
    )
    assert squeeze(texts.body_terms) == identifier_terms(whole)
    assert texts.body_words == vocabulary(whole, identifier_terms(whole))
    assert {anchor: (text, terms) for anchor, (text, terms, _) in texts.sections.items()} == {
        anchor: (text, identifier_terms(text)) for anchor, text in sections.items()
    }
    assert texts.sections["fix"][0] == "last one wins"
    assert "inner" not in texts.sections  # a heading inside <details> stays in its section


def test_the_whole_text_is_the_text_of_the_whole_html_for_any_markup():
    pieces = [
        "<p>",
        "</p>",
        '<h2 id="a">',
        '<h2 id="b">',
        "</h2>",
        "<h1>",
        "</h1>",
        "<details>",
        "</details>",
        "<br>",
        "&amp;",
        "&amp",
        "&nbsp;",
        "&#x27;",
        "&lt;",
        " ",
        "\n",
        "\xa0",
        "word",
        "KubePodCrashLooping",
        "x_y",
        "-",
        ".",
    ]
    rng = random.Random(12)
    for _ in range(2000):
        markup = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        texts = SearchTexts.of(markup)
        whole, sections = _expected(markup)
        assert squeeze(texts.body) == whole, markup
        assert {anchor: (text, terms) for anchor, (text, terms, _) in texts.sections.items()} == {
            anchor: (text, identifier_terms(text)) for anchor, text in sections.items()
        }, markup
        # Identifiers found part by part are those of the whole text.
        assert squeeze(texts.body_terms) == identifier_terms(whole), markup
        assert texts.body_words == vocabulary(whole, identifier_terms(whole)), markup


def test_a_text_cut_at_its_length_limit_has_the_identifiers_of_what_is_kept():
    # The cut falls inside `HomelabPodOOMKilled`: what is kept of it counts, not the whole name.
    kept = MAX_BODY - len("Homelab")
    page = f'<p>{"x" * (kept - 1)} HomelabPodOOMKilled</p><h2 id="a">A</h2><p>kube_pod_info</p>'
    texts = SearchTexts.of(page)
    assert texts.body.endswith(" Homelab") and len(texts.body) == MAX_BODY
    assert texts.body_terms == ""  # a lone word, no compound name: its parts and the next section's are not searched
    long_section = f'<h2 id="b">B</h2><p>{"y" * (MAX_BODY - 4)} kube_pod_info</p>'
    texts = SearchTexts.of(long_section)
    assert texts.sections["b"][:2] == (("y" * (MAX_BODY - 4)) + " kub", "")


def test_the_whole_text_marks_where_each_section_and_its_heading_begin():
    texts = SearchTexts.of(PAGE)
    # Each mark once a section (a heading inside <details> or without an id begins none), in order.
    assert texts.body.count(SECTION_MARK) == texts.body.count(SECTION_BODY_MARK) == 3
    assert f"{SECTION_MARK} Disk full {SECTION_BODY_MARK} Run df -h" in texts.body
    assert f"{SECTION_MARK} Fix again {SECTION_BODY_MARK} last one wins No anchor" in texts.body
    # Numbered in order: `fix` twice, the second one's text is the section's (as its row's).
    assert {anchor: number for anchor, (_, _, number) in texts.sections.items()} == {"title": 1, "fix": 3}
    # The text before the first section has none: it belongs to no section.
    assert texts.body.startswith("Before the first heading")


def test_each_section_s_identifiers_are_marked_after_the_whole_text_s():
    page = (
        "<p>KubeletDown before any section</p>"
        '<h2 id="a">HomelabPodOOMKilled</h2><p>nothing</p><h2 id="c">None here</h2>'
        '<h2 id="b">B</h2><p>kube_pod_info and HomelabPodOOMKilled</p><h3>No anchor</h3><p>node_load1</p>'
        '<h2 id="d">None here either</h2>'
    )
    texts = SearchTexts.of(page)
    by_section = texts.section_terms.split(SECTION_TERMS_MARK)[1:]
    assert len(by_section) == 4  # a section without identifiers keeps its mark, the last one too
    assert by_section[1].split() == by_section[3].split() == []
    del by_section[1]
    assert by_section[0].split() == identifier_terms("HomelabPodOOMKilled").split()
    # A name in two sections is in each, as it was in each section's own row; before the first section, none.
    assert by_section[1].split() == identifier_terms("kube_pod_info HomelabPodOOMKilled").split()
    assert "kubelet" not in texts.section_terms
    # The whole text's identifiers are marked where they begin, and are those of the whole text.
    assert texts.body_terms.startswith(SECTION_TERMS_MARK)
    assert squeeze(texts.body_terms) == identifier_terms(squeeze(texts.body))
