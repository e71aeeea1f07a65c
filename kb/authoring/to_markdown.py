"""Writes post-mortems as markdown in the canonical layout (`kb.authoring.from_markdown` reads them back).

The canonical layout is the seed post-mortem's: a title, a Field/Value table, then `##` sections,
the follow-ups and the lessons. Pure: text in, text out, no database. Whatever is written is
checked by parsing it with the importer's own parser (`kb.markdown.parsing.parse_document`), so the web
writes exactly what an import of the file reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

import yaml

from kb.markdown.parsing import ParsedDocument, ParseError, parse_document
from kb.markdown.postmortems import PostMortemFields
from kb.markdown.rendering import render
from kb.markdown.syntax import FIELD_SYNONYMS, FRONT_MATTER, LIST_MARKER, unclosed_fence

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4", "SEV5")
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
class PostMortemDraft(PostMortemFields):
    """A post-mortem as the form edits it: the JSON API's fields (those of `PostMortemFields`, the ones
    the parser reads, and the title) plus what keeps a document whole."""

    title: str
    severity_note: str = ""
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
    # The H1 as written where the front matter's title is another (never shown in the form).
    heading: str = ""


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


def postmortem_markdown(draft: PostMortemDraft, *, path: str = "") -> tuple[str, ParsedDocument]:
    """The draft in the canonical layout, and how the importer's parser reads it (once).

    `path` is where the file will live (kind detection reads it). Front matter `kind: postmortem`
    is added only when the text would not read as a post-mortem without it.
    """
    # An H1 that says more than the front matter's title stays, until the form changes the title.
    kept_heading = draft.heading and one_line(draft.title) == one_line(str(_front_data(draft).get("title", "")))
    parts = [f"# {one_line(draft.heading) if kept_heading else escape_inline(one_line(draft.title))}"]
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
        parts.append(
            f"## {one_line(draft.follow_ups_heading) or 'Follow-ups'}\n\n" + _follow_up_block(draft.follow_ups)
        )
    if draft.lessons:
        lessons = "\n".join(f"{n}. {list_text(text)}" for n, text in enumerate(draft.lessons, start=1))
        parts.append(f"## {one_line(draft.lessons_heading) or 'Lessons'}\n\n{lessons}")
    if draft.references:
        parts.append("\n".join(draft.references))
    body = "\n\n".join(parts) + "\n"
    text = _front_matter(draft) + body
    try:
        parsed = parse_document(text, path)
    except ParseError:
        parsed = None
    if parsed is None or parsed.kind != "postmortem":
        text = _front_matter(draft, kind="postmortem") + body
        parsed = parse_document(text, path)
    return text, parsed


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


def _front_data(draft: PostMortemDraft) -> dict:
    match = FRONT_MATTER.match(draft.front_matter) if draft.front_matter else None
    data = (yaml.safe_load(match.group(1) or "") if match else None) or {}
    return data if isinstance(data, dict) else {}


def _front_matter(draft: PostMortemDraft, *, kind: str | None = None) -> str:
    """The draft's front matter, its title and known fields brought in line with the form."""
    block = draft.front_matter
    match = FRONT_MATTER.match(block) if block else None
    data = _front_data(draft)
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


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("-" * (len(h) + 2) for h in headers) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


# A line starting with one of these would not read as text: a list item, a quote or a heading.
BLOCK_MARKER = re.compile(rf"^(?:{LIST_MARKER}|[>#])(?=\s|$)")


def list_text(text: str) -> str:
    """An item's text on one line, a leading `- `, `1. `, `#` or `>` escaped so it stays text."""
    line = one_line(text)
    marker = BLOCK_MARKER.match(line)
    return line if not marker else marker.group()[:-1] + "\\" + marker.group()[-1] + line[marker.end() :]


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


def normalise_text(text: str) -> str:
    """Text from a browser as the web writes it: LF line ends (forms send CRLF), one final newline."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"


def _block(markdown: str) -> str:
    """A markdown field as a block: no CRs, no blank lines around it, and any code fence it opens closed."""
    text = normalise_text(markdown).strip("\n").rstrip()
    fence = unclosed_fence(text)
    return text + (f"\n{fence}" if fence else "")


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
    written = [(f.status, f.owner, f.due) for f in parsed.follow_ups[len(parsed.follow_ups) - len(draft.follow_ups) :]]
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


def runbook_template(alert: str = "", *, labels: dict[str, str] | None = None, postmortems=()) -> str:
    """A new runbook in the seed runbook's layout, for `alert` when one is given: with `labels` as its scope
    (front matter) and links to the post-mortems that implicate it (objects with `title`, `date` and
    `get_absolute_url()`), so that whoever writes it starts from what is known."""
    alert_line = f"`{alert}` fires when …" if alert else "Name the alert here, in backticks."
    front = ""
    if alert and labels:
        scope = yaml.safe_dump(labels, default_flow_style=True, sort_keys=False, width=1_000_000).strip()
        front = f"---\nkind: runbook\nalert: {alert}\nlabels: {scope}\n---\n\n"
    past = ""
    if postmortems:
        links = "\n".join(
            f"- [{escape_inline(p.title)}]({p.get_absolute_url()})" + (f" ({p.date:%Y-%m-%d})" if p.date else "")
            for p in postmortems
        )
        past = f"## Post-mortems\n\nWhat earlier incidents of this alert taught:\n\n{links}\n\n"
    return (
        f"{front}# {alert or 'New runbook'}\n\n"
        f"## Alert\n\n{alert_line}\n\n"
        "## Symptoms\n\n- What the operator sees\n\n"
        "## Investigation Steps\n\n```bash\n# commands that confirm the cause\n```\n\n"
        "## Fix\n\nWhat to change, and where.\n\n"
        f"{past}"
        "## Resolution History\n\nNone yet: “Add resolution” on the runbook's page appends a row here.\n"
    )
