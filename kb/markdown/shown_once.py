"""Each fact once on a post-mortem's page: the blocks of its body that only repeat what the page's cards
show (the metadata, the follow-ups, the lessons) are left out of the body.

Pure, no database. Only where cards come from is looked at: the text before the first section (where
metadata is written) and the sections whose heading announces follow-ups or lessons, with the groups
under them. A block (a paragraph, a list, a table) is left out only when every word of it is in the
cards' text (or is a word of the table's structure: "owner", "due", "status"…) and it links nowhere
else: no text the cards lack is ever lost. A section left empty says where its content is shown.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from kb.markdown.html_parts import TAG, VOID, Part
from kb.markdown.syntax import LESSON_GROUP, heading_key, postmortem_heading_role

WORD = re.compile(r"\w+")
# The words of a follow-up table's or checklist's structure, and of metadata labels, which cards show as layout.
STRUCTURE_WORDS = frozenset(
    "field value fields values owner owners due date status state action actions item items task tasks "
    "open done todo closed completed complete in progress x yes no n a tbd who what when by".split()
)
CARD_ROLES = ("follow_ups", "lessons")
HREF = re.compile(r"""<a\b[^>]*\bhref\s*=\s*["']([^"']*)["']""", re.I)
HEADING_BLOCK = re.compile(r"^\s*<h[1-6]\b", re.I)


def words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def without_card_repeats(parts: list[Part], *, card_text: str, pointers: dict[str, str]) -> tuple[list[Part], set[str]]:
    """`parts` without the blocks the cards already show, and the anchors of the sections left out whole.

    `pointers`: for "follow_ups" and "lessons", the HTML that replaces a section whose every block the
    cards show (a link to the card), so that its heading and the outline's link to it still lead somewhere.
    """
    known = words(card_text) | STRUCTURE_WORDS
    shown: list[Part] = []
    left_out: set[str] = set()
    enclosing: list[tuple[int, str | None]] = []  # (level, role) of the headings above
    for part in parts:
        own = None
        if part.level:
            while enclosing and enclosing[-1][0] >= part.level:
                enclosing.pop()
            own = _card_role(part.heading_text)
            inherited = next((role for _, role in reversed(enclosing) if role), None)
            enclosing.append((part.level, own))
            # The text under the title (whose heading the page shows itself) is the intro.
            role = own or inherited or ("intro" if part.level == 1 and not part.heading_html else None)
        else:
            role = "intro"
        if role is None:
            shown.append(part)
            continue
        blocks = top_level_blocks(part.body_html)
        kept = [block for block in blocks if HEADING_BLOCK.match(block) or not _repeats(block, known)]
        if len(kept) == len(blocks):
            shown.append(part)
        elif any(words(_text(block)) for block in kept if not HEADING_BLOCK.match(block)):
            shown.append(replace(part, body_html="".join(kept)))
        elif own:
            shown.append(replace(part, body_html=pointers.get(own, "")))
        elif role == "intro":
            shown.append(replace(part, body_html=""))
        else:  # a group under a follow-ups or lessons section, all of it in the cards
            left_out.add(part.anchor)
    return shown, left_out


def _card_role(heading: str) -> str | None:
    """ "follow_ups" or "lessons" for a heading whose items the cards show (as `kb.markdown.followups` reads them)."""
    role = postmortem_heading_role(heading)
    if role in CARD_ROLES:
        return role
    return "lessons" if LESSON_GROUP.match(heading_key(heading)) else None


def top_level_blocks(body_html: str) -> list[str]:
    """The body cut into its top-level elements (the whitespace between them goes with the next one)."""
    blocks: list[str] = []
    depth, start = 0, 0
    for match in TAG.finditer(body_html):
        closing, name = match.group(1), match.group(2).lower()
        if name in VOID or match.group(4):
            if depth == 0:
                blocks.append(body_html[start : match.end()])
                start = match.end()
            continue
        if closing:
            depth = max(depth - 1, 0)
            if depth == 0:
                blocks.append(body_html[start : match.end()])
                start = match.end()
        else:
            depth += 1
    if body_html[start:].strip():
        blocks.append(body_html[start:])
    return blocks


def _repeats(block: str, known: set[str]) -> bool:
    """True when the cards show all of `block`: every word, and no link but to an entity page or an anchor."""
    found = words(_text(block))
    if not found or "<img" in block.lower():
        return False
    if any(not href.startswith(("/entities/", "#")) for href in HREF.findall(block)):
        return False
    return found <= known


def _text(fragment: str) -> str:
    return html.unescape(TAG.sub(" ", fragment))
