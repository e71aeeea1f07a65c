"""Writes post-mortems as markdown in the canonical layout, and reads a document back into a draft.

The canonical layout is the seed post-mortem's: a title, a Field/Value table, then `##` sections,
the follow-ups and the lessons. Pure: text in, text out, no database. Whatever is written is
checked by parsing it with the importer's own parser (`kb.parsing.parse_document`), so the web
writes exactly what an import of the file reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

import yaml

from kb.parsing import (
    BOLD_FIELD,
    FIELD_SYNONYMS,
    FRONT_MATTER,
    PLAIN_FIELD,
    TABLE_DELIMITER_LINE,
    ParsedDocument,
    ParseError,
    _normalise,
    follow_up_columns,
    parse_document,
    postmortem_heading_role,
    scan_source,
)
from kb.rendering import render
from kb.unflatten import looks_flattened, unflatten

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4", "SEV5")
FOLLOW_UP_STATUSES = ("open", "done")
NEW_SECTIONS = ("Root cause", "Why it was hard to spot", "Fix")


@dataclass
class SectionDraft:
    heading: str  # inline markdown
    markdown: str = ""


@dataclass
class FollowUpDraft:
    text: str  # inline markdown, one line
    status: str = "open"
    owner: str = ""
    due: date | None = None


@dataclass
class PostMortemDraft:
    """A post-mortem as the form edits it: the JSON API's fields plus what keeps a document whole."""

    title: str
    date: date | None = None
    duration: str = ""
    severity: str = ""
    severity_note: str = ""
    affected: str = ""
    status: str = ""
    summary: str = ""
    sections: list[SectionDraft] = field(default_factory=list)
    follow_ups: list[FollowUpDraft] = field(default_factory=list)
    lessons: list[str] = field(default_factory=list)
    follow_ups_heading: str = "Follow-ups"
    lessons_heading: str = "Lessons"
    # Field/Value rows beyond the five known ones, such as ("Incident", "#236").
    other_fields: list[tuple[str, str]] = field(default_factory=list)
    # Text between the table and the first section, when an imported document had some.
    intro: str = ""
    # Link reference definitions that stood among the follow-ups or lessons.
    references: list[str] = field(default_factory=list)
    # The YAML front matter block as written (`---` lines included); never shown in the form.
    front_matter: str = ""


def postmortem_template(*, date: date | None = None, affected: str = "", other_fields=()) -> PostMortemDraft:
    """A new post-mortem with the seed's structure: Summary, Root cause, Why it was hard to spot, Fix,
    Contributing items, Lessons."""
    return PostMortemDraft(
        title="",
        date=date,
        affected=affected,
        sections=[SectionDraft(heading) for heading in NEW_SECTIONS],
        follow_ups_heading="Contributing items",
        other_fields=list(other_fields),
    )


# --- writing -------------------------------------------------------------------------


def postmortem_markdown(draft: PostMortemDraft, *, path: str = "") -> str:
    """The draft in the canonical layout. `path` is where the file will live (kind detection reads it)."""
    parts = [f"# {escape_inline(one_line(draft.title))}"]
    rows = field_rows(draft)
    if rows:
        parts.append(markdown_table(["Field", "Value"], [[f"**{escape_cell(k)}**", escape_cell(v)] for k, v in rows]))
    if draft.intro.strip():
        parts.append(_block(draft.intro))
    if draft.summary.strip():
        parts.append("## Summary\n\n" + _block(draft.summary))
    for section in draft.sections:
        heading = f"## {one_line(section.heading) or 'Notes'}"
        parts.append(heading + ("\n\n" + _block(section.markdown) if section.markdown.strip() else ""))
    if draft.follow_ups:
        parts.append(f"## {one_line(draft.follow_ups_heading) or 'Follow-ups'}\n\n" + _follow_up_block(draft.follow_ups))
    if draft.lessons:
        lessons = "\n".join(f"{n}. {list_text(text)}" for n, text in enumerate(draft.lessons, start=1))
        parts.append(f"## {one_line(draft.lessons_heading) or 'Lessons'}\n\n{lessons}")
    if draft.references:
        parts.append("\n".join(draft.references))
    body = "\n\n".join(parts) + "\n"
    front = _front_matter(draft)
    if _reads_as(front + body, path) != "postmortem":
        front = _front_matter(draft, kind="postmortem")
    return front + body


def field_rows(draft: PostMortemDraft) -> list[tuple[str, str]]:
    severity = draft.severity + (f" — {draft.severity_note}" if draft.severity and draft.severity_note else "")
    known = [
        ("Date", draft.date.isoformat() if draft.date else ""),
        ("Duration", draft.duration),
        ("Severity", severity or draft.severity_note),
        ("Affected", draft.affected),
        ("Status", draft.status),
    ]
    return [(k, v) for k, v in [*known, *draft.other_fields] if one_line(v)]


def _follow_up_block(items: list[FollowUpDraft]) -> str:
    # A checklist reads best; owners and due dates need the table, the only place the parser reads them.
    if any(item.owner or item.due for item in items):
        return markdown_table(
            ["Follow-up", "Status", "Owner", "Due"],
            [
                [escape_cell(item.text), item.status, escape_cell(item.owner), item.due.isoformat() if item.due else ""]
                for item in items
            ],
        )
    return "\n".join(f"- [{'x' if item.status == 'done' else ' '}] {list_text(item.text)}" for item in items)


def _front_matter(draft: PostMortemDraft, *, kind: str | None = None) -> str:
    """The draft's front matter, its title and known fields brought in line with the form."""
    block = draft.front_matter
    match = FRONT_MATTER.match(block) if block else None
    data = (yaml.safe_load(match.group(1) or "") if match else None) or {}
    if not isinstance(data, dict):
        data = {}
    values = dict(field_rows(replace(draft, other_fields=[])))
    stale = [k for k in data if str(k).strip().lower() in FIELD_SYNONYMS or k == "title"]
    if not stale and kind is None:
        return block if match else ""
    for key in stale:
        if key == "title":
            data[key] = draft.title
            continue
        value = values.get(FIELD_SYNONYMS[str(key).strip().lower()].capitalize(), "")
        if value:
            data[key] = value
        else:
            del data[key]
    if kind is not None:
        data["kind"] = kind
    if not data:
        return ""
    return "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000) + "---\n"


def _reads_as(text: str, path: str) -> str | None:
    try:
        return parse_document(text, path).kind
    except ParseError:
        return None


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("-" * (len(h) + 2) for h in headers) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


BLOCK_MARKER = re.compile(r"^([-+*>#]|\d{1,9}[.)])(?=\s|$)")


def list_text(text: str) -> str:
    """An item's text on one line, a leading `- `, `1. `, `#` or `>` escaped so it stays text."""
    line = one_line(text)
    marker = BLOCK_MARKER.match(line)
    return line if not marker else marker.group()[:-1] + "\\" + marker.group()[-1] + line[marker.end():]


def escape_cell(text: str) -> str:
    """A value for a table cell: one line, its pipes escaped."""
    return re.sub(r"(?<!\\)\|", r"\\|", one_line(text))


INLINE_SPECIAL = re.compile(r"([\\`*_\[\]#>!|])")


def escape_inline(text: str) -> str:
    """Plain text that renders as itself (the title is plain text, not markdown)."""
    return INLINE_SPECIAL.sub(r"\\\1", text).replace("&", "&amp;").replace("<", "&lt;")


def as_markdown(plain: str) -> str:
    """Plain text as markdown that renders back to it: unchanged unless it would render differently."""
    if not plain or not INLINE_SPECIAL.search(plain) and "&" not in plain and "<" not in plain:
        return plain
    blocks = render(plain).blocks[0]
    # Brackets can become links or footnotes once the rest of the document defines them.
    return plain if " ".join(blocks.paragraphs) == plain and "[" not in plain else escape_inline(plain)


FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _block(markdown: str) -> str:
    """A markdown field as a block: no CRs, no blank lines around it, and any code fence it opens closed."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n").strip("\n").rstrip()
    fence = None
    for line in text.split("\n"):
        opened = FENCE_LINE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None and line.strip().startswith(fence) and set(line.strip()) <= set(fence[0]):
            fence = None
    return text + (f"\n{fence}" if fence else "")


# --- reading a document back into a draft --------------------------------------------------


def readable_source(text: str) -> tuple[str, str]:
    """(front matter block as written, body): BOM and CRLF removed, a flattened body rebuilt as the parser does."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    match = FRONT_MATTER.match(text)
    front = match.group() if match else ""
    body = text[len(front):]
    if looks_flattened(body):
        body, _report = unflatten(body)
        front = ""  # a flattened file had no front matter the parser could read either
    return front, body


@dataclass
class _Group:
    """A top-level section with its subsections folded into its markdown."""

    heading: str  # as rendered (the parser's view)
    source_heading: str  # as written
    level: int
    markdown: str


def postmortem_draft(text: str, path: str = "") -> PostMortemDraft:
    """The draft the form shows for a stored post-mortem: every part of the text is kept somewhere.

    Follow-ups and lessons become editable lists only when writing them back reads the same;
    otherwise their section stays markdown, as written.
    """
    parsed = parse_document(text, path)
    front, body = readable_source(text)
    lines = body.split("\n")
    starts, groups = _sections(body, parsed)
    first_section = min(starts) if starts else len(lines)
    intro_lines = lines[_title_end(lines, first_section):first_section]
    intro, raw_fields = _intro_without_fields(intro_lines)

    summary_group = next((g for g in groups if postmortem_heading_role(g.heading) == "summary"), None)
    if summary_group is not None and not summary_group.markdown.strip():
        summary_group = None  # an empty Summary heading stays where it is
    plain = [g for g in groups if g is not summary_group]
    front_keys = {str(k) for k in parsed.front_matter}
    draft = PostMortemDraft(
        title=parsed.title,
        date=parsed.date,
        duration=raw_fields.get("duration") or as_markdown(parsed.duration),
        severity=parsed.severity,
        severity_note=as_markdown(parsed.metadata.get("severity_note", "")),
        affected=raw_fields.get("affected") or as_markdown(parsed.affected),
        status=raw_fields.get("status") or as_markdown(parsed.status),
        summary=summary_group.markdown if summary_group else parsed.summary,
        other_fields=[
            (name, as_markdown(value))
            for name, value in parsed.metadata.items()
            if name != "severity_note" and name not in front_keys and not _mentioned(name, value, plain)
        ],
        intro="\n".join(intro).strip("\n"),
        front_matter=front,
    )
    sections = [SectionDraft(g.source_heading, g.markdown) for g in plain]
    draft.sections = sections
    # Take over the follow-up sections, then the lessons, each only when that reads back the same.
    for role in ("follow_ups", "lessons"):
        candidate = _take_over(draft, plain, role, path)
        if candidate is not None and _same_items(parse_document(postmortem_markdown(candidate, path=path), path), parsed):
            draft = candidate
            plain = [g for g in plain if SectionDraft(g.source_heading, g.markdown) in draft.sections]
    return draft


def _sections(body: str, parsed: ParsedDocument) -> tuple[list[int], list[_Group]]:
    """The start line of each parsed section found in the body, and the sections grouped top-level."""
    headings = scan_source(body, 0, [])
    starts: list[int] = []
    groups: list[_Group] = []
    cursor = 0
    for section in parsed.sections:
        target = _normalise(section.heading)
        found = next(
            (j for j in range(cursor, len(headings)) if headings[j].level == section.level and _normalise(headings[j].text) == target),
            None,
        )
        if found is None:
            continue  # not a heading line of its own (inside raw HTML): its text is in the previous section
        cursor = found + 1
        starts.append(headings[found].line)
        source_heading = headings[found].text or section.heading
        if groups and section.level > groups[-1].level:
            depth = min(6, section.level - groups[-1].level + 2)
            sub = "#" * depth + " " + source_heading + ("\n\n" + section.markdown if section.markdown.strip() else "")
            groups[-1].markdown = (groups[-1].markdown.rstrip("\n") + "\n\n" + sub).strip("\n")
        else:
            groups.append(_Group(section.heading, source_heading, section.level, section.markdown))
    return starts, groups


def _title_end(lines: list[str], limit: int) -> int:
    """The line after the title heading, when the text before the first section starts with one."""
    for i, line in enumerate(lines[:limit]):
        if not line.strip():
            continue
        if re.match(r"^ {0,3}#(?!#)", line):
            return i + 1
        if i + 1 < limit and re.fullmatch(r" {0,3}=+[ \t]*", lines[i + 1]):
            return i + 2
        return 0
    return 0


def _intro_without_fields(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """The intro less its Field/Value table and `**Field:** value` lines; the known fields' cells as written."""
    kept: list[str] = []
    raw: dict[str, str] = {}
    i = 0
    while i < len(lines):
        if i + 1 < len(lines) and "|" in lines[i] and TABLE_DELIMITER_LINE.match(lines[i + 1]):
            end = i + 2
            while end < len(lines) and "|" in lines[end] and lines[end].strip():
                end += 1
            rows = [split_row(line) for line in lines[i + 2:end]]
            if len(split_row(lines[i])) == 2 and any(_field_key(r[0]) in FIELD_SYNONYMS for r in rows if r):
                for row in rows:
                    if len(row) >= 2 and _field_key(row[0]) in FIELD_SYNONYMS:
                        raw.setdefault(FIELD_SYNONYMS[_field_key(row[0])], row[1].strip())
                i = end
                continue
            kept.extend(lines[i:end])
            i = end
            continue
        if BOLD_FIELD.match(lines[i]) or PLAIN_FIELD.match(lines[i]):
            i += 1
            continue
        kept.append(lines[i])
        i += 1
    return kept, raw


def _field_key(cell: str) -> str:
    return re.sub(r"[*_`]", "", cell).strip().rstrip(":").strip().lower()


def split_row(line: str) -> list[str]:
    """The cells of a markdown table row, as written (escaped pipes and code spans kept whole)."""
    cells, current, in_code = [], "", False
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current += text[i:i + 2]
            i += 2
            continue
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
        i += 1
    if current.strip():
        cells.append(current.strip())
    return cells


def _mentioned(name: str, value: str, groups: list[_Group]) -> bool:
    """True when a section already says `name: value` (a Stats list, say), so the table need not repeat it."""
    wanted = (_normalise(name), _normalise(value))
    return any(
        wanted[0] in _normalise(line) and wanted[1] in _normalise(line)
        for group in groups
        for line in group.markdown.split("\n")
    )


LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")
CHECKBOX = re.compile(r"^\[[ xX]\]\s+")


def _take_over(draft: PostMortemDraft, groups: list[_Group], role: str, path: str) -> PostMortemDraft | None:
    """The draft with the sections of `role` turned into its editable list, or None when they cannot be."""
    chosen = [g for g in groups if postmortem_heading_role(g.heading) == role]
    if role == "lessons":
        chosen = chosen[:1]
    if not chosen:
        return None
    follow_ups: list[FollowUpDraft] = []
    lessons: list[str] = []
    references: list[str] = []
    for group in chosen:
        alone = parse_document(f"---\nkind: postmortem\n---\n# x\n\n## {group.source_heading}\n\n{group.markdown}\n", path)
        items = _items(group.markdown, table=role == "follow_ups")
        if items is None:
            return None
        texts, found_references = items
        if not texts:
            return None  # an empty section keeps its heading where it is
        references += found_references
        if role == "lessons":
            if len(texts) != len(alone.lessons):
                return None
            lessons += texts
            continue
        if len(texts) != len(alone.follow_ups):
            return None
        follow_ups += [
            FollowUpDraft(text, item.status, item.owner, item.due) for text, item in zip(texts, alone.follow_ups)
        ]
    kept = [SectionDraft(g.source_heading, g.markdown) for g in groups if g not in chosen]
    if role == "lessons":
        return replace(draft, sections=kept, lessons=lessons, lessons_heading=chosen[0].source_heading,
                       references=draft.references + references)
    return replace(draft, sections=kept, follow_ups=follow_ups, follow_ups_heading=chosen[0].source_heading,
                   references=draft.references + references)


def _items(markdown: str, *, table: bool) -> tuple[list[str], list[str]] | None:
    """The item texts of a section that holds one list, one table (follow-ups) or only paragraphs
    (lessons), each folded onto one line, plus its link definitions; None when it holds more."""
    lines = markdown.split("\n")
    references = [line.strip() for line in lines if REFERENCE_DEFINITION.match(line)]
    content = [line for line in lines if not REFERENCE_DEFINITION.match(line)]
    filled = [line for line in content if line.strip()]
    if not filled:
        return [], references
    if table and len(filled) >= 2 and TABLE_DELIMITER_LINE.match(filled[1]) and all("|" in line for line in filled):
        headers = split_row(filled[0])
        text_col, *others = follow_up_columns(headers)
        if text_col is None or len(headers) != 1 + sum(c is not None for c in others):
            return None  # a column the follow-up list has no place for
        rows = [split_row(line) for line in filled[2:]]
        return [row[text_col] if text_col < len(row) else "" for row in rows], references
    if not any(LIST_ITEM.match(line) for line in content):
        if table:
            return None
        return [one_line(p) for p in re.split(r"\n\s*\n", "\n".join(content)) if p.strip()], references
    items: list[str] = []
    blank_before = True
    for line in content:
        if not line.strip():
            blank_before = True
            continue
        item = LIST_ITEM.match(line)
        if item:
            items.append(CHECKBOX.sub("", (item.group(1) or "").strip(), count=1))
        elif items and (line[:1] in (" ", "\t") or not blank_before):
            # A continuation line or a nested list: folded onto the item's one line.
            nested = LIST_ITEM.match(line.strip())
            items[-1] = one_line(items[-1] + " " + ((nested.group(1) or "") if nested else line))
        else:
            return None
        blank_before = False
    return [text for text in items if text not in ("", "-", "…", "...")], references


def _same_items(written: ParsedDocument, original: ParsedDocument) -> bool:
    def follow_ups(doc):
        return [(f.text, f.status, f.owner, f.due) for f in doc.follow_ups]

    return follow_ups(written) == follow_ups(original) and written.lessons == original.lessons


# --- checking a draft against what the parser reads -------------------------------------------


def draft_mismatches(draft: PostMortemDraft, parsed: ParsedDocument) -> dict[str, str]:
    """Form field → what the parser read differently from the written draft (empty when all agree)."""
    problems: dict[str, str] = {}
    if parsed.kind != "postmortem":
        problems["title"] = "this reads as a runbook, not a post-mortem"
    if parsed.title != one_line(draft.title):
        problems["title"] = f"the title reads back as “{parsed.title}”"
    if parsed.date != draft.date:
        problems["date"] = f"the date reads back as {parsed.date or 'no date'}"
    if draft.severity and parsed.severity.upper() != draft.severity.upper():
        problems["severity"] = f"the severity reads back as “{parsed.severity}”"
    written = [(f.status, f.owner, f.due) for f in parsed.follow_ups[len(parsed.follow_ups) - len(draft.follow_ups):]]
    if len(parsed.follow_ups) < len(draft.follow_ups) or written != [
        (f.status, one_line(f.owner), f.due) for f in draft.follow_ups
    ]:
        problems["follow_ups"] = (
            "the follow-ups read back differently: a follow-up starting with “Done” or ✅ counts as done, "
            f"and the heading “{draft.follow_ups_heading}” must name follow-ups (Follow-ups, Action items, …)"
        )
    if draft.lessons and len(parsed.lessons) != len(draft.lessons):
        problems["lessons"] = (
            f"the lessons read back as {len(parsed.lessons)}, not {len(draft.lessons)}: another section "
            "called Lessons comes first, or the heading does not start with “Lessons”"
        )
    return problems


# --- runbooks --------------------------------------------------------------------------------


def runbook_template(alert: str = "") -> str:
    """A new runbook in the seed runbook's layout, for `alert` when one is given."""
    alert_line = f"`{alert}` fires when …" if alert else "Name the alert here, in backticks."
    return (
        f"# {alert or 'New runbook'}\n\n"
        f"## Alert\n\n{alert_line}\n\n"
        "## Symptoms\n\n- What the operator sees\n\n"
        "## Investigation Steps\n\n```bash\n# commands that confirm the cause\n```\n\n"
        "## Fix\n\nWhat to change, and where.\n\n"
        "## Resolution History\n\nNone yet: “Add resolution” on the runbook's page appends a row here.\n"
    )
