"""Cutting rendered HTML into top-level sections: a pure function."""

import random
import re

from kb.markdown.html_parts import TAG, split_sections, without_title
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


# The lazy reading of a tag's attributes `TAG` replaced: a character, or a quoted value, at a time.
LAZY_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*?)(/?)>")
TAG_PIECES = ["<", ">", "/", "/>", "</", '"', "'", "=", " ", "\n", "a", "Pre", "code", "h2", "9", "é", 'class="x"', "<br>"]  # fmt: skip


def test_it_reads_the_tags_the_lazy_reading_of_their_attributes_reads():
    generator = random.Random(3)
    for _ in range(20000):
        text = "".join(generator.choice(TAG_PIECES) for _ in range(generator.randint(0, 20)))
        expected = [(m.span(), m.groups()) for m in LAZY_TAG.finditer(text)]
        assert [(m.span(), m.groups()) for m in TAG.finditer(text)] == expected, text
