"""Cuts a document's rendered HTML into its top-level sections, so a page can show them one by one,
and finds its code (`code_elements`: the outermost `<pre>` and `<code>` elements).

Pure, no database access. The HTML comes from `kb.markdown.rendering` (sanitised, well formed):
a section starts at a heading that is not nested in another element (a heading inside
`<details>` stays in its section) and runs to the next such heading.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

# A tag's attributes read a run of plain characters at a time, a quoted value whole, and a slash not closing the tag:
# the same tags as the lazy `(?:[^>"']|"[^"]*"|'[^']*')*?` (which stops at the first `>` or `/>` outside quotes),
# which tried the tag's end and then its alternation at each character (tests/markdown/test_html_parts.py).
TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)((?:[^>\"'/]++|\"[^\"]*+\"|'[^']*+'|/(?!>))*+)(/?)>")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
HEADINGS = {f"h{level}" for level in range(1, 7)}
ID = re.compile(r"""\bid\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True)
class Part:
    anchor: str  # the heading's id; "" for what comes before the first heading
    level: int  # 0 for what comes before the first heading
    heading_text: str
    heading_html: str
    body_html: str


def split_sections(html_text: str) -> list[Part]:
    """The HTML as [text before the first heading, then one part per top-level heading]."""
    parts: list[Part] = []
    depth = 0
    current = {"anchor": "", "level": 0, "heading_text": "", "heading_html": "", "start": 0}
    heading_open: tuple[int, int, str] | None = None  # (start, level, anchor) of a heading being read

    # One call a tag (`groups`), not one a group: a page cuts its document on every first view.
    for match, name in _tags(html_text):
        closing, _, attributes, self_closing = match.groups()
        if self_closing or name in VOID:
            continue
        if closing:
            if depth:
                depth -= 1
            if heading_open and depth == 0 and name in HEADINGS:
                start, level, anchor = heading_open
                parts.append(_part(current, html_text[current["start"] : start]))
                heading_html = html_text[start : match.end()]
                current = {
                    "anchor": anchor,
                    "level": level,
                    "heading_text": _text(heading_html),
                    "heading_html": heading_html,
                    "start": match.end(),
                }
                heading_open = None
            continue
        if depth == 0 and name in HEADINGS:
            found = ID.search(attributes)
            anchor = html.unescape(next(g for g in found.groups() if g is not None)) if found else ""
            heading_open = (match.start(), int(name[1]), anchor)
        depth += 1
    parts.append(_part(current, html_text[current["start"] :]))
    return parts


def without_title(parts: list[Part], title: str) -> list[Part]:
    """Drops a first-level heading that only repeats the page's title (the page shows the title itself)."""
    for i, part in enumerate(parts):
        if part.level == 0:
            continue
        if part.level == 1 and _same(part.heading_text, title):
            parts = list(parts)
            parts[i] = Part(part.anchor, part.level, part.heading_text, "", part.body_html)
        break
    return parts


def _part(current: dict, body: str) -> Part:
    return Part(current["anchor"], current["level"], current["heading_text"], current["heading_html"], body)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(TAG.sub("", fragment)).split())


def _same(a: str, b: str) -> bool:
    return re.sub(r"\W+", "", a.lower()) == re.sub(r"\W+", "", b.lower())


def code_elements(html_text: str):
    """(name, opening tag match, content start, content end) of each outermost `<pre>` or `<code>`."""
    depth = 0
    opening = None
    for match, name in _tags(html_text):
        if name not in ("pre", "code") or match.group(4):
            continue
        if match.group(1):
            if depth == 1 and opening is not None:
                yield opening.group(2).lower(), opening, opening.end(), match.start()
            depth = max(depth - 1, 0)
        else:
            if depth == 0:
                opening = match
            depth += 1


# The HTML an import's parsing process cuts into sections is the one whose code it marks, one after the other
# (kb.documents.batches.Ahead): its tags are read once for both (each read was a fortieth of a file's parse).
@lru_cache(maxsize=1)
def _tags(html_text: str) -> list[tuple[re.Match, str]]:
    """Each tag of the HTML, with its name lower-cased."""
    return [(match, match.group(2).lower()) for match in TAG.finditer(html_text)]
