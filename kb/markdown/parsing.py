"""Understands one markdown document: text in, a `ParsedDocument` out. No database access.

It reads front matter, rebuilds flattened files, renders once through Python-Markdown
(`kb.markdown.rendering`) and weighs all the evidence to decide what the document is (runbook,
post-mortem or operations note); `kb.markdown.runbooks` and `kb.markdown.postmortems` then pull
out their structured fields. The conventions and words it reads by are `kb.markdown.syntax`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath

from kb.markdown.errors import NotADocument, ParseError
from kb.markdown.followups import FollowUpItem
from kb.markdown.kinds import (
    ALERT_SENTENCE,
    DATE_IN_NAME,
    DECLARED_KINDS,
    DOCUMENT_EXTENSIONS,
    HTTP_MESSAGE,
    LABEL_LINE,
    LINK_ITEM,
    NOTE_WORDS,
    POSTMORTEM_FOLDER,
    POSTMORTEM_WORDS,
    RUNBOOK_FOLDER,
    RUNBOOK_WORDS,
    TOC_DIRECTIVE,
    section_weights,
)
from kb.markdown.postmortems import PostMortemFields, metadata_rows, read_postmortem
from kb.markdown.reading import content_hash, decode
from kb.markdown.references import cell_columns, incident_references, numbers_are_links
from kb.markdown.rendering import Block, render
from kb.markdown.runbooks import (
    Part,
    ResolutionRow,
    alert_in_title,
    alert_parts,
    checked_title,
    part_text,
    read_runbook,
    shared_note,
)
from kb.markdown.syntax import (
    ATX_HEADING,
    LIST_ITEM,
    comparable,
    fence_after,
    is_alert_like,
    is_table_row,
    setext_level,
    source_parts,
    split_row,
    table_starts,
    text_or_none,
)

# What other packages use; the errors live in kb.markdown.errors (syntax raises them too) and are
# named here so that callers import the parser and its errors from one place.
__all__ = ["NotADocument", "ParseError", "ParsedDocument", "Section", "content_hash", "decode", "parse_document"]

MAX_BYTES = 2 * 1024 * 1024


@dataclass
class Section:
    heading: str
    level: int
    anchor: str
    markdown: str
    # Where its heading stands in ParsedDocument.body (0-based) and how it is written there;
    # None and "" when it has no heading line of its own (a heading inside raw HTML, say).
    line: int | None = None
    written_heading: str = ""


@dataclass
class ParsedDocument(PostMortemFields):
    kind: str
    title: str
    identity: str | None  # from front matter `id`/`slug`; None: the importer uses the path
    slug_hint: str | None
    front_matter: dict
    sections: list[Section]
    html: str
    warnings: list[str]
    incidents: list[str]
    # runbooks
    alert: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    resolution_history: list[ResolutionRow] = field(default_factory=list)
    last_reviewed_on: date | None = None
    review_in: str = ""
    stub_of: str = ""  # the alert or page a stub runbook ("Same as X") sends the reader to
    # A file with many alerts: one runbook per alert section, each a document of its own (`Part`).
    parts: list[Part] = field(default_factory=list)
    # post-mortems, besides the fields of PostMortemFields
    follow_ups: list[FollowUpItem] = field(default_factory=list)
    lessons: list[str] = field(default_factory=list)
    # Where the date was read: "front matter", "metadata", "title", "file name", "text" or "timeline".
    date_source: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    # The outline of the rendering pass, one block per heading: what kb.entities.extraction reads.
    outline: list[Block] = field(default_factory=list)
    # The text as read: the front matter block as written and the markdown after it (rebuilt when
    # it had lost its newlines), which the sections were cut from.
    front_matter_block: str = ""
    body: str = ""


# --- the source, split by heading ---------------------------------------------------


@dataclass
class SourceHeading:
    line: int  # 0-based, in the body
    level: int
    text: str


def scan_source(body: str, line_offset: int, warnings: list[str]) -> list[SourceHeading]:
    """Heading lines outside code fences, with warnings for unclosed fences and ragged tables."""
    lines = body.split("\n")
    headings: list[SourceHeading] = []
    fence: str | None = None
    fence_line = 0
    table_columns: int | None = None
    table_line = 0
    for i, line in enumerate(lines):
        was_open, fence = fence, fence_after(fence, line)
        if was_open or fence:  # a fence line, or code inside one
            if not was_open:
                fence_line, table_columns = i, None
            continue
        if table_columns is not None:
            if is_table_row(line):
                cells = len(split_row(line))
                if cells != table_columns:
                    warnings.append(
                        f"line {i + 1 + line_offset}: table row has {cells} cells, its header "
                        f"(line {table_line + line_offset}) has {table_columns}"
                    )
                continue
            table_columns = None
        if i > 0 and table_starts(lines, i - 1):
            table_columns = len(split_row(lines[i - 1]))
            table_line = i
            continue
        heading = ATX_HEADING.match(line)
        if heading:
            headings.append(SourceHeading(i, len(heading.group(1)), (heading.group(2) or "").strip()))
        elif i > 0 and (underlined := setext_level(line)) and _is_paragraph_line(lines[i - 1]):
            headings.append(SourceHeading(i - 1, underlined, lines[i - 1].strip()))
    if fence:
        warnings.append(f"line {fence_line + 1 + line_offset}: code fence {fence[:20]} is never closed")
    return headings


def _is_paragraph_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", "-", "*", "|", ">", "<", "`")) and not stripped[0].isdigit()


def section_markdown(
    body: str, source_headings: list[SourceHeading], blocks: list[Block]
) -> list[tuple[SourceHeading | None, str]]:
    """The heading line of each rendered heading, matched by level and text, and the markdown under it.

    A heading line the renderer did not treat as a heading (inside raw HTML, say) stays content;
    a rendered heading with no line of its own gets None and "".
    """
    lines = body.split("\n")
    matched: list[int] = []
    cursor = 0
    for block in blocks[1:]:
        target = comparable(block.heading)
        for j in range(cursor, len(source_headings)):
            candidate = source_headings[j]
            if candidate.level == block.level and comparable(candidate.text) == target:
                matched.append(j)
                cursor = j + 1
                break
        else:
            matched.append(-1)
    parts: list[tuple[SourceHeading | None, str]] = []
    next_start = len(lines)
    for j in reversed(matched):
        if j < 0:
            parts.append((None, ""))
            continue
        heading = source_headings[j]
        first = heading.line + (2 if _is_setext(lines, heading) else 1)
        parts.append((heading, "\n".join(lines[first:next_start]).strip("\n")))
        next_start = heading.line
    return parts[::-1]


def _is_setext(lines: list[str], heading: SourceHeading) -> bool:
    nxt = lines[heading.line + 1] if heading.line + 1 < len(lines) else ""
    return not ATX_HEADING.match(lines[heading.line]) and setext_level(nxt) is not None


# --- the whole document --------------------------------------------------------------


def parse_document(text: str, path: str = "", *, split: bool = True) -> ParsedDocument:
    """Understands one document. `path` is used for the file-name fallbacks and in links.

    A runbook file with two or more alert sections also yields one `Part` per alert (unless `split`
    is False); the file's own document then answers no alert itself, unless front matter names one.
    """
    warnings: list[str] = []
    parts = source_parts(text)
    front_matter, body = parts.front_matter, parts.body
    if not body.strip():
        if front_matter:
            raise NotADocument("front matter only, no content (a section index)")
        raise ParseError("file is empty")
    if HTTP_MESSAGE.match(body):
        raise NotADocument("a recorded HTTP message, not a document")
    if parts.rebuilt is not None:
        warnings.append("structure reconstructed: the file had lost its newlines; rebuilt " + parts.rebuilt.describe())
        if parts.rebuilt.unclosed_fence:
            warnings.append("a code fence (```) is never closed")
    source_headings = scan_source(body, parts.line_offset, warnings)
    rendered = render(body, source_path=path, warnings=warnings)
    blocks = rendered.blocks
    headed = list(zip(blocks[1:], section_markdown(body, source_headings, blocks)))

    title_block = None
    if headed and headed[0][0].level == 1:
        title_block = headed.pop(0)[0]
    content = [(block, md) for block, (_line, md) in headed]
    intro = blocks[0] if title_block is None else _merge(blocks[0], title_block)
    sections = [
        Section(b.heading, b.level, b.anchor, md, line.line if line else None, line.text if line else "")
        for b, (line, md) in headed
    ]

    stem = _stem(path)
    title = str(front_matter.get("title") or (title_block.heading if title_block else "") or stem or "Untitled")
    # The H1 names the alert even where front matter gives a plainer title ("# NodeRAIDDiskFailure").
    titles = f"{title}\n{title_block.heading}" if title_block else title
    alert_sections = alert_parts(sections, body, check=checked_title(front_matter, title_block, intro, path))
    kind = _kind(front_matter, titles, [b for b, _ in content], intro, path, body, alert_sections=alert_sections)
    doc = ParsedDocument(
        kind=kind,
        title=title.strip(),
        identity=text_or_none(front_matter.get("id")),
        slug_hint=text_or_none(front_matter.get("slug")),
        front_matter=_jsonable(front_matter),
        sections=sections,
        html=rendered.html,
        warnings=warnings,
        incidents=_incident_refs(blocks, bare=not numbers_are_links(body)),
        outline=blocks,
        front_matter_block=parts.front,
        body=body,
    )
    if kind == "runbook":
        read_runbook(doc, front_matter, title_block, content, intro, stem, path)
        if split:
            doc.parts = _parts(alert_sections, front_matter, path)
            if doc.parts and not text_or_none(front_matter.get("alert") or front_matter.get("alertname")):
                shared_note(doc, alert_sections)  # the rest of the file (procedures, notes): a note, no alert
    elif kind == "postmortem":
        read_postmortem(doc, front_matter, content, intro, body, stem)
    return doc


def _parts(found: list, front_matter: dict, path: str) -> list[Part]:
    """The runbook of each alert section `alert_parts` found, parsed from the text it stands in alone."""
    parts = [Part(part.alert, part.anchor, part_text(part, front_matter, path, found)) for part in found]
    for part in parts:
        part.parsed = parse_document(part.text, path, split=False)
        part.parsed.slug_hint = part.parsed.slug_hint or part.alert
    return parts


def _merge(first: Block, second: Block) -> Block:
    return Block(
        tables=first.tables + second.tables,
        lists=first.lists + second.lists,
        paragraphs=first.paragraphs + second.paragraphs,
        code_spans=first.code_spans + second.code_spans,
        code_blocks=first.code_blocks + second.code_blocks,
    )


def _stem(path: str) -> str:
    """The file name without its document extensions (`vpn-down.html.md.erb` → `vpn-down`)."""
    name = PurePosixPath(path.replace("\\", "/")).name
    while "." in name and name.rsplit(".", 1)[1].lower() in DOCUMENT_EXTENSIONS:
        name = name.rsplit(".", 1)[0]
    return name


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# --- runbook, post-mortem or note? ---------------------------------------------------

# The least evidence a runbook or a post-mortem needs; a document with less is an operations note.
KIND_THRESHOLD = 3


def _kind(
    front_matter: dict, title: str, headed: list[Block], intro: Block, path: str, body: str, alert_sections=()
) -> str:
    """What the document is, from all the evidence; front matter `kind:` always wins. `title` is the
    title, and the H1 on a line of its own when front matter gave another.

    `type:` counts as well when it names a kind; site generators use it for other things (Hugo's
    `type: docs`), so another value of it is no error, where an unknown `kind:` is."""
    declared = front_matter.get("kind")
    if declared is None and str(front_matter.get("type", "")).strip().lower() in DECLARED_KINDS:
        declared = front_matter["type"]
    if declared is not None:
        kind = DECLARED_KINDS.get(str(declared).strip().lower())
        if kind is None:
            raise ParseError(
                f"front matter kind: {declared!r} is not known; use `kind: runbook`, `kind: postmortem` or `kind: note`",
                line=2,
            )
        return kind
    scores = _kind_scores(front_matter, title, headed, intro, path, body)
    scores["runbook"] += 4 if alert_sections else 0  # two or more sections, each about an alert that fires
    best = max(scores.values())
    winners = [kind for kind, score in scores.items() if score == best]
    if best < KIND_THRESHOLD or len(winners) > 1 or winners == ["note"]:
        return "note"
    return winners[0]


def _kind_scores(
    front_matter: dict, title: str, headed: list[Block], intro: Block, path: str, body: str
) -> dict[str, int]:
    """Points for each kind: the title, file name and folders, dates, the sections and bold labels, the alert."""
    parts = PurePosixPath(path.replace("\\", "/")).parts
    stem, folders, titles = _stem(path), parts[:-1], title.split("\n")
    described = " ".join(str(v) for k, v in front_matter.items() if k in ("section", "category", "categories", "tags"))
    pm = rb = note = 0
    pm += 4 * bool(POSTMORTEM_WORDS.search(title)) + 3 * bool(POSTMORTEM_WORDS.search(stem))
    rb += 4 * bool(RUNBOOK_WORDS.search(title)) + 3 * bool(RUNBOOK_WORDS.search(stem))
    pm += 2 * bool(DATE_IN_NAME.search(title) or DATE_IN_NAME.match(stem))
    pm += 2 * any(POSTMORTEM_FOLDER.fullmatch(f) for f in folders) + 2 * bool(POSTMORTEM_WORDS.search(described))
    rb += 2 * any(RUNBOOK_FOLDER.fullmatch(f) for f in folders) + 2 * bool(RUNBOOK_WORDS.search(described))
    note += 4 * any(NOTE_WORDS.match(name.strip()) for name in (stem, *titles))
    note += _index_weight(body)
    if front_matter.get("alert") or front_matter.get("alertname"):
        rb += 5
    rb += 3 * any(alert_in_title(t) for t in titles) + 3 * is_alert_like(stem)
    rb += 2 * any(ALERT_SENTENCE.search(p) for p in intro.paragraphs[:2])
    pm += 2 * bool(metadata_rows(intro))
    bold = (LABEL_LINE.match(line) for line in body.split("\n"))
    labels = {block.heading for block in headed} | {m.group(1) for m in bold if m}
    for label in labels:
        weights = section_weights(label)
        pm, rb, note = pm + weights[0], rb + weights[1], note + weights[2]
    return {"postmortem": pm, "runbook": rb, "note": note}


def _index_weight(body: str) -> int:
    """Points for a page that lists other pages: 4 for a table-of-contents directive or lists made
    mostly of bare links (five at least), and one per bare link beyond the tenth (a log of forty incidents is an index)."""
    items = [line for line in body.split("\n") if LIST_ITEM.match(line)]
    links = sum(1 for line in items if LINK_ITEM.match(line))
    listing = bool(TOC_DIRECTIVE.search(body)) or (links >= 5 and links * 2 >= len(items))
    return 4 * listing + max(0, links - 10)


def _incident_refs(blocks: list[Block], *, bare: bool) -> list[str]:
    seen: dict[str, None] = {}
    for block in blocks:
        texts = [(text, "") for text in block.paragraphs]
        texts += [(item.text, "") for lst in block.lists for item in lst.items]
        texts += [
            (cell, column)
            for table in block.tables
            for row in table.rows
            for cell, column in cell_columns(table.headers, row)
        ]
        for text, column in texts:
            for match in incident_references(text, column=column, bare=bare):
                seen[match.group()] = None
    return list(seen)
