"""The texts a document's search rows hold, from its HTML alone (`SearchTexts`): pure, no database. The
whole row's text is built from its sections' and must read exactly as the text of the whole HTML."""

import random

from kb.markdown.html_parts import split_sections
from kb.search import SearchTexts
from kb.search.index import MAX_BODY
from kb.search.text import html_text, identifier_terms, vocabulary

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
    assert texts.body == whole
    assert texts.body.startswith("Before the first heading: HomelabPodOOMKilled & Disk full Run df -h ' Inside")
    assert texts.body_terms == identifier_terms(whole)
    assert texts.body_words == vocabulary(whole, identifier_terms(whole))
    assert texts.sections == {anchor: (text, identifier_terms(text)) for anchor, text in sections.items()}
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
        assert texts.body == whole, markup
        assert texts.sections == {anchor: (text, identifier_terms(text)) for anchor, text in sections.items()}, markup
        # Identifiers found part by part are those of the whole text.
        assert texts.body_terms == identifier_terms(whole), markup
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
    assert texts.sections["b"] == (("y" * (MAX_BODY - 4)) + " kub", "")
