"""Links the entities a document mentions to their pages.

A page shows `Document.linked_html`: the sanitised HTML with its entities linked and its commands marked
(kb.markdown.commands), written with the document's mentions (`links_store`, from `mentions_write`) and
again whenever what a link says changes without the document being read again: an entity renamed,
merged, ignored or given another kind (`documents_relink`). A first view then links nothing.

A document that references another post-mortem by date stores nothing (''): which post-mortem that is
changes as post-mortems are written, so its page links it when shown (`document_html_linked`, from the
stored mentions). The editor's preview links a text not yet saved the same way. The first mention of
each entity per section is linked; headings, existing links and code blocks are left as they are; a code
span that is exactly a name becomes a link around the code.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, compress
from typing import TYPE_CHECKING, Any

from kb.entities.extraction import extract_parsed
from kb.entities.grammar import POSTMORTEM, reference_date
from kb.entities.names import NameFinder
from kb.markdown.commands import mark_commands
from kb.markdown.parsing import ParsedDocument
from kb.models import Document, Entity, EntityKind, Mention, PostMortem, entity_url
from kb.models.rows import rows_update

if TYPE_CHECKING:
    from kb.entities.mentions import KnownEntity

RELINKED_AT_ONCE = 500  # documents read and written per batch by `documents_relink`


@dataclass(frozen=True)
class Link:
    surface: str
    url: str
    title: str


TAG = re.compile(r"(<[^>]*>)")
TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")
HEADING_ID = re.compile(r"""^<h[1-6][^>]*\bid="([^"]*)\"""")
UNTOUCHED = {"a", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "script", "style", "textarea"}


def link_entities(text: str, links: Mapping[str, Sequence[Link]]) -> str:
    """`text` (sanitised HTML) with the first mention per section linked; `links` by section anchor."""
    by_section = {anchor: {link.surface.lower(): link for link in section} for anchor, section in links.items()}
    pattern = NameFinder(html.escape(link.surface, quote=False) for section in links.values() for link in section)
    if not pattern:
        return text
    # A document's HTML is hundreds of pieces between tags: only the names found and the few tags that steer
    # the linking are looked at, in the order of the text, not every piece. The names are found once over
    # the whole HTML: an escaped name holds no `<` or `>`, so no match spans a tag, and a tag's `>` before
    # a piece or its `<` after it bounds a name as the piece's start and end do.
    linking = _Linking(text, TAG.split(text), by_section)
    names = [(linking.part_at(m.start()), m.start(), m.end()) for m in pattern.finditer(text)]
    k = 0
    for i in linking.steering():
        while k < len(names) and names[k][0] < i:
            linking.name(*names[k])
            k += 1
        linking.tag(i)
    for found in names[k:]:
        linking.name(*found)
    return linking.result()


# The tags `_Linking.tag` acts on: TAG_NAME's name is one of these, whatever its case, or HEADING_ID may match.
STEERING = re.compile(r"<\s*/?\s*(?ai:a|pre|h[1-6]|script|style|textarea|code)(?![a-zA-Z0-9])|<h[1-6]")


class _Linking:
    """One pass of `link_entities` over `text`, split at its tags into `parts` (text, tag, text…): the
    section, the tags that leave text alone, the links made, and the edits to the text (start, end, new)."""

    def __init__(self, text: str, parts: list[str], by_section: dict[str, dict[str, Link]]):
        self.text, self.parts, self.by_section = text, parts, by_section
        self.starts = list(accumulate(map(len, parts), initial=0))  # where each part starts in `text`
        # The tags that steer (and the last part if it does, see `steering`) by their text, each as `tag` reads
        # it. A document's three hundred tags are some forty different ones, most of them Pygments' `<span>`s,
        # which never steer: each is matched and read once, not each tag (linking 2,000 documents: 640 -> 515
        # ms). One search of the whole HTML for them saved nothing: its pattern is tried at every `<` the same.
        self.steers = {tag: _steer(tag) for tag in {*parts[1::2], parts[-1]} if STEERING.match(tag)}
        self.anchor, self.untouched, self.in_code = "", 0, False
        self.linked: set[tuple[str, str]] = set()
        self.edits: list[tuple[int, int, str]] = []
        self.consumed = -1  # the last part of a code span linked whole

    def steering(self) -> list[int]:
        """The parts that are tags `tag` acts on, in order: a tag is an odd part, or the last part when a `<`
        has no `>` after it."""
        parts, steers = self.parts, self.steers
        steering = list(compress(range(1, len(parts), 2), map(steers.__contains__, parts[1::2])))
        return steering + [len(parts) - 1] if len(parts) % 2 and parts[-1] in steers else steering

    def part_at(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1

    def wanted(self, surface: str) -> Link | None:
        link = self.by_section.get(self.anchor, {}).get(html.unescape(surface).lower())
        return link if link is not None and (self.anchor, link.url) not in self.linked else None

    def tag(self, i: int) -> None:
        if i <= self.consumed:
            return
        parts = self.parts
        closing, name, anchor = self.steers[parts[i]]
        if anchor is not None:
            self.anchor = anchor
        if name in UNTOUCHED:
            self.untouched += -1 if closing else 1
        elif name == "code" and not self.untouched:
            if not closing and i + 2 < len(parts) and parts[i + 2].lower() == "</code>":
                link = self.wanted(parts[i + 1].strip())
                if link:
                    # A code span that is exactly a name: the link goes around the code.
                    self.linked.add((self.anchor, link.url))
                    self.edits.append((self.starts[i], self.starts[i], _opening(link)))
                    self.edits.append((self.starts[i + 3], self.starts[i + 3], "</a>"))
                    self.consumed = i + 2
                    return
            self.in_code = not closing

    def name(self, i: int, start: int, end: int) -> None:
        """A name found at `start:end` of the text, in its part `i`."""
        part = self.parts[i]
        if i <= self.consumed or self.untouched or self.in_code or (part[0] == "<" and TAG_NAME.match(part)):
            return
        surface = self.text[start:end]
        link = self.wanted(surface)
        if link is not None:
            self.linked.add((self.anchor, link.url))
            self.edits.append((start, end, f"{_opening(link)}{surface}</a>"))

    def result(self) -> str:
        out, last = [], 0
        for start, end, new in self.edits:
            out.append(self.text[last:start])
            out.append(new)
            last = end
        out.append(self.text[last:])
        return "".join(out)


def _steer(tag: str) -> tuple[bool, str, str | None]:
    """A steering tag as `_Linking.tag` reads it: whether it closes, its name lower-cased, a heading's anchor."""
    found = TAG_NAME.match(tag)
    closing = found.group(1) == "/"
    heading = None if closing else HEADING_ID.match(tag)
    return closing, found.group(2).lower(), html.unescape(heading.group(1)) if heading else None


def _opening(link: Link) -> str:
    return f'<a class="entity" href="{html.escape(link.url)}" title="{html.escape(link.title)}">'


def _linked_mentions(document_ids: Iterable[int]):
    """The mentions a page links, with their entity's name and kind, in the order of the outline."""
    return (
        Mention.objects.filter(document_id__in=list(document_ids), entity__ignored=False, count__gt=0)
        .select_related("entity")
        .only("document_id", "anchor", "surface", "entity__name", "entity__kind")
        .order_by("document_id", "position", "pk")
    )


def document_html_linked(document: Document) -> str:
    """The document's stored HTML with its entities linked (post-mortem references to the post-mortem)."""
    mentions = _linked_mentions([document.pk])
    linked = [(m.anchor, m.surface, m.entity.name, m.entity.kind) for m in mentions]
    return link_entities(document.html, _links(linked, document=document))


def linked_html_stored(
    html: str, mentions: Iterable[tuple[str, str, str, str]], *, commands_html: str | None = None
) -> str:
    """What `Document.linked_html` holds for this HTML and these mentions, `(anchor, surface, entity name,
    entity kind)` in the order of the outline: the HTML with its entities linked and its commands marked;
    '' when one of them references a post-mortem by date (linked when shown). No query.

    The commands are marked first: marking reads only the text of code, which linking leaves as it is,
    and adds only classes, which linking passes over; `commands_html`, when given, is that marking done."""
    linked = list(mentions)
    if any(kind == POSTMORTEM for _, _, _, kind in linked):
        return ""
    marked = commands_html if commands_html is not None else mark_commands(html)
    return link_entities(marked, _links(linked, document=None))


def links_store(
    *,
    document: Document,
    mentions: Sequence[tuple[Entity | KnownEntity, Mapping[str, Any]]],
    later: dict[int, str] | None = None,
    commands_html: str | None = None,
) -> None:
    """Stores the document's linked HTML from the mentions just written, each its entity and its values
    (Mention's fields): one UPDATE, or with `later` (a batch of saves) left there by document id for
    `linked_html_write`. `commands_html`: its HTML with the commands marked, when already done."""
    shown = sorted(((e, m) for e, m in mentions if m["count"] > 0 and not e.ignored), key=lambda em: em[1]["position"])
    document.linked_html = linked_html_stored(
        document.html,
        [(m["anchor"], m["surface"], entity.name, entity.kind) for entity, m in shown],
        commands_html=commands_html,
    )
    if later is not None:
        later[document.pk] = document.linked_html
    else:
        Document.objects.filter(pk=document.pk).update(linked_html=document.linked_html)


def linked_html_write(linked: Mapping[int, str]) -> None:
    """The linked HTML of many documents, by id (`rows_update`: `bulk_update`'s CASE WHEN of 25 whole pages
    took longer to build than to run)."""
    rows_update(Document, [Document._meta.get_field("linked_html")], [(pk, [text]) for pk, text in linked.items()])


def documents_relink(*, document_ids: Iterable[int]) -> int:
    """Stores the linked HTML of these documents again from their stored mentions (after a change to what
    a link says: an entity's name or kind, mentions moved or dropped); returns how many. Two queries and
    the writes per RELINKED_AT_ONCE documents."""
    ids = sorted(set(document_ids))
    for start in range(0, len(ids), RELINKED_AT_ONCE):
        batch = ids[start : start + RELINKED_AT_ONCE]
        mentions = defaultdict(list)
        for m in _linked_mentions(batch):
            mentions[m.document_id].append((m.anchor, m.surface, m.entity.name, m.entity.kind))
        documents = list(Document.objects.filter(pk__in=batch).only("pk", "html"))
        for document in documents:
            document.linked_html = linked_html_stored(document.html, mentions[document.pk])
        Document.objects.bulk_update(documents, ["linked_html"])
    return len(ids)


def parsed_html_linked(parsed: ParsedDocument) -> str:
    """What `document_html_linked` will show once `parsed` is saved (the editor's preview): its HTML with
    the entities the knowledge base already has linked; a name seen for the first time has no page yet."""
    # Here, not at the top: kb.entities.mentions stores the linked HTML through this module.
    from kb.entities.mentions import entities_by_name, vocabulary_load

    findings = [f for f in extract_parsed(parsed, vocabulary=vocabulary_load()) if f.count > 0]
    known = {key: e for key, e in entities_by_name({f.name.lower() for f in findings}).items() if not e.ignored}
    mentions = [
        (f.anchor, f.surface, known[f.name.lower()].name, known[f.name.lower()].kind)
        for f in findings
        if f.name.lower() in known
    ]
    return link_entities(parsed.html, _links(mentions, document=None))


def _links(mentions: list[tuple[str, str, str, str]], *, document: Document | None) -> dict[str, list[Link]]:
    """Links by section anchor, from (anchor, surface, entity name, entity kind); a reference to a post-mortem by
    date links to the post-mortem when exactly one other than `document` is of that day, else to the entity."""
    days = {reference_date(name) for _, _, name, kind in mentions if kind == POSTMORTEM} - {None}
    postmortems: dict = {}
    if days:
        others = PostMortem.objects.filter(date__in=days, archived=False)
        if document is not None:
            others = others.exclude(pk=document.pk)
        for pm in others.only("kind", "slug", "date"):
            postmortems.setdefault(pm.date, []).append(pm)
    links: dict[str, list[Link]] = {}
    for anchor, surface, name, kind in mentions:
        url, title = _entity_link(name, kind)
        if kind == POSTMORTEM:
            same_day = postmortems.get(reference_date(name), [])
            if len(same_day) == 1:
                url, title = same_day[0].get_absolute_url(), f"post-mortem of {same_day[0].date.isoformat()}"
        links.setdefault(anchor, []).append(Link(surface, url, title))
    return links


@lru_cache(maxsize=4096)
def _entity_link(name: str, kind: str) -> tuple[str, str]:
    """An entity's link and title, from its name and kind alone: an import links the same entities in
    document after document (a model instance a mention was a tenth of storing the linked HTML, and one an
    entry still a fifth: none is built). About 500 bytes an entry: 65,536 of them held 24 MiB at the 50,000
    entities of 12,000 documents, in every process that imports or saves; the entities mentioned again and
    again fit in 4,096 (2 MiB)."""
    return entity_url(name), f"{_KIND_LABELS.get(kind, kind)} {name}"


# What `Entity.get_kind_display` shows for each kind (a kind of no choice as it is).
_KIND_LABELS = dict(EntityKind.choices)
