"""What a document says fixed an incident (a post-mortem's fix section, in short) and what a runbook
says to do when its fix did not hold ("If OOMs recur after raising to 1Gi, consider: …"). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from kb.markdown.rendering import render
from kb.markdown.syntax import FIX_COLUMN, FIX_HEADING, LIST_ITEM, NEXT_STEP, fence_after, heading_key, is_table_row

FIX_MAX_CHARS = 300


def is_fix_heading(heading: str) -> bool:
    """Whether a post-mortem heading announces what fixed the incident ("Fix (`main.tf`)", "Resolution")."""
    return bool(FIX_HEADING.match(heading_key(heading)))


def row_fix(cells: dict[str, str], notes: str) -> str:
    """What a resolution history row says fixed it: the cell of a fix-like column ("Fix", "Action",
    "Notes"), else its notes, as rendered."""
    written = next((value for header, value in cells.items() if FIX_COLUMN.search(header) and value.strip()), notes)
    return short_text(written, limit=1000) if written.strip() else ""


# Incident facts are rewritten for every document that names the incident, from the same history rows
# and fix sections each time: each is rendered once (pure: text in, text out).
@lru_cache(maxsize=1024)
def short_text(markdown: str, *, limit: int = FIX_MAX_CHARS) -> str:
    """A section as a reader sees it rendered, paragraphs then list items, cut at a word within `limit`."""
    pieces: list[str] = []
    for block in render(markdown).blocks:
        pieces.extend(block.paragraphs)
        pieces.extend(item.text for listed in block.lists for item in listed.items)
    text = " ".join(" ".join(pieces).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


@dataclass
class NextStep:
    sentence: str  # "If OOMs recur after raising to 1Gi, consider:"
    options: list[str] = field(default_factory=list)  # the list the sentence introduces, as rendered


def next_step(markdown: str) -> NextStep | None:
    """The first sentence outside code and tables that opens "If … recur/again/persists/still …", with
    the list it introduces when it ends in a colon; None when the text has none."""
    lines = markdown.split("\n")
    fence: str | None = None
    for i, line in enumerate(lines):
        was_open, fence = fence, fence_after(fence, line)
        if was_open or fence or is_table_row(line):
            continue
        match = NEXT_STEP.search(LIST_ITEM.sub(r"\1", line).strip())
        if match is None:
            continue
        sentence = _plain(match.group(0))
        if not sentence.endswith(":"):
            return NextStep(sentence)
        options = []
        for following in lines[i + 1 :]:
            if not following.strip() and not options:
                continue
            item = LIST_ITEM.match(following)
            if item is None or following.startswith(("  ", "\t")):
                break
            options.append(_plain(item.group(1) or ""))
        return NextStep(sentence, [o for o in options if o])
    return None


def _plain(markdown: str) -> str:
    block = render(markdown).blocks[0]
    return " ".join(" ".join([*block.paragraphs, *block.other_text]).split()) or markdown.strip()
