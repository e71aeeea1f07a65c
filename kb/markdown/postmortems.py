"""Reads what a post-mortem states: its fields (date, duration, severity, …) wherever they are
written, its summary, follow-ups and lessons. `parsing` calls it once it has decided a document
is a post-mortem; a Field/Value table also helps it decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kb.markdown import dates
from kb.markdown.rendering import Block
from kb.markdown.syntax import (
    BOLD_FIELD,
    DONE_PREFIX,
    DONE_STATUS,
    FIELD_SYNONYMS,
    PLAIN_FIELD,
    follow_up_columns,
    heading_key,
    postmortem_heading_role,
)

META_HEADINGS = ("metadata", "details", "stats", "incident details", "overview")
SEVERITY_TOKEN = re.compile(r"^(SEV[ -]?\d|P\d|S\d|critical|high|medium|low|major|minor)\b[\s—–:-]*", re.I)


@dataclass(kw_only=True)
class PostMortemFields:
    """The fields a post-mortem states: what the parser reads and the web form edits."""

    date: date | None = None
    duration: str = ""
    severity: str = ""
    affected: str = ""
    status: str = ""
    summary: str = ""


@dataclass
class FollowUpItem:
    text: str
    status: str  # "open" or "done"
    owner: str = ""
    due: date | None = None


def metadata_rows(block: Block) -> list[tuple[str, str]]:
    """Key/value pairs from two-column tables whose first column names known fields."""
    pairs = []
    for table in block.tables:
        if len(table.headers) != 2:
            continue
        rows = [(k.strip().rstrip(":").strip(), v.strip()) for k, v in (r[:2] for r in table.rows if len(r) >= 2)]
        if any(k.lower() in FIELD_SYNONYMS for k, _ in rows):
            pairs.extend(rows)
    return pairs


def read_postmortem(doc, front_matter, content, intro, body) -> None:
    """Fills in `doc`'s fields (wherever they are written), summary, follow-ups and lessons."""
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}

    def offer(key: str, value: str) -> None:
        value = str(value).strip()
        canonical = FIELD_SYNONYMS.get(key.strip().lower())
        if not value or value in ("?", "-", "n/a", "N/A"):
            return
        if canonical:
            fields.setdefault(canonical, value)
        else:
            extra.setdefault(key.strip(), value)

    for key, value in front_matter.items():
        if key not in ("title", "kind", "type", "id", "slug", "tags"):
            offer(str(key), value if not isinstance(value, list) else ", ".join(map(str, value)))
    meta_blocks = [intro] + [b for b, _ in content if heading_key(b.heading) in META_HEADINGS]
    for block in meta_blocks:
        for key, value in metadata_rows(block):
            offer(key, value)
    meta_source = [body.split("\n## ")[0]] + [md for b, md in content if b in meta_blocks]
    for text in meta_source:
        for line in text.split("\n"):
            match = BOLD_FIELD.match(line) or PLAIN_FIELD.match(line)
            if match:
                offer(match.group(1), _strip_inline(match.group(2)))

    doc.metadata = extra
    doc.date = dates.parse(fields.get("date", "")) or _first_timeline_date(content)
    if fields.get("date") and not dates.parse(fields["date"]):
        doc.warnings.append(f"date {fields['date']!r} is not a date this importer can read")
    doc.duration = fields.get("duration", "")
    doc.severity, severity_note = _severity(fields.get("severity", ""))
    if severity_note:
        extra.setdefault("severity_note", severity_note)
    doc.affected = fields.get("affected", "")
    doc.status = fields.get("status", "")
    summary = next((md for b, md in content if postmortem_heading_role(b.heading) == "summary"), "")
    doc.summary = summary.strip() or fields.get("summary", "")

    for block, md in _with_subsections(content):
        role = postmortem_heading_role(block.heading)
        if role == "follow_ups":
            doc.follow_ups.extend(_follow_ups(block, md, block.heading))
        elif role == "lessons" and not doc.lessons:
            doc.lessons = _lessons(block, md)


def _with_subsections(content):
    """Each section with the tables and lists of its subsections folded in."""
    for i, (block, md) in enumerate(content):
        merged = Block(
            block.heading, block.level, block.anchor, list(block.tables), list(block.lists), list(block.paragraphs)
        )
        for sub, sub_md in content[i + 1 :]:
            if sub.level <= block.level:
                break
            merged.tables += sub.tables
            merged.lists += sub.lists
            merged.paragraphs += sub.paragraphs
        yield merged, md


def _follow_ups(block: Block, md: str, heading: str) -> list[FollowUpItem]:
    default = "done" if re.search(r"\((done|closed|completed)\)", heading, re.I) else "open"
    items: list[FollowUpItem] = []
    for lst in block.lists:
        for item in lst.items:
            text = item.text.strip()
            if not text or text in ("-", "…", "..."):
                continue
            status = default if item.checked is None else ("done" if item.checked else "open")
            if DONE_PREFIX.match(text):
                status = "done"
            items.append(FollowUpItem(text=text, status=status))
    for table in block.tables:
        text_col, status_col, owner_col, due_col = follow_up_columns(table.headers)
        if text_col is None:
            continue
        for row in table.rows:
            text = row[text_col].strip() if text_col < len(row) else ""
            if not text:
                continue
            status_cell = row[status_col] if status_col is not None and status_col < len(row) else ""
            items.append(
                FollowUpItem(
                    text=text,
                    status="done" if DONE_STATUS.match(status_cell.strip()) else default,
                    owner=row[owner_col].strip() if owner_col is not None and owner_col < len(row) else "",
                    due=dates.parse(row[due_col]) if due_col is not None and due_col < len(row) else None,
                )
            )
    return items


def _lessons(block: Block, md: str) -> list[str]:
    ordered = [i.text for lst in block.lists if lst.ordered for i in lst.items if i.text.strip()]
    if ordered:
        return ordered
    bullets = [i.text for lst in block.lists for i in lst.items if i.text.strip() not in ("", "-")]
    if bullets:
        return bullets
    return [p for p in block.paragraphs if p.strip() not in ("", "-")]


def _severity(value: str) -> tuple[str, str]:
    """ "SEV4 — no user-facing impact" gives ("SEV4", "no user-facing impact")."""
    match = SEVERITY_TOKEN.match(value)
    if not match:
        return value, ""
    return match.group(1), value[match.end() :].strip()


def _first_timeline_date(content) -> date | None:
    for block, _md in content:
        if "timeline" in block.heading.lower():
            for table in block.tables:
                for row in table.rows:
                    found = dates.parse(" ".join(row[:1]))
                    if found:
                        return found
    return None


def _strip_inline(text: str) -> str:
    return re.sub(r"(\*\*|__|`)", "", text).strip()
