"""Rebuilds the structure of a markdown document whose newlines were lost.

Pasting markdown into some chat and ticket tools joins every line with a space:
"# Title | Field | Value | |---|---| | **Date** | 2026-05-31 | ## Summary Noticed ...".
The markers survive, so headings, tables, code fences and lists can be found again.
The result is a best effort, and the importer records that it was reconstructed.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

# A post-mortem pasted through a chat tool is a few pages; a longer line is no document that lost
# its newlines, and rebuilding it would make a heading of every `#` (a second per thousand).
MAX_FLATTENED = 100_000
MID_LINE_MARKERS = re.compile(r"\s#{1,6}\s+\S|\|\s*:?-{3,}:?\s*\||\s```")
HEADING_MARKER = re.compile(r"(?:^|(?<=\s))(#{1,6})\s+(?=\S)")
TABLE_DELIMITER = re.compile(r"\|(?:\s*:?-{2,}:?\s*\|)+")
CODE_SPAN = re.compile(r"`[^`]*`")
# Where a sentence ends inside a heading candidate, the heading has already ended.
SENTENCE_END = re.compile(r"[.!?]\s")
# Glyphs of hand-drawn flow diagrams; each usually started a line.
DIAGRAM_BREAK = re.compile(r"\s+(?=[→▼│├└↓⇒]\s)")
SHELL_COMMENT_BREAK = re.compile(r"\s+(?=#\s)")
CONNECTORS = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "vs", "with"}

# Common section titles of runbooks and post-mortems, longest first so that
# "Root cause analysis" wins over "Root cause".
SECTION_TITLES = sorted(
    [
        "summary",
        "executive summary",
        "overview",
        "background",
        "description",
        "context",
        "timeline",
        "impact",
        "customer impact",
        "detection",
        "trigger",
        "response",
        "recovery",
        "root cause",
        "root causes",
        "root cause analysis",
        "contributing factors",
        "contributing items",
        "action items",
        "follow-ups",
        "follow ups",
        "followups",
        "next steps",
        "remediation",
        "lessons",
        "lessons learned",
        "lessons learnt",
        "what went well",
        "what went wrong",
        "where we got lucky",
        "resolution",
        "resolution history",
        "attendees",
        "stats",
        "references",
        "alert",
        "meaning",
        "symptoms",
        "diagnosis",
        "mitigation",
        "investigation",
        "investigation steps",
        "fix",
        "escalation",
        "verification",
        "notes",
    ],
    key=len,
    reverse=True,
)


FLAT_FRONT_MATTER = re.compile(r"\A---[ \t]+(\S.*?)[ \t]+---(?:[ \t]+|\Z)", re.S)
FLAT_FRONT_KEY = re.compile(r"[ \t]+(?=[A-Za-z_][\w-]*:[ \t])")


def flattened_front_matter(text: str) -> tuple[str, str] | None:
    """(the front matter rebuilt as YAML lines, the text after it as written) for a flattened text that
    opens with `--- key: value key: value --- …`; None when it does not."""
    match = FLAT_FRONT_MATTER.match(text)
    if not match:
        return None
    return "\n".join(FLAT_FRONT_KEY.split(match.group(1))) + "\n", text[match.end() :]


def looks_flattened(text: str) -> bool:
    """A long text on one or two lines that still carries block markers mid-line."""
    if len(text) > MAX_FLATTENED:
        return False
    lines = text.strip().splitlines()
    if not lines or len(lines) > 3 or len(text) < 200:
        return False
    return next(itertools.islice(MID_LINE_MARKERS.finditer(text), 1, None), None) is not None


@dataclass
class Report:
    headings: int = 0
    tables: int = 0
    code_blocks: int = 0
    lists: int = 0
    unclosed_fence: bool = False

    def describe(self) -> str:
        parts = [
            f"{self.headings} headings",
            f"{self.tables} tables",
            f"{self.code_blocks} code blocks",
            f"{self.lists} lists",
        ]
        return ", ".join(parts)


def unflatten(text: str) -> tuple[str, Report]:
    report = Report()
    blocks: list[str] = []
    for kind, payload in _split_code(text.strip(), report):
        if kind == "code":
            info, body = payload
            body = DIAGRAM_BREAK.sub("\n", body.strip())
            if info in ("bash", "sh", "shell", "console", "zsh"):
                body = SHELL_COMMENT_BREAK.sub("\n", body)
            blocks.append(f"```{info}\n{body}\n```")
            report.code_blocks += 1
        else:
            blocks.extend(_text_blocks(payload, report))
    return "\n\n".join(b for b in blocks if b.strip()) + "\n", report


def _split_code(text: str, report: Report):
    """Yields ("text", str) and ("code", (info, body)) segments in order."""
    pos = 0
    while True:
        start = text.find("```", pos)
        if start < 0:
            break
        end = text.find("```", start + 3)
        if end < 0:
            report.unclosed_fence = True
            break
        yield "text", text[pos:start]
        inner = text[start + 3 : end]
        info_match = re.match(r"([\w+-]+)(?=\s)", inner)
        info = info_match.group(1) if info_match else ""
        yield "code", (info, inner[len(info) :])
        pos = end + 3
    yield "text", text[pos:]


def _text_blocks(text: str, report: Report) -> list[str]:
    """Tables first (their cells may hold anything), then headings, paragraphs and lists."""
    blocks: list[str] = []
    pos = 0
    for table_start, table_end, rows in _find_tables(text):
        blocks.extend(_prose_blocks(text[pos:table_start], report))
        blocks.append("\n".join(rows))
        report.tables += 1
        pos = table_end
    blocks.extend(_prose_blocks(text[pos:], report))
    return blocks


def _pipes(text: str) -> list[int]:
    masked = CODE_SPAN.sub(lambda m: "x" * len(m.group()), text)
    return [i for i, ch in enumerate(masked) if ch == "|"]


def _find_tables(text: str):
    """Yields (start, end, rows) for each table, rows as markdown lines."""
    pipes = _pipes(text)  # once: rows are found by position, keeping long texts linear
    search_from = 0
    while True:
        delimiter = TABLE_DELIMITER.search(text, search_from)
        if not delimiter:
            return
        columns = delimiter.group().count("|") - 1
        before = bisect.bisect_left(pipes, delimiter.start())
        # The header row is the `columns + 1` pipes before the delimiter, the delimiter's
        # own first pipe being preceded by the header's closing pipe.
        if before < columns + 1 or text[pipes[before - 1] + 1 : delimiter.start()].strip():
            search_from = delimiter.end()
            continue
        header_start = pipes[before - (columns + 1)]
        rows = [text[header_start : pipes[before - 1] + 1].strip(), delimiter.group()]
        pos = delimiter.end()
        while True:
            rest = text[pos : pos + 200]
            stripped = rest.lstrip()
            if not stripped.startswith("|"):
                break
            row_start = pos + len(rest) - len(stripped)
            first = bisect.bisect_left(pipes, row_start)
            if first + columns >= len(pipes):
                break
            row_end = pipes[first + columns] + 1
            rows.append(text[row_start:row_end])
            pos = row_end
        yield header_start, pos, rows
        search_from = pos


def _prose_blocks(text: str, report: Report) -> list[str]:
    blocks: list[str] = []
    markers = list(HEADING_MARKER.finditer(text))
    if not markers:
        return _paragraph_blocks(text, report)
    blocks.extend(_paragraph_blocks(text[: markers[0].start()], report))
    for i, marker in enumerate(markers):
        end = markers[i + 1].start() if i + 1 < len(markers) else len(text)
        candidate = text[marker.end() : end].strip()
        heading, rest = _split_heading(candidate)
        blocks.append(f"{marker.group(1)} {heading}")
        report.headings += 1
        blocks.extend(_paragraph_blocks(rest, report))
    return blocks


LIST_AFTER_HEADING = re.compile(r"\s(?:[-*]\s|1\.\s)")


def _split_heading(candidate: str) -> tuple[str, str]:
    masked = CODE_SPAN.sub(lambda m: "x" * len(m.group()), candidate)
    sentence_end = SENTENCE_END.search(masked)
    limit = sentence_end.start() if sentence_end else len(masked)
    lowered = candidate.lower()
    for title in SECTION_TITLES:
        if lowered.startswith(title) and (len(lowered) == len(title) or not lowered[len(title)].isalnum()):
            end = len(title)
            paren = re.match(r"\s*\([^)]*\)", candidate[end:])
            if paren:
                end += paren.end()
            rest = candidate[end:].strip()
            # "Summary of the outage ..." goes on; "Summary The cache fell ..." starts a paragraph.
            if not rest or not rest[0].islower():
                return candidate[:end].strip(), rest
            break
    list_start = LIST_AFTER_HEADING.search(masked)
    if list_start and list_start.start() <= min(limit, 160):
        return candidate[: list_start.start()].strip(), candidate[list_start.start() :].strip()
    if not sentence_end and len(candidate) <= 160:
        return candidate, ""
    words = candidate.split()
    for i in range(1, min(len(words) - 1, 12)):
        word, following = words[i], words[i + 1]
        if word[:1].isupper() and following[:1].islower() and following not in CONNECTORS:
            return " ".join(words[:i]), " ".join(words[i:])
    return " ".join(words[:6]), " ".join(words[6:])


NUMBERED = re.compile(r"(?:^|\s)(\d{1,2})\.\s+(?=\S)")
BULLET = re.compile(r"(?:^|\s)[-*]\s+(?=[A-Z`*\[(\"'~_0-9])")


def _paragraph_blocks(text: str, report: Report) -> list[str]:
    text = text.strip()
    if not text:
        return []
    masked = CODE_SPAN.sub(lambda m: "x" * len(m.group()), text)
    items = _numbered_items(masked)
    if items is None and (masked.startswith(("- ", "* ")) or re.search(r":\s[-*]\s", masked)):
        starts = [m.start() for m in BULLET.finditer(masked)]
        if starts:
            items = [(s, "-") for s in starts]
    if not items:
        return [text]
    blocks = []
    lead = text[: items[0][0]].strip()
    if lead:
        blocks.append(lead)
    lines = []
    for n, (start, marker) in enumerate(items):
        end = items[n + 1][0] if n + 1 < len(items) else len(text)
        body = re.sub(r"^\s*(?:\d{1,2}\.|[-*])\s+", "", text[start:end]).strip()
        lines.append(f"{marker} {body}")
    blocks.append("\n".join(lines))
    report.lists += 1
    return blocks


def _numbered_items(masked: str) -> list[tuple[int, str]] | None:
    """Positions of `1. … 2. … 3. …`, counted in order, or None when there is no such run."""
    found = []
    expected = 1
    for match in NUMBERED.finditer(masked):
        if int(match.group(1)) == expected:
            found.append((match.start(), f"{expected}."))
            expected += 1
    return found if len(found) >= 2 else None
