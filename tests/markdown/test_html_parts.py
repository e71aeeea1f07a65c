"""Cutting rendered HTML into top-level sections: a pure function."""

from kb.markdown.html_parts import split_sections, without_title
from kb.markdown.rendering import render

DOC = """# Disk full (NodeDiskFull)

Intro.

## Diagnosis

<details><summary>More</summary>

### Nested heading

</details>

```
# not a heading
```

## Mitigation

Do it.
"""


def test_it_cuts_at_top_level_headings_and_loses_nothing():
    html = render(DOC).html
    parts = split_sections(html)
    assert [(p.anchor, p.level) for p in parts] == [
        ("", 0),
        ("disk-full-nodediskfull", 1),
        ("diagnosis", 2),
        ("mitigation", 2),
    ]
    assert "".join(p.heading_html + p.body_html for p in parts) == html
    assert parts[2].heading_text == "Diagnosis"
    assert "Nested heading" in parts[2].body_html


def test_it_drops_a_first_heading_that_repeats_the_title():
    parts = without_title(split_sections(render(DOC).html), "Disk full (NodeDiskFull)")
    assert parts[1].heading_html == ""
    assert "Intro." in parts[1].body_html
    kept = without_title(split_sections(render(DOC).html), "Another title")
    assert kept[1].heading_html.startswith("<h1")
