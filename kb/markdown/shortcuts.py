"""Work Python-Markdown does that changes nothing we keep, skipped: the HTML is the same to the byte.

- Inline patterns: Python-Markdown tries every one (fifteen with our extensions) on every piece of
  text, a regular-expression search each with its bookkeeping around it, a quarter of rendering,
  though most pieces of text hold no `[`, `` ` ``, `<`, `&`, `*` or `_` at all. A pattern is skipped
  where a string every match of its expression holds is absent: a pattern that finds no match
  leaves the text and the parser's state as they were. A text that holds no placeholder of an
  element the patterns made is the element's text again, without the search for placeholders.
- A code span's closing backticks: Python-Markdown reads the text after the opening ones a character
  at a time; a search finds the same runs of backticks.
- Whether a tag is block-level: Python-Markdown looks it up in a list of fifty, 70,000 times for
  300 files (prettifying, the attribute lists); a set of the same names answers the same.
- Block processors: Python-Markdown asks each in turn whether a block is its kind, a search of the
  whole block each (a heading's `#`, a rule's dashes, a quote's `>`), or tries to read a footnote,
  an abbreviation or a link reference from it, for every paragraph. A processor is skipped on a
  block that lacks a string every match of its expression holds, as the inline patterns are; their
  registry is put in order once, not for every block.
- Tables: Python-Markdown splits the first two lines of every block into cells to see whether it
  is a table; a block whose first line has no `|` is none (its header would be one cell). A row is
  split by reading its backslashes, backticks and pipes one by one, to keep the pipes inside code; a
  row with neither backslash nor backtick has its cells between its pipes.
- A code block's lexer and formatter: Pygments reads through the aliases of its 600 lexers (and
  asks the installed packages' entry points, for a language it does not know) for every code block,
  and the highlighting extension builds a new lexer and a new formatter for each, whose caches of
  the CSS classes of each token type start empty. The lexer of a language and the formatter of the
  same options are built once a process and used again (as Sphinx keeps its lexers): neither keeps
  anything of the code it highlighted but those caches. Each lexer's rules are tried a run at a time
  (kb.markdown.lexing).
- The table of contents: its tree processor gives headings their ids, which we keep, and builds,
  serialises and post-processes a table of contents nothing reads; the table is built only for a
  `[TOC]` marker to replace, and the tree searched for one only where the text holds it. Without
  one, the headings get their ids alone, a heading of plain text named by its text, not serialised
  and post-processed for it.
- Tree processors that walk every element for a mark the text lacks: the attribute lists (`{: …}`)
  where no `{` is, restoring backslash escapes where no `\\` is (the text the block parser reads,
  fenced code already set aside: `SourceKept`). No other step writes either character into the tree's text.
"""

from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as etree

import markdown
import pymdownx.highlight
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListTreeprocessor
from markdown.extensions.toc import TocExtension, TocTreeprocessor, remove_fnrefs, render_inner_html, strip_tags, unique
from markdown.inlinepatterns import BacktickInlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import InlineProcessor, UnescapeTreeprocessor
from markdown.util import AtomicString
from pygments.lexers import find_lexer_class_by_name
from pygments.util import ClassNotFound

from kb.markdown.lexing import with_states_joined

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

    def _InlineProcessor__processPlaceholders(self, data, parent: etree.Element, isText: bool = True) -> list:
        """`InlineProcessor.__processPlaceholders`, for a text that holds no placeholder (most texts) what it does
        with one: the text joined to the parent's text (or tail), no element made."""
        if not data or type(data) is not str or self._InlineProcessor__placeholder_prefix in data:
            return super()._InlineProcessor__processPlaceholders(data, parent, isText)
        if isText:
            parent.text = parent.text + data if parent.text else data
        else:
            parent.tail = parent.tail + data if parent.tail else data
        return []


TICKS = re.compile("`+")


def _code_span(start: int, text: str) -> tuple[int, int | None]:
    """`BacktickInlineProcessor.find_code_spans`, the runs of backticks after the opening one found by a search,
    not read a character at a time (to the text's end, for a backtick that closes nothing)."""
    opened = TICKS.match(text, start)
    max_ticks = opened.end() - start if opened else 0
    start += max_ticks
    longest_span = end = 0
    for run in TICKS.finditer(text, start):
        span_length = run.end() - run.start()
        if span_length == max_ticks:
            return start, run.start()
        if span_length > longest_span:
            longest_span, end = span_length, run.end()
    if 0 < longest_span < max_ticks:
        return start - (max_ticks - longest_span), end - longest_span
    return start + max_ticks, None


class SourceKept(Preprocessor):
    """Keeps the text as the block parser and `md_in_html` will read it (after the Hugo shortcodes and fenced
    code, which is set aside whole), for the steps that skip what it lacks."""

    def run(self, lines: list[str]) -> list[str]:
        self.md.kb_source = "\n".join(lines)
        return lines


class AttributeListsWhereBraced(AttrListTreeprocessor):
    def run(self, doc: etree.Element) -> None:
        # Each of its expressions matches a `{`.
        if "{" in self.md.kb_source:
            super().run(doc)


class UnescapeWhereEscaped(UnescapeTreeprocessor):
    def run(self, root: etree.Element) -> None:
        # What it restores, the escape pattern wrote for a backslash (the text's own STX and ETX are removed).
        if "\\" in self.md.kb_source:
            super().run(root)


class ShortcutsExtension(Extension):
    """The inline patterns where they can match, block-level tags looked up in a set, the tree processors
    that find nothing to do skipped."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)  # for `reset`
        self.md = md
        # After the Hugo shortcodes (40) and fenced code (25), before the HTML blocks (20).
        md.preprocessors.register(SourceKept(md), "source_kept", 24)
        md.treeprocessors.register(PatternsWhereTheyCanMatch(md), "inline", 20)
        if isinstance(md.inlinePatterns["backtick"], BacktickInlineProcessor):
            md.inlinePatterns["backtick"].find_code_spans = _code_span
        if "attr_list" in md.treeprocessors:
            md.treeprocessors.register(AttributeListsWhereBraced(md), "attr_list", 8)
        md.treeprocessors.register(UnescapeWhereEscaped(md), "unescape", 0)
        for processor in md.parser.blockprocessors:
            _block_needs(processor)
        md.parser.blockprocessors.__class__ = _OrderKept
        if "table" in md.parser.blockprocessors:
            table = md.parser.blockprocessors["table"]
            table.test = _table_test(table.test)
            table._split = _split_plain(table._split)
        self.reset()

    def reset(self) -> None:
        # Read again for each text, as Python-Markdown reads its list each time.
        block_level = frozenset(self.md.block_level_elements)

        def is_block_level(tag) -> bool:
            return isinstance(tag, str) and tag.lower().rstrip("/") in block_level

        self.md.is_block_level = is_block_level


# Block processors by the expression they search a block with (as Python-Markdown 3.11 compiles them): strings
# one of which every match holds. Each processor's test (or its run, for those whose test accepts every block and
# whose run puts a block without a match back) is tried only on a block holding one.
BLOCK_TESTS: dict[str, tuple[str, ...]] = {
    r"(?:^|\n)(?P<level>#{1,6})(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)": ("#",),  # hashheader
    r"^.*?\n(?:=+|-+)[ ]*(\n|$)": ("\n=", "\n-"),  # setextheader
    r"^[ ]{0,3}(?=(?P<atomicgroup>(-+[ ]{0,2}){3,}|(_+[ ]{0,2}){3,}|(\*+[ ]{0,2}){3,}))(?P=atomicgroup)[ ]*$": (
        "-",
        "_",
        "*",
    ),  # hr
    r"(^|\n)[ ]{0,3}:[ ]{1,3}(.*?)(\n|$)": (":",),  # deflist
    r"(^|\n)[ ]{0,3}>[ ]?(.*)": (">",),  # quote
}
BLOCK_RUNS: dict[str, tuple[str, ...]] = {
    r"^[ ]{0,3}\[\^([^\]]*)\]:[ ]*(.*)$": ("[^",),  # footnote
    r"^[*]\[(?P<abbr>[^\\]*?)\][ ]?:[ ]*\n?[ ]*(?P<title>.*)$": ("*[",),  # abbr
    r'^[ ]{0,3}\[([^\[\]]*)\]:[ ]*(?:\n[ ]*)?([^\s]+)[ ]*(?:\n[ ]*)?((["\'])(.*)\4[ ]*|\((.*)\)[ ]*)?$': (
        "]:",
    ),  # reference
}


def _block_needs(processor) -> None:
    expression = getattr(getattr(processor, "SEARCH_RE", None) or getattr(processor, "RE", None), "pattern", None)
    if expression in BLOCK_TESTS:
        processor.test = _where_needed(processor.test, BLOCK_TESTS[expression], lambda parent, block: block)
    elif expression in BLOCK_RUNS:
        processor.run = _where_needed(processor.run, BLOCK_RUNS[expression], lambda parent, blocks: blocks[0])


def _where_needed(method, needs: tuple[str, ...], block_of):
    def where_needed(parent, argument):
        block = block_of(parent, argument)
        return any(needed in block for needed in needs) and method(parent, argument)

    return where_needed


class _OrderKept(markdown.util.Registry):
    """A registry that lists its items in order once, not at each iteration (the block parser iterates its
    processors for every block), until one is registered or deregistered."""

    _kept: list | None = None

    def __iter__(self):
        if self._kept is None:
            self._kept = list(super().__iter__())
        return iter(self._kept)

    def register(self, item, name: str, priority: float) -> None:
        self._kept = None
        super().register(item, name, priority)

    def deregister(self, name: str, strict: bool = True) -> None:
        self._kept = None
        super().deregister(name, strict)


def _table_test(test):
    def table_test(parent, block: str) -> bool:
        return "|" in block.partition("\n")[0] and test(parent, block)

    return table_test


def _split_plain(split):
    def split_row(row: str) -> list[str]:
        # Every match of the table's `RE_CODE_PIPES` but a pipe holds a backslash or a backtick.
        return row.split("|") if "`" not in row and "\\" not in row else split(row)

    return split_row


class HeadingIds(TocTreeprocessor):
    """The table of contents' tree processor, building the table only where a `[TOC]` marker is."""

    def run(self, doc: etree.Element) -> None:
        self._doc = doc
        if self.use_anchors or self.use_permalinks not in (False, None) or self._marked():
            super().run(doc)
            return
        # What `TocTreeprocessor.run` does to the tree without a table to build: the headings' ids, unique among
        # the ids the tree holds, and their `data-toc-label` dropped; not the table's tokens, its serialising and
        # post-processing, or each heading serialised for its name where its text alone is the name.
        used_ids, headings = set(), []
        for el in doc.iter():
            if "id" in el.attrib:
                used_ids.add(el.attrib["id"])
            if isinstance(el.tag, str) and self.header_rgx.match(el.tag):
                headings.append(el)
        counters: dict[str, int] = {}
        for el in headings:
            self.set_level(el)
            if "id" not in el.attrib:
                el.attrib["id"] = unique(self.slugify(html.unescape(self._name(el)), self.sep), used_ids, counters)
            el.attrib.pop("data-toc-label", None)

    def _name(self, el: etree.Element) -> str:
        """`strip_tags(render_inner_html(remove_fnrefs(el)))`: for a heading of text alone without `&`, `<`, `>`
        or a placeholder (whose every kind, of the post-processors too, begins with STX), that text serialised
        as it is, post-processed as it is, its whitespace collapsed."""
        text = el.text or ""
        if not len(el) and not _SERIALISED_OTHERWISE.search(text):
            return " ".join(text.split())
        return strip_tags(render_inner_html(remove_fnrefs(el), self.md))

    def _marked(self) -> bool:
        """Whether `replace_marker` would replace an element: one whose own text is the marker."""
        marker = self.marker
        if not marker or marker not in getattr(self.md, "kb_source", marker):
            return False
        return any(el.text and el.text.strip() == marker and not len(el) for el in self._doc.iter())

    def build_toc_div(self, toc_list: list) -> etree.Element:
        # Called once the headings have their ids, before `replace_marker`.
        self._table = self._marked()
        return super().build_toc_div(toc_list) if self._table else etree.Element("div")

    def replace_marker(self, root: etree.Element, elem: etree.Element) -> None:
        if self._table:
            super().replace_marker(root, elem)


_SERIALISED_OTHERWISE = re.compile("[&<>\x02]")


class HeadingIdsExtension(TocExtension):
    """Python-Markdown's `toc`, its table built only for a marker (`HeadingIds`)."""

    TreeProcessorClass = HeadingIds


@functools.lru_cache(maxsize=256)
def _lexer(alias: str, options: tuple):
    try:
        return with_states_joined(find_lexer_class_by_name(alias)(**dict(options)))
    except ClassNotFound as error:
        return error


def get_lexer_by_name(alias: str, **options):
    """Pygments' `get_lexer_by_name`, one lexer a language and options, built once."""
    key = _key(options)
    found = _lexer(alias, key) if key is not None else _lexer.__wrapped__(alias, tuple(options.items()))
    if isinstance(found, ClassNotFound):
        raise ClassNotFound(str(found))
    return found


_BlockHtmlFormatter = pymdownx.highlight.BlockHtmlFormatter


# Few: the options differ by block only where a fence sets a title or lines to highlight.
@functools.lru_cache(maxsize=32)
def _formatter(options: tuple) -> _BlockHtmlFormatter:
    return _BlockHtmlFormatter(**dict(options))


def block_formatter(**options) -> _BlockHtmlFormatter:
    """The highlighting extension's formatter of a code block, one for the same options, built once."""
    key = _key(options)
    return _formatter(key) if key is not None else _BlockHtmlFormatter(**options)


def _key(options: dict) -> tuple | None:
    """The options as a key (lists as tuples, which Pygments reads alike); None for another value that has no hash."""
    key = tuple(sorted((name, tuple(value) if isinstance(value, list) else value) for name, value in options.items()))
    try:
        hash(key)
    except TypeError:
        return None
    return key


# The highlighting extension's own names for them: what it calls for each code block.
pymdownx.highlight.get_lexer_by_name = get_lexer_by_name
pymdownx.highlight.BlockHtmlFormatter = block_formatter
