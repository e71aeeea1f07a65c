"""Reads a stored document back into the draft the post-mortem form shows. Pure, no database.

Every part of the text is kept somewhere in the draft: the known fields in their fields, other
Field/Value rows and text before the first section in their own, follow-ups and lessons in their
editable lists when writing them back reads the same, every other section as markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kb.authoring.to_markdown import (
    FollowUpDraft,
    PostMortemDraft,
    SectionDraft,
    as_markdown,
    one_line,
    postmortem_markdown,
)
from kb.markdown.parsing import ParsedDocument, parse_document
from kb.markdown.syntax import (
    BOLD_FIELD,
    CHECKBOX,
    FIELD_SYNONYMS,
    LEVEL_ONE_HASH,
    LIST_ITEM,
    PLAIN_FIELD,
    TABLE_DELIMITER_LINE,
    comparable,
    follow_up_columns,
    postmortem_heading_role,
    setext_level,
    source_parts,
    split_row,
    table_end,
    table_starts,
)


def readable_source(text: str) -> tuple[str, str]:
    """(front matter block as written, body) as the parser reads them: BOM and CRLF removed, a
    flattened body rebuilt."""
    parts = source_parts(text)
    return parts.front, parts.body


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
    lines = parsed.body.split("\n")
    starts, groups = _sections(parsed)
    first_section = min(starts) if starts else len(lines)
    intro_lines = lines[_title_end(lines, first_section) : first_section]
    label_list = _is_label_list(intro_lines)
    # A report written as one list of bold labels keeps its list as written: its fields are read from it.
    intro, raw_fields = _intro_without_fields(intro_lines, keep_labels=label_list)

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
            if name != "severity_note"
            and name not in front_keys
            and not _mentioned(name, value, plain)
            and not label_list
        ],
        intro="\n".join(intro).strip("\n"),
        heading=_own_heading(parsed, lines[: _title_end(lines, first_section)]),
        front_matter=parsed.front_matter_block,
    )
    sections = [SectionDraft(g.source_heading, g.markdown) for g in plain]
    draft.sections = sections
    # Take over the follow-up sections, then the lessons, each only when that reads back the same.
    for role in ("follow_ups", "lessons"):
        candidate = _take_over(draft, plain, role, path)
        if candidate is not None and _same_items(postmortem_markdown(candidate, path=path)[1], parsed):
            draft = candidate
            plain = [g for g in plain if SectionDraft(g.source_heading, g.markdown) in draft.sections]
    return draft


def postmortem_unshown(text: str, path: str = "") -> tuple[str, list[str], str]:
    """What the form does not show of a stored post-mortem, for a save to carry over: its front
    matter block, the link definitions that stood among its follow-ups or lessons and its H1 where
    front matter gives another title.

    The front matter is cut from the text; only a text with link definitions or a front-matter title
    is read as a draft.
    """
    front, body = readable_source(text)
    if not any(REFERENCE_DEFINITION.match(line) for line in body.split("\n")) and "title:" not in front:
        return front, [], ""
    draft = postmortem_draft(text, path)
    return front, draft.references, draft.heading


def _sections(parsed: ParsedDocument) -> tuple[list[int], list[_Group]]:
    """The start line of each section with a heading line in the body, and the sections grouped top-level."""
    starts: list[int] = []
    groups: list[_Group] = []
    for section in parsed.sections:
        if section.line is None:
            continue  # not a heading line of its own (inside raw HTML): its text is in the previous section
        starts.append(section.line)
        source_heading = section.written_heading or section.heading
        if groups and section.level > groups[-1].level:
            depth = min(6, section.level - groups[-1].level + 2)
            sub = "#" * depth + " " + source_heading + ("\n\n" + section.markdown if section.markdown.strip() else "")
            groups[-1].markdown = (groups[-1].markdown.rstrip("\n") + "\n\n" + sub).strip("\n")
        else:
            groups.append(_Group(section.heading, source_heading, section.level, section.markdown))
    return starts, groups


def _own_heading(parsed: ParsedDocument, title_lines: list[str]) -> str:
    """The H1 as written, where front matter gives the title and the H1 says something else."""
    written = next((line for line in title_lines if line.strip()), "")
    heading = LEVEL_ONE_HASH.sub("", written, count=1).strip().rstrip("#").strip()
    if "title" not in parsed.front_matter or comparable(heading) == comparable(parsed.title):
        return ""
    return heading


def _title_end(lines: list[str], limit: int) -> int:
    """The line after the title heading, when the text before the first section starts with one."""
    for i, line in enumerate(lines[:limit]):
        if not line.strip():
            continue
        if LEVEL_ONE_HASH.match(line):
            return i + 1
        if i + 1 < limit and setext_level(lines[i + 1]) == 1:
            return i + 2
        return 0
    return 0


def _intro_without_fields(lines: list[str], *, keep_labels: bool = False) -> tuple[list[str], dict[str, str]]:
    """The intro less its Field/Value table and `**Field:** value` lines (kept with `keep_labels`: the
    report is a list of bold labels); the known fields' cells as written."""
    kept: list[str] = []
    raw: dict[str, str] = {}
    i = 0
    while i < len(lines):
        if table_starts(lines, i):
            end = table_end(lines, i)
            rows = [split_row(line) for line in lines[i + 2 : end]]
            if len(split_row(lines[i])) == 2 and any(_field_key(r[0]) in FIELD_SYNONYMS for r in rows if r):
                for row in rows:
                    if len(row) >= 2 and _field_key(row[0]) in FIELD_SYNONYMS:
                        raw.setdefault(FIELD_SYNONYMS[_field_key(row[0])], row[1].strip())
                i = end
                continue
            kept.extend(lines[i:end])
            i = end
            continue
        if not keep_labels and (BOLD_FIELD.match(lines[i]) or PLAIN_FIELD.match(lines[i])):
            i += 1
            continue
        kept.append(lines[i])
        i += 1
    return kept, raw


def _is_label_list(lines: list[str]) -> bool:
    """Whether the text before the first section is a list of bold labels, some with nested items
    under them (`- **Key events**` then `  - Resolved 12:07`): the whole report written as one list."""
    filled = [line for line in lines if line.strip()]
    return any(
        LIST_ITEM.match(line)
        and BOLD_FIELD.match(line + " x")
        and nxt[:1] in (" ", "\t")
        and LIST_ITEM.match(nxt.strip())
        for line, nxt in zip(filled, filled[1:])
    )


def _field_key(cell: str) -> str:
    return re.sub(r"[*_`]", "", cell).strip().rstrip(":").strip().lower()


def _mentioned(name: str, value: str, groups: list[_Group]) -> bool:
    """True when a section already says `name: value` (a Stats list, say), so the table need not repeat it."""
    wanted = (comparable(name), comparable(value))
    return any(
        wanted[0] in comparable(line) and wanted[1] in comparable(line)
        for group in groups
        for line in group.markdown.split("\n")
    )


REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")


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
        alone = parse_document(
            f"---\nkind: postmortem\n---\n# x\n\n## {group.source_heading}\n\n{group.markdown}\n", path
        )
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
    # The draft names its lists and their headings after the roles: `lessons`, `follow_ups_heading`.
    taken = {role: lessons if role == "lessons" else follow_ups, f"{role}_heading": chosen[0].source_heading}
    return replace(draft, sections=kept, references=draft.references + references, **taken)


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
