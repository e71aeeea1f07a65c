"""A page pasted whole (`<html>`, `<body>` left open) keeps the rest of the document readable."""

from kb.markdown.parsing import parse_document


def test_an_unclosed_body_tag_does_not_swallow_the_sections_after_it():
    text = "# Disk full\n\n<html>\n<body>\n\n## Fix\n\nGrow *the volume*.\n\n## Later\n\nDone.\n"
    document = parse_document(text, "pasted.md")
    assert [section.heading for section in document.sections] == ["Fix", "Later"]
    assert "<em>the volume</em>" in document.html
    assert "&lt;body" not in document.html and "## Later" not in document.html


def test_a_body_tag_in_a_code_block_is_shown_as_written():
    document = parse_document("# Page\n\n```html\n<body>\n```\n\n## After\n\nText.\n", "code.md")
    assert '<span class="nt">body</span>' in document.html
    assert [section.heading for section in document.sections] == ["After"]
