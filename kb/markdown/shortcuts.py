"""Work Python-Markdown does that changes nothing we keep, skipped: the HTML is the same to the byte.

- Inline patterns: Python-Markdown tries every one (fifteen with our extensions) on every piece of
  text, a regular-expression search each with its bookkeeping around it, a quarter of rendering,
  though most pieces of text hold no `[`, `` ` ``, `<`, `&`, `*` or `_` at all. A pattern is skipped
  where a string every match of its expression holds is absent: a pattern that finds no match
  leaves the text and the parser's state as they were.
- Whether a tag is block-level: Python-Markdown looks it up in a list of fifty, 70,000 times for
  300 files (prettifying, the attribute lists); a set of the same names answers the same.
- Tables: Python-Markdown splits the first two lines of every block into cells to see whether it
  is a table; a block whose first line has no `|` is none (its header would be one cell).
- Finding a code block's lexer: Pygments reads through the aliases of its 600 lexers (and asks the
  installed packages' entry points, for a language it does not know) for every code block; the
  class found for a language is kept, and each block still gets a new lexer of it.
- The table of contents: its tree processor gives headings their ids, which we keep, and builds,
  serialises and post-processes a table of contents nothing reads; the table is built only for a
  `[TOC]` marker to replace.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as etree

import markdown
import pymdownx.highlight
from markdown.extensions import Extension
from markdown.extensions.toc import TocExtension, TocTreeprocessor
from markdown.treeprocessors import InlineProcessor
from markdown.util import AtomicString
from pygments.lexers import find_lexer_class_by_name
from pygments.util import ClassNotFound

# By the expression a pattern searches with (as Python-Markdown 3.11 and kb.markdown.limits compile
# them): strings one of which every match holds. A pattern whose expression is not here (a new
# version's, another extension's) is tried everywhere, as before.
NEEDS: dict[str, tuple[str, ...]] = {
    r"(?:(?<!\\)((?:\\{2})+)(?=`+)|(?<!\\)`)": ("`",),  # backtick
    r"\\(.)": ("\\",),  # escape
    r"\[\^([^\]]{0,200})\]": ("[^",),  # footnote
    r"(?<!\!)\[": ("[",),  # reference, link, short_reference
    r"\!\[": ("![",),  # image_link, image_reference, short_image_ref
    r"<([A-Za-z][A-Za-z0-9+.-]*://[^<>]*)>": ("://",),  # autolink
    r"<([^<> !]+@[^@<> ]+)>": ("@",),  # automail
    "  \\n": ("  \n",),  # linebreak
    r"(&(?:\#[0-9]+|\#x[0-9a-fA-F]+|[a-zA-Z0-9]+);)": ("&",),  # entity
    r"\*|_": ("*", "_"),  # em_strong
}
# Raw HTML: every alternative of its expression begins with `<`.
HTML_START = "(<("


def _needs(pattern) -> tuple[str, ...] | None:
    expression = pattern.compiled_re.pattern
    if expression.startswith(HTML_START) and type(pattern).__name__ == "HtmlInlineProcessor":
        return ("<",)
    return NEEDS.get(expression)


class PatternsWhereTheyCanMatch(InlineProcessor):
    """Python-Markdown's `InlineProcessor`, skipping the patterns a text lacks the needs of."""

    def run(self, tree, ancestors=None):
        # The registry is not changed during a conversion; reading it by index sorted it every time.
        self._patterns = list(self.inlinePatterns)
        self._pattern_needs = [_needs(pattern) for pattern in self._patterns]
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        """`InlineProcessor.__handleInline`, which the original calls by its mangled name."""
        if isinstance(data, AtomicString):
            return data
        patterns, needs = self._patterns, self._pattern_needs
        apply = self._InlineProcessor__applyPattern
        startIndex = 0
        count = len(patterns)
        while patternIndex < count:
            needed = needs[patternIndex]
            if needed is not None:
                for wanted in needed:
                    if wanted in data:
                        break
                else:
                    patternIndex += 1
                    startIndex = 0  # what a pattern that found nothing returns
                    continue
            data, matched, startIndex = apply(patterns[patternIndex], data, patternIndex, startIndex)
            if not matched:
                patternIndex += 1
        return data


class ShortcutsExtension(Extension):
    """The inline patterns where they can match, block-level tags looked up in a set."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)  # for `reset`
        self.md = md
        md.treeprocessors.register(PatternsWhereTheyCanMatch(md), "inline", 20)
        if "table" in md.parser.blockprocessors:
            table = md.parser.blockprocessors["table"]
            table.test = _table_test(table.test)
        self.reset()

    def reset(self) -> None:
        # Read again for each text, as Python-Markdown reads its list each time.
        block_level = frozenset(self.md.block_level_elements)

        def is_block_level(tag) -> bool:
            return isinstance(tag, str) and tag.lower().rstrip("/") in block_level

        self.md.is_block_level = is_block_level


def _table_test(test):
    def table_test(parent, block: str) -> bool:
        return "|" in block.partition("\n")[0] and test(parent, block)

    return table_test


class HeadingIds(TocTreeprocessor):
    """The table of contents' tree processor, building the table only where a `[TOC]` marker is."""

    def run(self, doc: etree.Element) -> None:
        self._doc = doc
        super().run(doc)

    def _marked(self) -> bool:
        """Whether `replace_marker` would replace an element: one whose own text is the marker."""
        marker = self.marker
        return bool(marker) and any(el.text and el.text.strip() == marker and not len(el) for el in self._doc.iter())

    def build_toc_div(self, toc_list: list) -> etree.Element:
        # Called once the headings have their ids, before `replace_marker`.
        self._table = self._marked()
        return super().build_toc_div(toc_list) if self._table else etree.Element("div")

    def replace_marker(self, root: etree.Element, elem: etree.Element) -> None:
        if self._table:
            super().replace_marker(root, elem)


class HeadingIdsExtension(TocExtension):
    """Python-Markdown's `toc`, its table built only for a marker (`HeadingIds`)."""

    TreeProcessorClass = HeadingIds


@functools.lru_cache(maxsize=256)
def _lexer_class(alias: str):
    try:
        return find_lexer_class_by_name(alias)
    except ClassNotFound as error:
        return error


def get_lexer_by_name(alias: str, **options):
    """Pygments' `get_lexer_by_name`, its lexer classes looked up once a language."""
    found = _lexer_class(alias)
    if isinstance(found, ClassNotFound):
        raise ClassNotFound(str(found))
    return found(**options)


# The highlighting extension's own name for it: what it calls for each code block.
pymdownx.highlight.get_lexer_by_name = get_lexer_by_name
