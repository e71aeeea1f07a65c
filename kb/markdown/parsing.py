"""Understands one markdown document: text in, a `ParsedDocument` out. No database access.

It reads front matter, rebuilds flattened files, renders once through Python-Markdown
(`kb.markdown.rendering`) and reads the outline that pass gathered to decide what the document
is (runbook or post-mortem) and to pull out its structured fields.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath

import yaml

from kb.markdown import dates
from kb.markdown.rendering import Block, Table, render
from kb.markdown.unflatten import Report, looks_flattened, unflatten

MAX_BYTES = 2 * 1024 * 1024
KINDS = {
    "runbook": "runbook",
    "playbook": "runbook",
    "sop": "runbook",
    "postmortem": "postmortem",
    "post-mortem": "postmortem",
    "incident": "postmortem",
    "incident-review": "postmortem",
    "retrospective": "postmortem",
    "pir": "postmortem",
}


class NotADocument(Exception):
    """The file holds no document (a section index with front matter only): skip it, it is no error."""


class ParseError(Exception):
    """The document cannot be imported; the message says where and why."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line

    def __str__(self) -> str:
        text = self.args[0]
        return f"line {self.line}: {text}" if self.line else text


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
class ResolutionRow:
    date: date | None
    incidents: list[str]
    old: str
    new: str
    notes: str
    cells: dict[str, str]


@dataclass
class FollowUpItem:
    text: str
    status: str  # "open" or "done"
    owner: str = ""
    due: date | None = None


@dataclass
class ParsedDocument:
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
    # post-mortems
    date: date | None = None
    duration: str = ""
    severity: str = ""
    affected: str = ""
    status: str = ""
    summary: str = ""
    follow_ups: list[FollowUpItem] = field(default_factory=list)
    lessons: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    # The outline of the rendering pass, one block per heading: what kb.entities.extraction reads.
    outline: list[Block] = field(default_factory=list)
    # The text as read: the front matter block as written and the markdown after it (rebuilt when
    # it had lost its newlines), which the sections were cut from.
    front_matter_block: str = ""
    body: str = ""


# --- reading bytes ---------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 text exactly as stored (BOM and CRLF kept, so it encodes back to the same bytes)."""
    if len(data) > MAX_BYTES:
        raise ParseError(f"file is {len(data):,} bytes, over the {MAX_BYTES:,}-byte limit")
    if not data.strip():
        raise ParseError("file is empty")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ParseError(f"binary content (NUL byte at byte offset {nul})", line=data.count(b"\n", 0, nul) + 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(f"invalid UTF-8 at byte offset {exc.start}", line=line) from None


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- front matter ----------------------------------------------------------------

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)


@dataclass
class SourceParts:
    front: str  # the front matter block as written, `---` lines included; "" when there is none
    front_matter: dict
    body: str  # the markdown after it, rebuilt when it had lost its newlines
    line_offset: int  # lines before the body in the text, for messages; 0 when the body was rebuilt
    rebuilt: Report | None  # what unflattening rebuilt; None when the body was not flattened


def source_parts(text: str) -> SourceParts:
    """A document's text split as the parser reads it: BOM and CRLF dropped, front matter read,
    a flattened body rebuilt. Raises ParseError for front matter that is not a YAML mapping."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    match = FRONT_MATTER.match(text)
    front = match.group() if match else ""
    try:
        data = (yaml.safe_load(match.group(1) or "") or {}) if match else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParseError(f"invalid YAML front matter: {problem}", line=line) from None
    if not isinstance(data, dict):
        raise ParseError("front matter must be a mapping of keys to values", line=2)
    body, rebuilt = text[len(front) :], None
    if looks_flattened(body):
        body, rebuilt = unflatten(body)
    return SourceParts(front, data, body, 0 if rebuilt is not None else front.count("\n"), rebuilt)


# --- the source, split by heading ---------------------------------------------------

ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
TABLE_DELIMITER_LINE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$")


@dataclass
class SourceHeading:
    line: int  # 0-based, in the body
    level: int
    text: str


def _fence_after(fence: str | None, line: str) -> str | None:
    """The code fence open after `line` (its backticks or tildes), given the one open before it."""
    if fence is None:
        opened = FENCE.match(line)
        return opened.group(1) if opened else None
    closing = line.strip()
    return None if closing.startswith(fence) and set(closing) <= set(fence[0]) else fence


def unclosed_fence(text: str) -> str | None:
    """The fence (```, ~~~~, …) a markdown text leaves open at its end, or None."""
    fence = None
    for line in text.split("\n"):
        fence = _fence_after(fence, line)
    return fence


def scan_source(body: str, line_offset: int, warnings: list[str]) -> list[SourceHeading]:
    """Heading lines outside code fences, with warnings for unclosed fences and ragged tables."""
    lines = body.split("\n")
    headings: list[SourceHeading] = []
    fence: str | None = None
    fence_line = 0
    table_columns: int | None = None
    table_line = 0
    for i, line in enumerate(lines):
        was_open, fence = fence, _fence_after(fence, line)
        if was_open or fence:  # a fence line, or code inside one
            if not was_open:
                fence_line, table_columns = i, None
            continue
        if table_columns is not None:
            if "|" in line and line.strip():
                cells = _count_cells(line)
                if cells != table_columns:
                    warnings.append(
                        f"line {i + 1 + line_offset}: table row has {cells} cells, its header "
                        f"(line {table_line + line_offset}) has {table_columns}"
                    )
                continue
            table_columns = None
        if TABLE_DELIMITER_LINE.match(line) and i > 0 and "|" in lines[i - 1]:
            table_columns = _count_cells(lines[i - 1])
            table_line = i
            continue
        heading = ATX.match(line)
        if heading:
            headings.append(SourceHeading(i, len(heading.group(1)), (heading.group(2) or "").strip()))
        elif i > 0 and re.fullmatch(r" {0,3}(=+|-+)[ \t]*", line) and _is_paragraph_line(lines[i - 1]):
            level = 1 if "=" in line else 2
            headings.append(SourceHeading(i - 1, level, lines[i - 1].strip()))
    if fence:
        warnings.append(f"line {fence_line + 1 + line_offset}: code fence {fence} is never closed")
    return headings


def _is_paragraph_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("#", "-", "*", "|", ">", "<", "`")) and not stripped[0].isdigit()


def _count_cells(line: str) -> int:
    masked = re.sub(r"`[^`]*`", "x", line.strip()).replace("\\|", "x")
    if masked.startswith("|"):
        masked = masked[1:]
    if masked.endswith("|"):
        masked = masked[:-1]
    return masked.count("|") + 1


def comparable(text: str) -> str:
    """Only the lowercase letters and digits of `text`: how headings and names are compared."""
    return re.sub(r"[^a-z0-9]+", "", text.lower())


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
    return not ATX.match(lines[heading.line]) and bool(re.fullmatch(r" {0,3}(=+|-+)[ \t]*", nxt))


# --- the whole document --------------------------------------------------------------


def parse_document(text: str, path: str = "") -> ParsedDocument:
    """Understands one document. `path` is used for the file-name fallbacks and in links."""
    warnings: list[str] = []
    parts = source_parts(text)
    front_matter, body = parts.front_matter, parts.body
    if not body.strip():
        if front_matter:
            raise NotADocument("front matter only, no content (a section index)")
        raise ParseError("file is empty")
    if parts.rebuilt is not None:
        warnings.append("structure reconstructed: the file had lost its newlines; rebuilt " + parts.rebuilt.describe())
        if parts.rebuilt.unclosed_fence:
            warnings.append("a code fence (```) is never closed")
    source_headings = scan_source(body, parts.line_offset, warnings)
    rendered = render(body, source_path=path)
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
    kind = _kind(front_matter, title, [b for b, _ in content], intro, path)
    doc = ParsedDocument(
        kind=kind,
        title=title.strip(),
        identity=_str_or_none(front_matter.get("id")),
        slug_hint=_str_or_none(front_matter.get("slug")),
        front_matter=_jsonable(front_matter),
        sections=sections,
        html=rendered.html,
        warnings=warnings,
        incidents=_incident_refs(blocks),
        outline=blocks,
        front_matter_block=parts.front,
        body=body,
    )
    if kind == "runbook":
        _read_runbook(doc, front_matter, title_block, content, intro, stem)
    else:
        _read_postmortem(doc, front_matter, content, intro, body)
    return doc


def _merge(first: Block, second: Block) -> Block:
    return Block(
        tables=first.tables + second.tables,
        lists=first.lists + second.lists,
        paragraphs=first.paragraphs + second.paragraphs,
        code_spans=first.code_spans + second.code_spans,
        code_blocks=first.code_blocks + second.code_blocks,
    )


def _stem(path: str) -> str:
    name = PurePosixPath(path.replace("\\", "/")).name
    return name.rsplit(".", 1)[0] if "." in name else name


def _str_or_none(value) -> str | None:
    return str(value).strip() if value not in (None, "") else None


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# --- runbook or post-mortem? -----------------------------------------------------------

POSTMORTEM_TITLE = re.compile(
    r"post[- ]?mortem|incident (review|report|retrospective)|retrospective|\bPIR\b|outage report|\brca\b", re.I
)
RUNBOOK_TITLE = re.compile(r"\b(runbook|playbook|run book|sop)\b", re.I)
POSTMORTEM_HEADINGS = {
    "summary": 1,
    "timeline": 2,
    "action items": 2,
    "contributing factors": 2,
    "contributing items": 2,
    "lessons": 2,
    "lessons learned": 2,
    "lessons learnt": 2,
    "follow-ups": 2,
    "follow ups": 2,
    "attendees": 1,
    "what went well": 2,
    "what went wrong": 2,
    "where we got lucky": 2,
    "detection": 1,
    "root cause": 1,
    "root causes": 1,
    "stats": 1,
    "why hard to spot": 1,
    "customer impact": 1,
}
RUNBOOK_HEADINGS = {
    "alert": 2,
    "meaning": 2,
    "diagnosis": 2,
    "mitigation": 2,
    "symptoms": 2,
    "investigation": 2,
    "investigation steps": 2,
    "troubleshooting": 2,
    "resolution history": 2,
    "fix": 1,
    "remediation": 1,
    "verification": 1,
    "escalation": 1,
    "prerequisites": 1,
    "steps": 1,
    "procedure": 2,
    "runbook": 2,
    "how to fix": 2,
    "checks": 1,
}


def _heading_key(heading: str) -> str:
    return re.sub(r"\s*\(.*?\)\s*", " ", heading).strip().lower().rstrip(":")


def _kind(front_matter: dict, title: str, headed: list[Block], intro: Block, path: str) -> str:
    declared = front_matter.get("kind") or front_matter.get("type")
    if declared is not None:
        kind = KINDS.get(str(declared).strip().lower())
        if kind is None:
            raise ParseError(
                f"front matter kind: {declared!r} is not known; use `kind: runbook` or `kind: postmortem`", line=2
            )
        return kind
    pm = rb = 0
    if POSTMORTEM_TITLE.search(title):
        pm += 4
    if RUNBOOK_TITLE.search(title):
        rb += 4
    if _alert_in_title(title):
        rb += 2
    for block in headed:
        key = _heading_key(block.heading)
        pm += POSTMORTEM_HEADINGS.get(key, 0)
        rb += RUNBOOK_HEADINGS.get(key, 0)
    if _metadata_rows(intro):
        pm += 2
    if pm == rb and _alert_from_name(_stem(path), title):
        rb += 1
    if pm == rb:
        raise ParseError(
            "cannot tell whether this is a runbook or a post-mortem "
            "(no telling title or headings); add front matter `kind: runbook` or `kind: postmortem`"
        )
    return "postmortem" if pm > rb else "runbook"


# --- runbooks -------------------------------------------------------------------------

ALERT_NAME = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*$")
SCOPE_LABELS = (
    "namespace",
    "container",
    "pod",
    "job",
    "service",
    "instance",
    "node",
    "cluster",
    "deployment",
    "daemonset",
    "statefulset",
    "app",
    "severity",
)
SCOPE_BEFORE = re.compile(r"\b(" + "|".join(SCOPE_LABELS) + r")\s+`([^`\s]+)`", re.I)
SCOPE_AFTER = re.compile(r"`([^`\s]+)`\s+(" + "|".join(SCOPE_LABELS) + r")\b", re.I)


def is_alert_like(name: str) -> bool:
    """CamelCase identifiers such as `KubePodCrashLooping` or `etcdNoLeader`."""
    return bool(ALERT_NAME.match(name)) and bool(re.search(r"[a-z][A-Z]|[A-Z]{2,}[a-z]|^[A-Z][a-z]+[A-Z]", name))


def _alert_in_title(title: str) -> str | None:
    paren = re.search(r"\(([A-Za-z_:][A-Za-z0-9_:]*)\)\s*$", title)
    if paren and is_alert_like(paren.group(1)):
        return paren.group(1)
    if is_alert_like(title.strip()):
        return title.strip()
    return None


def _alert_from_name(stem: str, title: str) -> str | None:
    if not ALERT_NAME.match(stem or ""):
        return None
    if is_alert_like(stem) or comparable(stem) == comparable(title):
        return stem
    return None


def _read_runbook(doc, front_matter, title_block, content, intro, stem) -> None:
    alert_section = next((b for b, _ in content if _heading_key(b.heading) in ("alert", "alerts", "alert name")), None)
    h1 = title_block.heading.strip() if title_block else ""
    from_name = _alert_from_name(stem, h1 or doc.title)
    bare_h1 = h1 if is_alert_like(h1) else None
    if bare_h1 and from_name and bare_h1 != from_name:
        # Sites built from runbook folders (Hugo and the like) link by file name, so it wins.
        doc.warnings.append(
            f"the heading names alert {bare_h1} but the file is named {from_name}; using {from_name} "
            "(set `alert:` in front matter to choose)"
        )
        bare_h1 = from_name
    candidates = [
        _str_or_none(front_matter.get("alert") or front_matter.get("alertname")),
        _alert_in_title(h1) if h1 and not bare_h1 else None,
        _alert_in_title(doc.title) if not bare_h1 else None,
        next((c for c in (alert_section.code_spans if alert_section else []) if ALERT_NAME.match(c)), None),
        bare_h1,
        from_name,
    ]
    doc.alert = next((c for c in candidates if c), None)

    labels = front_matter.get("labels")
    if labels is not None and not isinstance(labels, dict):
        raise ParseError("front matter labels: must be a mapping such as {namespace: velero}", line=2)
    if labels:
        doc.labels = {str(k): str(v) for k, v in labels.items()}
    else:
        scope_text = " ".join((alert_section or intro).paragraphs) if (alert_section or intro) else ""
        doc.labels = _scope_from_text(_source_of(content, alert_section) or scope_text)

    for block, _md in content:
        if "history" in block.heading.lower():
            for table in block.tables:
                doc.resolution_history.extend(_resolution_rows(table, doc.warnings))


def _source_of(content, block) -> str:
    return next((md for b, md in content if b is block), "") if block else ""


def _scope_from_text(text: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for pattern, name_group, value_group in ((SCOPE_BEFORE, 1, 2), (SCOPE_AFTER, 2, 1)):
        for match in pattern.finditer(text):
            name, value = match.group(name_group).lower(), match.group(value_group)
            if not re.search(r"[*?<>$]", value):
                labels.setdefault(name, value)
    return labels


INCIDENT_REF = re.compile(r"(?<![\w&/#])#(\d{1,7})\b")
# "PR #1237", "issue #12", "step #3" number other things than incidents.
NOT_INCIDENT_BEFORE = re.compile(r"\b(?:PR|MR|pull request|issue|issues|ticket|step|item|no\.?|number)\s*$", re.I)


def incident_references(text: str) -> Iterator[re.Match]:
    """The `#236`-style incident references in running text."""
    for match in INCIDENT_REF.finditer(text):
        if not NOT_INCIDENT_BEFORE.search(text[max(0, match.start() - 20) : match.start()]):
            yield match


def resolution_columns(headers: list[str]) -> dict[str, int]:
    """The column of each part of a resolution row (date, incidents, old, new, notes), read from the headers."""
    roles: dict[str, int] = {}
    for i, header in enumerate(headers):
        h = header.lower()
        for role, pattern in (
            ("date", r"\b(date|when|day)\b"),
            ("incidents", r"incident|ticket|\bref|issue|alert id"),
            ("old", r"^(old|before|from|previous)\b"),
            ("new", r"^(new|after|to|current)\b"),
            ("notes", r"note|action|comment|fix|resolution|description|summary|what|cause"),
        ):
            if role not in roles and re.search(pattern, h):
                roles[role] = i
                break
    return roles


def _resolution_rows(table: Table, warnings: list[str]) -> list[ResolutionRow]:
    roles = resolution_columns(table.headers)
    rows = []
    for cells in table.rows:

        def cell(role: str) -> str:
            i = roles.get(role)
            return cells[i] if i is not None and i < len(cells) else ""

        incidents = [f"#{n}" for n in INCIDENT_REF.findall(cell("incidents"))]
        if not incidents and cell("incidents"):
            incidents = [p.strip() for p in cell("incidents").split(",") if p.strip()]
        rows.append(
            ResolutionRow(
                date=dates.parse(cell("date")),
                incidents=incidents,
                old=cell("old"),
                new=cell("new"),
                notes=cell("notes"),
                cells={
                    h or f"column {i + 1}": (cells[i] if i < len(cells) else "") for i, h in enumerate(table.headers)
                },
            )
        )
    return rows


def _incident_refs(blocks: list[Block]) -> list[str]:
    seen: dict[str, None] = {}
    for block in blocks:
        texts = list(block.paragraphs)
        texts += [item.text for lst in block.lists for item in lst.items]
        texts += [cell for table in block.tables for row in table.rows for cell in row]
        for text in texts:
            for match in incident_references(text):
                seen[match.group()] = None
    return list(seen)


# --- post-mortems -----------------------------------------------------------------------

FIELD_SYNONYMS = {
    "date": "date",
    "incident date": "date",
    "day": "date",
    "when": "date",
    "occurred": "date",
    "duration": "duration",
    "time to recovery": "duration",
    "time to resolve": "duration",
    "time to resolution": "duration",
    "ttr": "duration",
    "outage duration": "duration",
    "severity": "severity",
    "sev": "severity",
    "sev level": "severity",
    "priority": "severity",
    "level": "severity",
    "affected": "affected",
    "affected services": "affected",
    "services affected": "affected",
    "affected systems": "affected",
    "impacted": "affected",
    "impacted services": "affected",
    "scope": "affected",
    "components": "affected",
    "affected components": "affected",
    "status": "status",
    "state": "status",
    "summary": "summary",
}
BOLD_FIELD = re.compile(r"^\s*(?:[-*]\s+)?\*\*([^*]+?):?\*\*:?\s*(.+?)\s*$")
PLAIN_FIELD = re.compile(r"^\s*[-*]\s+([A-Za-z][A-Za-z ]{1,30}):\s+(.+?)\s*$")


def _metadata_rows(block: Block) -> list[tuple[str, str]]:
    """Key/value pairs from two-column tables whose first column names known fields."""
    pairs = []
    for table in block.tables:
        if len(table.headers) != 2:
            continue
        rows = [(k.strip().rstrip(":").strip(), v.strip()) for k, v in (r[:2] for r in table.rows if len(r) >= 2)]
        if any(k.lower() in FIELD_SYNONYMS for k, _ in rows):
            pairs.extend(rows)
    return pairs


def _read_postmortem(doc, front_matter, content, intro, body) -> None:
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
    meta_blocks = [intro] + [
        b
        for b, _ in content
        if _heading_key(b.heading) in ("metadata", "details", "stats", "incident details", "overview")
    ]
    for block in meta_blocks:
        for key, value in _metadata_rows(block):
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


SUMMARY_HEADINGS = ("summary", "executive summary", "tl;dr", "tldr", "overview")
FOLLOW_UP_HEADING = re.compile(
    r"action items?|follow[- ]?ups?|contributing items|next steps|remediation items|to ?dos?\b"
)
LESSONS_HEADING = re.compile(r"lessons?\b")


def postmortem_heading_role(heading: str) -> str | None:
    """ "follow_ups", "lessons" or "summary" when a post-mortem heading announces one of them, else None."""
    key = _heading_key(heading)
    if FOLLOW_UP_HEADING.search(key):
        return "follow_ups"
    if LESSONS_HEADING.match(key):
        return "lessons"
    if key in SUMMARY_HEADINGS:
        return "summary"
    return None


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


DONE_WORDS = re.compile(r"^(done|closed|fixed|resolved|complete|completed|yes|✅|✔|☑|x)\b", re.I)


def _follow_ups(block: Block, md: str, heading: str) -> list[FollowUpItem]:
    default = "done" if re.search(r"\((done|closed|completed)\)", heading, re.I) else "open"
    items: list[FollowUpItem] = []
    for lst in block.lists:
        for item in lst.items:
            text = item.text.strip()
            if not text or text in ("-", "…", "..."):
                continue
            status = default if item.checked is None else ("done" if item.checked else "open")
            if text.startswith(("✅", "✔", "☑")) or re.match(r"^(DONE|Done)\b[:\s-]", text):
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
                    status="done" if DONE_WORDS.match(status_cell.strip()) else default,
                    owner=row[owner_col].strip() if owner_col is not None and owner_col < len(row) else "",
                    due=dates.parse(row[due_col]) if due_col is not None and due_col < len(row) else None,
                )
            )
    return items


def follow_up_columns(headers: list[str]) -> tuple[int | None, int | None, int | None, int | None]:
    """The (text, status, owner, due) columns of a follow-up table, read from its headers."""
    headers = [h.lower() for h in headers]
    status_col = next((i for i, h in enumerate(headers) if re.search(r"status|state|done", h)), None)
    owner_col = next((i for i, h in enumerate(headers) if re.search(r"owner|assignee|who", h)), None)
    due_col = next((i for i, h in enumerate(headers) if re.search(r"due|deadline|by when", h)), None)
    text_col = next((i for i in range(len(headers)) if i not in (status_col, owner_col, due_col)), None)
    return text_col, status_col, owner_col, due_col


def _lessons(block: Block, md: str) -> list[str]:
    ordered = [i.text for lst in block.lists if lst.ordered for i in lst.items if i.text.strip()]
    if ordered:
        return ordered
    bullets = [i.text for lst in block.lists for i in lst.items if i.text.strip() not in ("", "-")]
    if bullets:
        return bullets
    return [p for p in block.paragraphs if p.strip() not in ("", "-")]


SEVERITY_TOKEN = re.compile(r"^(SEV[ -]?\d|P\d|S\d|critical|high|medium|low|major|minor)\b[\s—–:-]*", re.I)


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
