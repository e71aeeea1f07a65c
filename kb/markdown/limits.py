"""Keeping rendering linear in the size of the text, whatever the text.

Python-Markdown's link patterns look for the `]` that closes each `[` and the `)` that closes each
`](` by scanning to the end of the paragraph, once per candidate: a paragraph of 5,000 `[` took 20
seconds, and the time grows with the square of the length. Here a link ends within LINK_REACH
characters, found by the regular expression engine; the same bound is put on footnote references,
and `<tag` openings never closed (Python's HTML parser reads to the end from each) are escaped
when there are many. A line longer than `LONG_LINE` characters is no prose anyone wrote (a pasted
log, a minified blob, a hostile file): its first LONG_LINE_SHOWN characters are shown as plain
text, never parsed as markdown (the stored source keeps it whole), and the document says so in a
warning.
"""

from __future__ import annotations

import html
import re

import markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

from kb.markdown.syntax import LONG_LINE, fence_after

LONG_LINE_SHOWN = 2_000


# A link's text or destination ends within this many characters and brackets, or it is no link
# (CommonMark caps a link label at 999 characters; a longer destination is a data: URL, which the
# sanitiser removes anyway).
LINK_REACH = 2_000
LINK_BRACKETS = 16
# What one document may spend on destinations holding quotes (a title), the one form still scanned
# character by character by Python-Markdown: about a second of Python. Past it they stay text.
QUOTED_LINK_BUDGET = 1_000_000
LINK_PATTERNS = ("reference", "link", "image_link", "image_reference", "short_reference", "short_image_ref")
SQUARE = re.compile(r"[\[\]]")
ROUND = re.compile("[()'\"]")
# A footnote reference `[^id]`: Python-Markdown's `[^\]]*` reads to the next `]` from every `[^`.
FOOTNOTE = re.compile(r"\[\^([^\]]{0,200})\]", re.DOTALL)
# `<tag` with no `>` in reach: Python's HTML parser reads on to the end of the text from each one.
UNCLOSED_TAG = re.compile(r"<(?=[A-Za-z])(?![^>]{0,1000}>)")
UNCLOSED_TAGS_TOLERATED = 32


def _closing(pattern: re.Pattern, text: str, start: int) -> tuple[int | None, bool]:
    """The position of the bracket that closes the one just before `start` (None: not within reach),
    and whether a quote came first."""
    if text.find(")" if pattern is ROUND else "]", start, start + LINK_REACH) < 0:
        return None, False
    depth = 1
    for n, found in enumerate(pattern.finditer(text, start, start + LINK_REACH)):
        char = found[0]
        if char in "'\"":
            return None, True
        depth += 1 if char in "[(" else -1
        if depth == 0:
            return found.start(), False
        if n >= LINK_BRACKETS:
            break
    return None, False


def _matched_text(original):
    """`getText` of Python-Markdown's link patterns: the text up to the `]` that closes the `[` just
    before `index`, found by the regular expression engine within reach, not to the end of the text."""

    def get_text(data: str, index: int) -> tuple[str, int, bool]:
        if index == 0 or data[index - 1] != "[":
            return original(data, index)
        close, _quoted = _closing(SQUARE, data, index)
        if close is None:
            return "", len(data), False
        return data[index:close], close + 1, True

    return get_text


class _MatchedLink:
    """`getLink` of `[text](destination "title")`: without quotes, the destination ends at the `)`
    that closes its `(` within reach; with quotes, Python-Markdown's own scan, within the budget."""

    def __init__(self, pattern, md: markdown.Markdown):
        self.pattern, self.original, self.md = pattern, pattern.getLink, md

    def __call__(self, data: str, index: int):
        found = self.pattern.RE_LINK.match(data, pos=index)
        if not found or found.group(1):  # not a `(`, or `(<destination>)`: a regular expression reads it
            return self.original(data, index)
        close, quoted = _closing(ROUND, data, index + 1)
        if not quoted:
            if close is None:
                return "", None, index, False
            return self.pattern.unescape(data[found.end() : close]).strip(), None, close + 1, True
        if self.md.quoted_link_budget <= 0:
            return "", None, index, False
        href, title, end, handled = self.original(data[: index + LINK_REACH], index)
        self.md.quoted_link_budget -= (end - index) if handled else LINK_REACH
        return href, title, end, handled


class UnclosedTagsAsText(Preprocessor):
    """In a text with many `<tag` never closed by a `>` in reach, those `<` are written `&lt;`:
    they show the same, and the HTML parser no longer reads to the end of the text from each."""

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if "<" not in text or len(UNCLOSED_TAG.findall(text)) <= UNCLOSED_TAGS_TOLERATED:
            return lines
        return UNCLOSED_TAG.sub("&lt;", text).split("\n")


class LongLinesAsText(Preprocessor):
    """Each line over LONG_LINE characters becomes a paragraph of its first characters, escaped, left
    alone by every later step; inside a code fence it stays code, cut. Runs first (after the
    whitespace is normalised), so that no other preprocessor reads such a line."""

    def run(self, lines: list[str]) -> list[str]:
        if all(len(line) <= LONG_LINE for line in lines):
            return lines
        out: list[str] = []
        fence = None
        for line in lines:
            was_open, fence = fence, fence_after(fence, line)
            if len(line) <= LONG_LINE:
                out.append(line)
                continue
            self.md.long_lines += 1
            cut = f"{line[:LONG_LINE_SHOWN]} … ({len(line):,} characters, the rest in the source)"
            if was_open and fence:
                out.append(cut)
            else:
                out.extend(["", self.md.htmlStash.store(f'<p class="long-line">{html.escape(cut)}</p>'), ""])
        return out


class LongParagraphsAsText(Treeprocessor):
    """A paragraph (or any text) over LONG_LINE characters is shown as written, without inline
    markup: Python-Markdown rebuilds a paragraph's whole text for each link, code span or emphasis
    it finds, which costs the square of the length for a paragraph full of them."""

    def run(self, root) -> None:
        for element in root.iter():
            for attribute in ("text", "tail"):
                value = getattr(element, attribute)
                if value and len(value) > LONG_LINE and not isinstance(value, AtomicString):
                    setattr(element, attribute, AtomicString(value))
                    self.md.long_lines += 1


def linear_reset(md: markdown.Markdown) -> None:
    """The counts and budget of one text, for an instance that converts another."""
    md.long_lines = 0
    md.quoted_link_budget = QUOTED_LINK_BUDGET


class LinearExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        linear_reset(md)
        # After the whitespace is normalised (30), before fenced code (25) and the HTML block parser (20).
        md.preprocessors.register(LongLinesAsText(md), "long_lines_as_text", 26)
        # Before the inline patterns (20).
        md.treeprocessors.register(LongParagraphsAsText(md), "long_paragraphs_as_text", 25)
        # After fenced code is stashed (25), before the HTML block parser (20).
        md.preprocessors.register(UnclosedTagsAsText(md), "unclosed_tags_as_text", 21)
        for name in LINK_PATTERNS:
            if name in md.inlinePatterns:
                pattern = md.inlinePatterns[name]
                pattern.getText = _matched_text(pattern.getText)
                if name in ("link", "image_link"):
                    pattern.getLink = _MatchedLink(pattern, md)
        if "footnote" in md.inlinePatterns:
            md.inlinePatterns["footnote"].compiled_re = FOOTNOTE
