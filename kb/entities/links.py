"""Links the entities a document mentions to their pages, when the document is shown.

Done at display time over the stored sanitised HTML, from the document's stored mentions (one
query, plus one when it references other post-mortems by date), so links stay right when other
documents are imported later. The editor's preview links a text not yet saved the same way. The first mention of each entity per section is linked; headings,
existing links and code blocks are left as they are; a code span that is exactly a name becomes
a link around the code.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models.functions import Lower

from kb.entities.extraction import extract_parsed
from kb.entities.grammar import POSTMORTEM, name_pattern, reference_date
from kb.entities.mentions import vocabulary_load
from kb.markdown.parsing import ParsedDocument
from kb.models import Document, Entity, Mention, PostMortem


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
    pattern = name_pattern(html.escape(link.surface, quote=False) for section in links.values() for link in section)
    if pattern is None:
        return text
    parts = TAG.split(text)
    out: list[str] = []
    anchor, untouched, in_code = "", 0, False
    linked: set[tuple[str, str]] = set()

    def wanted(surface: str) -> Link | None:
        link = by_section.get(anchor, {}).get(html.unescape(surface).lower())
        return link if link is not None and (anchor, link.url) not in linked else None

    i = 0
    while i < len(parts):
        part = parts[i]
        tag = TAG_NAME.match(part) if part.startswith("<") else None
        if tag:
            closing, name = tag.group(1) == "/", tag.group(2).lower()
            heading = HEADING_ID.match(part)
            if heading and not closing:
                anchor = html.unescape(heading.group(1))
            if name in UNTOUCHED:
                untouched += -1 if closing else 1
            elif name == "code" and not untouched:
                if not closing and i + 2 < len(parts) and parts[i + 2].lower() == "</code>":
                    link = wanted(parts[i + 1].strip())
                    if link:
                        linked.add((anchor, link.url))
                        out.append(
                            f'<a class="entity" href="{html.escape(link.url)}" title="{html.escape(link.title)}">'
                        )
                        out.extend(parts[i : i + 3])
                        out.append("</a>")
                        i += 3
                        continue
                in_code = not closing
            out.append(part)
        elif untouched or in_code or not part:
            out.append(part)
        else:
            out.append(_link_text(part, pattern, wanted, lambda url: linked.add((anchor, url))))
        i += 1
    return "".join(out)


def _link_text(text: str, pattern: re.Pattern, wanted, mark) -> str:
    pieces, last = [], 0
    for match in pattern.finditer(text):
        link = wanted(match.group())
        if link is None:
            continue
        mark(link.url)
        pieces.append(text[last : match.start()])
        pieces.append(
            f'<a class="entity" href="{html.escape(link.url)}" title="{html.escape(link.title)}">{match.group()}</a>'
        )
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)


def document_html_linked(document: Document) -> str:
    """The document's stored HTML with its entities linked (post-mortem references to the post-mortem)."""
    mentions = (
        Mention.objects.filter(document=document, entity__ignored=False, count__gt=0)
        .select_related("entity")
        .only("anchor", "surface", "entity__name", "entity__kind")
    )
    return link_entities(document.html, _links([(m.anchor, m.surface, m.entity) for m in mentions], document=document))


def parsed_html_linked(parsed: ParsedDocument) -> str:
    """What `document_html_linked` will show once `parsed` is saved (the editor's preview): its HTML with
    the entities the knowledge base already has linked; a name seen for the first time has no page yet."""
    findings = [f for f in extract_parsed(parsed, vocabulary=vocabulary_load()) if f.count > 0]
    keys = {f.name.lower() for f in findings}
    known = {e.name.lower(): e for e in Entity.objects.annotate(key=Lower("name")).filter(key__in=keys, ignored=False)}
    mentions = [(f.anchor, f.surface, known[f.name.lower()]) for f in findings if f.name.lower() in known]
    return link_entities(parsed.html, _links(mentions, document=None))


def _links(mentions: list[tuple[str, str, Entity]], *, document: Document | None) -> dict[str, list[Link]]:
    """Links by section anchor, from (anchor, surface, entity); a reference to a post-mortem by date links to
    the post-mortem when exactly one other than `document` is of that day, else to the entity."""
    days = {reference_date(entity.name) for _, _, entity in mentions if entity.kind == POSTMORTEM} - {None}
    postmortems: dict = {}
    if days:
        others = PostMortem.objects.filter(date__in=days, archived=False)
        if document is not None:
            others = others.exclude(pk=document.pk)
        for pm in others.only("kind", "slug", "date"):
            postmortems.setdefault(pm.date, []).append(pm)
    links: dict[str, list[Link]] = {}
    for anchor, surface, entity in mentions:
        url, title = entity.get_absolute_url(), f"{entity.get_kind_display()} {entity.name}"
        if entity.kind == POSTMORTEM:
            same_day = postmortems.get(reference_date(entity.name), [])
            if len(same_day) == 1:
                url, title = same_day[0].get_absolute_url(), f"post-mortem of {same_day[0].date.isoformat()}"
        links.setdefault(anchor, []).append(Link(surface, url, title))
    return links
