"""A post-mortem's follow-ups and lessons, read from the markdown as written: under any action-like
or lessons-like heading, or a bold label in a document written as one list of them
(`- **Review actions**:` with the items nested under it).

Items are read from the source rather than the rendered lists, so that a nested bullet indented by
two spaces belongs to its parent, as it does on GitHub. The labels' rule (bench/understanding):
one item per top-level bullet, nested bullets belong to their parent, a `###` group without a list
is one item per paragraph, and prose that explains (a question, the bullets under an action-item
table) is not an item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kb.markdown import dates
from kb.markdown.rendering import Block, Table, outline
from kb.markdown.syntax import (
    BOLD_LABEL,
    BOX,
    DONE_MARK,
    DONE_PREFIX,
    DONE_STATUS,
    LESSON_GROUP,
    fence_after,
    follow_up_columns,
    heading_key,
    postmortem_heading_role,
)

ITEM_LINE = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+(?P<text>\S.*)$")
CHECKED = re.compile(rf"^{BOX}\s+")
REFERENCE_ONLY = re.compile(
    r"^(?:see|ref|refs|reference|cf\.?|more (?:info|details)|details)\b[:\s]*\S*(?:https?://|\]\()", re.I
)
# A paragraph that sends the reader elsewhere rather than asking for something.
POINTER = re.compile(r"^(?:see|refer to|for (?:full |more )?details)\b", re.I)
# Prose that introduces a list of examples (a template's), not of items.
EXAMPLES_LEAD = re.compile(r"(?:for example|for instance|e\.g\.|such as)[,:.]?\s*$", re.I)
PLACEHOLDERS = ("", "-", "…", "...", "n/a", "none", "tbd", "not much.", "we didn't, really.")


@dataclass
class FollowUpItem:
    text: str
    status: str  # "open" or "done"
    owner: str = ""
    due: date | None = None


@dataclass
class Group:
    """A heading or bold label and the markdown under it, with the rendered tables when headed."""

    label: str
    markdown: str
    tables: list[Table]
    parent: str = ""  # the label of the section it sits in ("Action items" for "### Process")


def groups(content: list[tuple[Block, str]], intro_markdown: str) -> list[Group]:
    """Every heading's own markdown, with its parent heading, and every bold-label part of each."""
    found: list[Group] = []
    stack: list[Block] = []
    for block, md in content:
        while stack and stack[-1].level >= block.level:
            stack.pop()
        parent = stack[-1].heading if stack else ""
        found.append(Group(block.heading, md, block.tables, parent))
        found += [Group(label, part, [], block.heading) for label, part in labelled_parts(md) if _has_role(label)]
        stack.append(block)
    labelled = [Group(label, part, []) for label, part in labelled_parts(intro_markdown) if _has_role(label)]
    return labelled + found


def _has_role(label: str) -> bool:
    return bool(postmortem_heading_role(label) or LESSON_GROUP.match(heading_key(label)))


def labelled_parts(md: str) -> list[tuple[str, str]]:
    """`- **Review actions**:` and the lines under it (the rest of its line first), up to the next
    label at the same indent."""
    parts: list[tuple[str, list[str]]] = []
    indent = None
    for line in md.split("\n"):
        match = BOLD_LABEL.match(line)
        if match and (indent is None or len(match.group("indent")) <= indent):
            indent = len(match.group("indent"))
            parts.append((match.group("label").strip(), [match.group("rest").strip(" :")]))
        elif parts:
            parts[-1][1].append(line)
    return [(label, "\n".join(lines).strip("\n")) for label, lines in parts]


def role(group: Group) -> str | None:
    """What a group holds: its own label's role, else its parent's (a `### Process` under Action items)."""
    own = postmortem_heading_role(group.label)
    if own or LESSON_GROUP.match(heading_key(group.label)):
        return own or "lessons"
    return postmortem_heading_role(group.parent) if group.parent else None


def _parents(all_groups: list[Group]) -> set[str]:
    """Labels with groups under them: their own text introduces the groups, it lists nothing."""
    return {g.parent for g in all_groups if g.parent}


def read_follow_ups(all_groups: list[Group]) -> list[FollowUpItem]:
    items: list[FollowUpItem] = []
    parents = _parents(all_groups)
    for group in all_groups:
        if role(group) != "follow_ups":
            continue
        default = "done" if re.search(r"\((done|closed|completed)\)", group.label, re.I) else "open"
        from_tables = [item for table in group.tables for item in _table_follow_ups(table, default)]
        if from_tables:  # the bullets beside an action-item table explain it
            items += from_tables
            continue
        found = _items(group, prose=group.label not in parents)
        for (text, checked), shown in zip(found, plain_texts([text for text, _ in found])):
            if shown.strip().lower() in PLACEHOLDERS:
                continue
            # A done prefix ("✅ Rotated", "DONE: rotate") wins over the box; other marks count without one.
            done = bool(DONE_PREFIX.match(text)) or (checked if checked is not None else bool(DONE_MARK.search(text)))
            status = "done" if done or (checked is None and default == "done") else "open"
            items.append(FollowUpItem(text=shown, status=status))
    return items


def read_lessons(all_groups: list[Group]) -> list[str]:
    lessons: list[str] = []
    parents = _parents(all_groups)
    for group in all_groups:
        if role(group) != "lessons":
            continue
        prefix = group.label.strip().rstrip(":") + ": " if LESSON_GROUP.match(heading_key(group.label)) else ""
        texts = plain_texts([text for text, _checked in _items(group, prose=group.label not in parents)])
        lessons += [prefix + text for text in texts if text.strip().lower() not in PLACEHOLDERS]
    return lessons


def _items(group: Group, *, prose: bool = True) -> list[tuple[str, bool | None]]:
    """Top-level list items (nested lines joined to them), else (with `prose`) one per paragraph
    that is not a question."""
    if any(_has_role(m.group("label")) for m in map(BOLD_LABEL.match, group.markdown.split("\n")) if m):
        return []  # a part holding labelled parts of its own: they are read as groups
    items: list[tuple[list[str], bool | None]] = []
    examples: list[tuple[list[str], bool | None]] = []  # the items of a list given "for example"
    current = items
    top = None
    fence = None
    lead_in = ""  # the prose since the last item
    paragraphs: list[list[str]] = [[]]
    for line in group.markdown.split("\n"):
        was_open, fence = fence, fence_after(fence, line)
        match = ITEM_LINE.match(line) if not (was_open or fence) else None
        if match and (top is None or len(match.group("indent")) <= top):
            top = len(match.group("indent"))
            if lead_in:
                # A template's examples after the group's own items; before any, its lead-in to them.
                current = examples if items and EXAMPLES_LEAD.search(lead_in) else items
                lead_in = ""
            text = match.group("text")
            box = CHECKED.match(text)
            current.append(([text[box.end() :] if box else text], (box.group(1) != " ") if box else None))
        elif current and (line.startswith((" ", "\t")) or not line.strip() or was_open or fence):
            current[-1][0].append(line.strip())
        elif items or examples:
            lead_in += " " + line.strip()  # prose after a list explains it
        elif not line.strip():
            paragraphs.append([])
        elif not line.lstrip().startswith("|"):
            paragraphs[-1].append(line.strip())
            lead_in += " " + line.strip()
    if items:
        joined = [(" ".join(" ".join(lines).split()), checked) for lines, checked in items if lines]
        return _with_references_joined(joined)
    texts = [" ".join(p) for p in paragraphs if p] if prose else []
    return [(text, None) for text in texts if not text.rstrip().endswith("?") and not POINTER.match(text)]


def _with_references_joined(items: list[tuple[str, bool | None]]) -> list[tuple[str, bool | None]]:
    """A bullet that only points to a link ("See https://…") tells more about the one before it."""
    kept: list[tuple[str, bool | None]] = []
    for text, checked in items:
        if kept and REFERENCE_ONLY.match(text):
            kept[-1] = (f"{kept[-1][0]} - {text}", kept[-1][1])
        else:
            kept.append((text, checked))
    return kept


# An item of letters, digits and punctuation none of Markdown's marks (emphasis, code, links, escapes, entities,
# HTML, tables, attributes, footnotes), that does not begin as a list, a heading or a quote does, but for code spans
# of one backtick and bold runs of those same characters: rendered, it is its words as written, less those marks
# (`_plain`). One character or one span a step, each step one way only: no backtracking grows with an item's length.
# The items of 191 of the corpus post-mortems' 261 lists, and of all 5,000 of the generated collection's (557 before
# code spans and bold runs were read so): 2% of the parsing process's CPU.
_PLAIN_CHARACTER = r"[A-Za-z0-9 ,.;:?'\"()/@=%$+#-]"
_CODE_SPAN = r"`[^`]+`(?!`)"  # "`a``b`" is one code span, `a``b`
_BOLD = rf"\*\*[A-Za-z0-9](?:{_PLAIN_CHARACTER}*(?! ){_PLAIN_CHARACTER})?\*\*"
PLAIN_ITEM = re.compile(rf"(?!\d+[.)](?:\s|$))(?=[A-Za-z0-9]|`|\*\*)(?:{_PLAIN_CHARACTER}|{_CODE_SPAN}|{_BOLD})+")
_MARKS = re.compile(r"`([^`]+)`|\*\*")


def _plain(text: str) -> str:
    # A code span's text is stripped of the spaces inside its backticks: "fix` a `" reads "fixa".
    return " ".join(_MARKS.sub(lambda mark: (mark[1] or "").strip(), text).split())


def plain_texts(texts: list[str]) -> list[str]:
    """Items as a reader sees them rendered (no emphasis, code or escape marks, link text only):
    read as written less their code and bold marks when they hold no other (`PLAIN_ITEM`), else rendered as one
    list, in one pass, or one by one when that list comes out otherwise."""
    squeezed = [" ".join(text.split()) for text in texts]
    if all(PLAIN_ITEM.fullmatch(text) for text in squeezed):
        return [_plain(text) for text in squeezed]
    return rendered_texts(texts)


def rendered_texts(texts: list[str]) -> list[str]:
    """`plain_texts` by rendering them, whatever they hold."""
    if not texts:
        return []
    lists = outline("\n".join("- " + " ".join(text.split()) for text in texts))[0].lists
    if len(lists) == 1 and len(lists[0].items) == len(texts):
        return [item.text for item in lists[0].items]
    return [" ".join(_rendered_words(text)) for text in texts]


def _rendered_words(text: str) -> list[str]:
    block = outline(text)[0]
    return [*block.paragraphs, *(i.text for lst in block.lists for i in lst.items), *block.other_text] or [text]


def _table_follow_ups(table: Table, default: str) -> list[FollowUpItem]:
    text_col, status_col, owner_col, due_col = follow_up_columns(table.headers)
    if text_col is None or (status_col, owner_col, due_col) == (None, None, None):
        return []

    def cell(row: list[str], col: int | None) -> str:
        return row[col].strip() if col is not None and col < len(row) else ""

    items = []
    for row in table.rows:
        text = cell(row, text_col)
        if not text:
            continue
        done = DONE_STATUS.match(cell(row, status_col)) or DONE_MARK.search(text)
        items.append(
            FollowUpItem(
                text=text.removeprefix("~~").removesuffix("~~").strip(),
                status="done" if done else default,
                owner=cell(row, owner_col),
                due=dates.parse(cell(row, due_col)) if due_col is not None else None,
            )
        )
    return items
