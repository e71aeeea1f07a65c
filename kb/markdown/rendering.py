"""Markdown to sanitised HTML, and the document outline gathered in the same pass.

One Python-Markdown pass renders the HTML; a tree processor that runs after the
inline patterns and the table of contents reads the finished element tree and
records headings, tables, lists and code spans. No database access here.
"""

from __future__ import annotations

import html
import re
import threading
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from urllib.parse import quote

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.toc import TocExtension, slugify_unicode
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from pygments.formatters.html import HtmlFormatter
from pygments.token import Whitespace

from kb.markdown.limits import LinearExtension, linear_reset
from kb.markdown.shortcuts import HeadingIdsExtension, ShortcutsExtension
from kb.markdown.syntax import CHECKBOX, LIST_START, LONG_LINE

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass
class ListItem:
    text: str
    checked: bool | None = None  # None: not a checklist item


@dataclass
class ListBlock:
    ordered: bool
    items: list[ListItem]


@dataclass
class Block:
    """The content between one heading and the next (or before the first heading)."""

    heading: str = ""
    level: int = 0
    anchor: str = ""
    tables: list[Table] = field(default_factory=list)
    lists: list[ListBlock] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    code_spans: list[str] = field(default_factory=list)
    code_blocks: list[str] = field(default_factory=list)
    # Text of other top-level elements (block quotes, definition lists, HTML containers).
    other_text: list[str] = field(default_factory=list)


@dataclass
class Rendered:
    html: str
    blocks: list[Block]  # blocks[0] is the content before the first heading


# --- Hugo shortcodes -------------------------------------------------------------

HUGO_REF = re.compile(r"\{\{<\s*(?:rel)?ref\s+\"?([^\"\s>]+)\"?\s*>\}\}")
# Bounded: `[^}]*` read to the line's end from every `{{<` of a line that never closes one.
HUGO_OTHER = re.compile(r"\{\{[<%]\s*/?\s*[\w.-]+[^}]{0,1000}?[>%]\}\}")


def ref_url(target: str, source_path: str) -> str:
    """A link that the `/resolve/` view turns into the referenced document, once imported."""
    return f"/resolve/?ref={quote(target)}&from={quote(source_path)}"


class HugoShortcodes(Preprocessor):
    """`{{< ref "X.md" >}}` becomes a resolvable link; other shortcode markers are dropped."""

    def __init__(self, md, source_path: str):
        super().__init__(md)
        self.source_path = source_path

    def run(self, lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            if "{{" in line and len(line) <= LONG_LINE:  # a longer one is shown as text (kb.markdown.limits)
                line = HUGO_REF.sub(lambda m: ref_url(m.group(1), self.source_path), line)
                line = HUGO_OTHER.sub("", line)
            out.append(line)
        return out


# --- the outline ----------------------------------------------------------------

STASH_ONLY = re.compile(r"(\x02wzxhzdk:\d+\x03\s*)+")
STASHED = re.compile(r"\x02wzxhzdk:(\d+)\x03")
ESCAPED = re.compile(r"\x02(\d+)\x03")
TAG = re.compile(r"<[^>]+>")


class ListsInterruptParagraphs(Preprocessor):
    """Lets a list start right under a paragraph line, as on GitHub.

    Python-Markdown needs a blank line there; documents written for GitHub rarely have one.
    Runs after fenced code is stashed, so code blocks are never touched.
    """

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        paragraph_has_list = False
        for line in lines:
            if not line.strip():
                paragraph_has_list = False
            elif LIST_START.match(line):
                previous = out[-1] if out else ""
                if previous.strip() and not paragraph_has_list and not previous.lstrip().startswith(("|", "#")):
                    out.append("")
                paragraph_has_list = True
            out.append(line)
        return out


PAGE_TAG = re.compile(r"^ {0,3}</?(?:html|head|body)\b[^>]*>", re.I)


class PageTagsDropped(Preprocessor):
    """`<html>`, `<head>` and `<body>` opening a line (a page pasted whole) are dropped: left in,
    Python-Markdown reads all that follows an unclosed one as raw HTML, and the rest of the document
    would lose its headings and markdown. The sanitiser removes these tags anyway."""

    def run(self, lines: list[str]) -> list[str]:
        return [PAGE_TAG.sub("", line) if "<" in line else line for line in lines]


class Outline(Treeprocessor):
    """Collects headings, tables, lists and code spans from the rendered tree."""

    def run(self, root: etree.Element) -> None:
        blocks = [Block()]
        for el in root:
            tag = el.tag
            if tag in HEADINGS:
                blocks.append(Block(heading=self.text(el), level=HEADINGS[tag], anchor=el.get("id", "")))
                continue
            block = blocks[-1]
            if tag == "table":
                block.tables.append(self.table(el))
            elif tag in ("ul", "ol"):
                block.lists.append(self.list_block(el))
                block.code_blocks.extend(self.nested_code(el))
            elif tag == "p":
                raw = "".join(el.itertext())
                text = self.plain(raw)
                # A paragraph that is only a placeholder holds a stashed code or HTML block.
                if STASH_ONLY.fullmatch(raw.strip()):
                    block.code_blocks.append(text)
                elif text:
                    block.paragraphs.append(text)
            elif tag in ("blockquote", "dl", "div", "details"):
                text = self.text(el)
                if text:
                    block.other_text.append(text)
            for code in el.iter("code"):
                block.code_spans.append(self.text(code))
        self.md.outline_blocks = blocks

    def text(self, el: etree.Element) -> str:
        """Plain text of an element, with stashed HTML (code blocks too) reduced to its text."""
        return self.plain("".join(el.itertext()))

    def plain(self, text: str) -> str:
        """`text` of an element's joined text."""
        if "\x02" in text:  # most elements hold no placeholder: two searches of the text saved
            stash = self.md.htmlStash.rawHtmlBlocks

            def unstash(match: re.Match) -> str:
                index = int(match.group(1))
                return TAG.sub("", str(stash[index])) if index < len(stash) else ""

            text = STASHED.sub(unstash, text)
            text = ESCAPED.sub(lambda m: chr(int(m.group(1))), text)
        return html.unescape(text).strip()

    def nested_code(self, el: etree.Element) -> list[str]:
        """Code blocks inside list items (their text is also part of the item's text)."""
        stash = self.md.htmlStash.rawHtmlBlocks
        found = []
        for index in STASHED.findall("".join(el.itertext())):
            raw = str(stash[int(index)]) if int(index) < len(stash) else ""
            if "<pre" in raw:
                found.append(html.unescape(TAG.sub("", raw)).strip())
        found.extend(self.text(pre) for pre in el.iter("pre"))
        return found

    def table(self, el: etree.Element) -> Table:
        headers = [self.text(th) for th in el.iter("th")]
        rows = []
        for tbody in el.iter("tbody"):
            for tr in tbody.iter("tr"):
                rows.append([self.text(td) for td in tr.iter("td")])
        return Table(headers=headers, rows=rows)

    def list_block(self, el: etree.Element) -> ListBlock:
        items = []
        for li in el.findall("li"):
            text = " ".join(self.text(li).split())
            checked = None
            match = CHECKBOX.match(text)
            if match:
                checked = match.group(1) != " "
                text = text[match.end() :]
                self._mark_checkbox(li, checked)
            items.append(ListItem(text=text, checked=checked))
        return ListBlock(ordered=el.tag == "ol", items=items)

    @staticmethod
    def _mark_checkbox(li: etree.Element, checked: bool) -> None:
        """Shows `[ ]` / `[x]` as a box; the text node is the first one holding the marker."""
        holder = li[0] if len(li) and li[0].tag == "p" and not (li.text or "").strip() else li
        if holder.text:
            holder.text = CHECKBOX.sub("☑ " if checked else "☐ ", holder.text.lstrip(), count=1)
        li.set("class", "task done" if checked else "task")


class OutlineExtension(Extension):
    def __init__(self, source_path: str = "", **kwargs):
        self.source_path = source_path
        super().__init__(**kwargs)

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.register(HugoShortcodes(md, self.source_path), "hugo_shortcodes", 40)
        # Below fenced_code (25), above html_block (20).
        md.preprocessors.register(ListsInterruptParagraphs(md), "lists_interrupt_paragraphs", 22)
        md.preprocessors.register(PageTagsDropped(md), "page_tags_dropped", 21.5)
        # After inline patterns (20) and the table of contents (5), so ids and text are final.
        md.treeprocessors.register(Outline(md), "kb_outline", 4)


# --- sanitising ------------------------------------------------------------------

ALLOWED_TAGS = set(nh3.ALLOWED_TAGS)
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    **{h: {"id"} for h in HEADINGS},
    "a": {"href", "title", "hreflang"},
    "span": {"class"},
    "div": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "li": {"class"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "details": {"open"},
}


# nh3's output quotes every attribute value with `"` and escapes `"` inside it, so these are exact.
IMAGE = re.compile(r"<img((?:\s+[\w:-]+(?:=\"[^\"]*\")?)*)\s*/?>")
ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')


def _remote_image_as_link(match: re.Match) -> str:
    """An image from another site becomes a link to it, named by its alt text.

    Shown inline, it would be fetched the moment the page opens, telling that site who reads the
    knowledge base and when (and the Content-Security-Policy refuses it anyway); images served by
    the knowledge base itself stay images.
    """
    attributes = dict(ATTRIBUTE.findall(match.group(1)))
    src = attributes.get("src", "")
    if not src.lower().startswith(("http://", "https://", "//")):
        return match.group(0)
    label = html.escape(html.unescape(attributes.get("alt") or attributes.get("title") or "") or "image", quote=False)
    if match.string.rfind("<a ", 0, match.start()) > match.string.rfind("</a>", 0, match.start()):
        # already inside a link (a badge): its text only
        return f'<span class="remote-image">{label}</span>'
    return f'<a class="remote-image" href="{src}" rel="noopener noreferrer">{label}</a>'


# Built once: `nh3.clean` converted these sets to its own for every text, a tenth of its time.
_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer",
)


def sanitise(text: str) -> str:
    """Removes scripts, event handlers, `javascript:` URLs, iframes and styles, and turns images
    from other sites into links; keeps harmless HTML."""
    cleaned = _CLEANER.clean(text)
    return IMAGE.sub(_remote_image_as_link, cleaned) if "<img" in cleaned else cleaned


def render(text: str, source_path: str = "", warnings: list[str] | None = None) -> Rendered:
    """`warnings`, when given, gets what the reader should know about the rendering (lines shown as text)."""
    md = _markdown(source_path)
    html = md.convert(text)
    if md.long_lines and warnings is not None:
        warnings.append(f"{md.long_lines} line(s) or paragraph(s) over {LONG_LINE:,} characters shown as plain text")
    # Python-Markdown skips the tree processors for a blank text.
    return Rendered(html=sanitise(html), blocks=getattr(md, "outline_blocks", [Block()]))


def outline(text: str) -> list[Block]:
    """`render(text).blocks` without sanitising the HTML, for a caller that reads only the outline."""
    md = _markdown("")
    md.convert(text)
    return getattr(md, "outline_blocks", [Block()])


_instances = threading.local()


# Pygments builds the CSS classes of its style for every formatter it is given, and the highlighting
# extension gives it a new formatter for every code block: an eighth of rendering went there. The
# classes depend on the style and the class prefix only, and nothing changes them once built.
_stylesheets: dict[tuple, tuple[dict, dict]] = {}
_create_stylesheet = HtmlFormatter._create_stylesheet


def _stylesheet_once(formatter: HtmlFormatter) -> None:
    key = (formatter.style, formatter.classprefix)
    if key not in _stylesheets:
        _create_stylesheet(formatter)
        _stylesheets[key] = (formatter.ttype2class, formatter.class2style)
    formatter.ttype2class, formatter.class2style = _stylesheets[key]
    # A space between a command's words, in no span: its `<span class="w">` (three of a runbook's five spans) only
    # coloured a space. The HTML is smaller, and what reads it after (the sanitiser, the commands' marks, the search
    # texts, every page) has less to read.
    formatter.span_element_openers[Whitespace] = ""


HtmlFormatter._create_stylesheet = _stylesheet_once  # type: ignore[method-assign]


def markdown_new(*, shortcuts: bool = True) -> markdown.Markdown:
    """A Python-Markdown instance with our extensions; without `shortcuts` (kb.markdown.shortcuts), the
    one that renders the same HTML more slowly, for the tests that say so."""
    return markdown.Markdown(
        extensions=[
            "abbr",
            "attr_list",
            "def_list",
            "pymdownx.superfences",
            "footnotes",
            "md_in_html",
            "tables",
            "sane_lists",
            # A heading's anchor keeps its letters in any script ("Maßnahmen": `maßnahmen`, not `manahmen`), as
            # GitHub's do: a link written there (`#maßnahmen`) lands on its heading here too.
            (HeadingIdsExtension if shortcuts else TocExtension)(slugify=slugify_unicode),
            "pymdownx.highlight",
            OutlineExtension(),
            LinearExtension(),
            *([ShortcutsExtension()] if shortcuts else []),
        ],
        extension_configs={
            # Fences nested in list items (numbered steps with commands) stay code blocks, as on GitHub.
            "pymdownx.highlight": {"guess_lang": False, "css_class": "highlight", "use_pygments": True},
            "tables": {"use_align_attribute": True},
        },
        output_format="html",
    )


def _markdown(source_path: str) -> markdown.Markdown:
    """This thread's Python-Markdown instance, reset for a new text: building one with its extensions
    took longer than converting a document, and an import renders several per file."""
    md = getattr(_instances, "md", None)
    if md is None:
        md = _instances.md = markdown_new()
    md.reset()
    # What the extensions keep on the instance for one text (reset() knows only registered extensions).
    md.preprocessors["hugo_shortcodes"].source_path = source_path
    linear_reset(md)
    md.__dict__.pop("outline_blocks", None)
    return md
