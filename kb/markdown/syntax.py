"""The conventions of the documents teams write, in one place: how front matter, code fences,
headings, tables, lists and checklists are written, which words mark a follow-up done, what the
fields and sections of a post-mortem are called and what an alert name looks like.

The parser reads documents by these and the web editor (`kb.authoring`) writes by them: it reads back as meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from kb.markdown.errors import ParseError
from kb.markdown.reading import yaml_load, yaml_or_none
from kb.markdown.unflatten import Report, flattened_front_matter, looks_flattened, unflatten

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
    yaml_text = (match.group(1) or "") if match else ""
    flat = flattened_front_matter(text) if not match and looks_flattened(text) else None
    if flat is not None and isinstance(yaml_or_none(flat[0]), dict):
        # Front matter that lost its newlines with the rest: rebuilt, one `key: value` a line.
        yaml_text, after = flat
        front = text[: len(text) - len(after)]
    else:
        flat = None
    try:
        data = (yaml_load(yaml_text) or {}) if front else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParseError(f"invalid YAML front matter: {problem}", line=line) from None
    if not isinstance(data, dict):
        raise ParseError("front matter must be a mapping of keys to values", line=2)
    body, rebuilt = text[len(front) :], None
    if flat is not None or looks_flattened(body):
        body, rebuilt = unflatten(body)
    return SourceParts(front, data, body, 0 if rebuilt is not None else front.count("\n"), rebuilt)


def text_or_none(value) -> str | None:
    """A front matter value as text; None when it is missing or empty."""
    return str(value).strip() if value not in (None, "") else None


# --- code fences -----------------------------------------------------------------

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# A longer line is no prose or fence anyone wrote (a pasted log, a minified blob, a hostile file):
# rendering shows it cut, as plain text (kb.markdown.limits), and it never opens a fence.
LONG_LINE = 20_000


def fence_after(fence: str | None, line: str) -> str | None:
    """The code fence open after `line` (its backticks or tildes), given the one open before it."""
    if fence is None:
        if len(line) > LONG_LINE:
            return None
        opened = FENCE.match(line)
        # A backtick fence's info string has no backtick: "```code``` on one line" is a code span.
        if opened and opened.group(1)[0] == "`" and "`" in line[opened.end() :]:
            return None
        return opened.group(1) if opened else None
    closing = line.strip()
    return None if closing.startswith(fence) and set(closing) <= set(fence[0]) else fence


def unclosed_fence(text: str) -> str | None:
    """The fence (```, ~~~~, …) a markdown text leaves open at its end, or None."""
    fence = None
    for line in text.split("\n"):
        fence = fence_after(fence, line)
    return fence


# --- headings --------------------------------------------------------------------

ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT_UNDERLINE = re.compile(r" {0,3}(=+|-+)[ \t]*")
# The start of a title line: one `#`, a space after it or not (Python-Markdown renders `#Title`
# as a heading, where ATX_HEADING, CommonMark's rule, needs the space).
LEVEL_ONE_HASH = re.compile(r"^ {0,3}#(?!#)")


def setext_level(line: str) -> int | None:
    """1 or 2 when `line` underlines the line above as a heading (`===` or `---`), else None."""
    underline = SETEXT_UNDERLINE.fullmatch(line)
    if not underline:
        return None
    return 1 if "=" in underline.group(1) else 2


NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
PARENTHESES = re.compile(r"\s*\(.*?\)\s*")


def comparable(text: str) -> str:
    """Only the lowercase letters and digits of `text`: how headings and names are compared."""
    return NOT_ALPHANUMERIC.sub("", text.lower())


def heading_key(heading: str) -> str:
    """A heading as the section names below are looked up: lowercase, no parentheses, no colon."""
    # Most headings hold no parenthesis: read thousands of times an import, they skip the search.
    return (PARENTHESES.sub(" ", heading) if "(" in heading else heading).strip().lower().rstrip(":")


# --- tables ----------------------------------------------------------------------

TABLE_DELIMITER_LINE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$")


def table_starts(lines: list[str], i: int) -> bool:
    """Whether line `i` is a table's header row: a line with a pipe over a delimiter row."""
    return i + 1 < len(lines) and "|" in lines[i] and bool(TABLE_DELIMITER_LINE.match(lines[i + 1]))


def is_table_row(line: str) -> bool:
    """Whether a line under a table's delimiter row still belongs to the table."""
    return "|" in line and bool(line.strip())


def table_end(lines: list[str], header: int, stop: int | None = None) -> int:
    """The line after the last row of the table whose header row is line `header`, `stop` at the latest."""
    stop = len(lines) if stop is None else stop
    end = header + 2
    while end < stop and is_table_row(lines[end]):
        end += 1
    return end


# What `split_row` reads a row by: an escaped character, a code span's backtick, a cell's pipe.
ROW_MARK = re.compile(r"\\.|[`|]", re.S)


def split_row(line: str) -> list[str]:
    """The cells of a markdown table row, as written (escaped pipes and code spans kept whole)."""
    cells: list[str] = []
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    start, in_code = 0, False
    # From mark to mark, not character by character: a sixth of reading a file's source went there.
    for mark in ROW_MARK.finditer(text):
        char = mark.group()
        if char == "`":
            in_code = not in_code
        elif char == "|" and not in_code:
            cells.append(text[start : mark.start()].strip())
            start = mark.end()
    if rest := text[start:].strip():
        cells.append(rest)
    return cells


# --- lists, checklists and done markers -------------------------------------------

BULLET = r"[-*+]"
ORDINAL = r"\d{1,9}[.)]"
LIST_MARKER = rf"(?:{BULLET}|{ORDINAL})"
# A list item line; its text (the rest of the line) captured.
LIST_ITEM = re.compile(rf"^ {{0,3}}{LIST_MARKER}(?:[ \t]+(.*))?$")
# A line that starts a list right under a paragraph: as on GitHub, an ordered list must start at 1.
LIST_START = re.compile(rf"^ {{0,3}}(?:{BULLET}|1[.)])\s+\S")
BOX = r"\[([ xX])\]"  # a checklist item's box, its mark captured
CHECKBOX = re.compile(rf"^{BOX}\s+")

DONE_GLYPHS = ("✅", "✔", "☑")
DONE_WORD = r"(?:DONE|Done)\b"
_DONE_GLYPH = "|".join(DONE_GLYPHS)
# A follow-up whose text starts like this is done, whatever its box says: "✅ Rotated", "DONE: rotate".
DONE_PREFIX = re.compile(rf"(?:{_DONE_GLYPH}|{DONE_WORD}[:\s-])")
# A follow-up table's status cell that says done.
DONE_STATUS = re.compile(rf"^(?:(?:done|closed|fixed|resolved|complete|completed|yes|x)\b|{_DONE_GLYPH})", re.I)
# A follow-up whose text says anywhere that it is done: "(DONE)", "(monitoring done in grafana)",
# "DONE in PR #5126", "this has already been done", struck through, a done glyph.
DONE_MARK = re.compile(
    rf"\((?:[^()]*\s)?(?i:done|completed|fixed|closed)\b[^()]*(?:\([^()]*\)[^()]*)*\)|\bDONE\b"
    rf"|(?<![A-Za-z])(?<!\bbe )(?i:done)\s+(?:in|via|by|on)\b"
    rf"|\b(?i:has|have) (?:already )?been (?i:done|completed|fixed|implemented)\b|^~~.+~~$|{_DONE_GLYPH}"
)
# A list item line in its parts, for changing a follow-up's status in place.
LIST_LINE = re.compile(
    rf"^(?P<marker>\s*{LIST_MARKER}\s+)(?P<box>{BOX}\s+)?"
    rf"(?P<done>(?:{_DONE_GLYPH}|{DONE_WORD}[:\s-]*)\s*)?(?P<text>.*)$"
)


# --- post-mortem fields and sections -------------------------------------------------

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
    "time to repair": "duration",
    "time to restore": "duration",
    "time to mitigate": "duration",
    "impact duration": "duration",
    "total impact duration": "duration",
    "total duration": "duration",
    "downtime": "duration",
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
# Fields that tell what happened, read as the summary when no summary section is written. Not
# field synonyms: the web form has no field for them, and keeps them as written.
SUMMARY_FIELDS = ("tl;dr", "tldr", "description", "what happened", "identified")
# Durations that run past the impact (the time to close the incident, not to restore service):
# read only when no other duration is written.
LATE_DURATIONS = ("time to resolve", "time to resolution")
# A bold label opening a part of a document written as a list of them (`- **Review actions**:`).
BOLD_LABEL = re.compile(r"^(?P<indent>[ \t]*)(?:[-*+][ \t]+)?\*\*(?P<label>[^*]{1,60}?):?\*\*:?(?P<rest>.*)$")
BOLD_FIELD = re.compile(r"^\s*(?:[-*]\s+)?\*\*([^*]+?):?\*\*:?\s*(.+?)\s*$")
PLAIN_FIELD = re.compile(r"^\s*[-*]\s+([A-Za-z][A-Za-z ]{1,30}):\s+(.+?)\s*$")

SUMMARY_HEADINGS = ("summary", "executive summary", "tl;dr", "tldr", "overview")
FOLLOW_UP_HEADING = re.compile(
    r"action items?|\bactions?\b|follow[- ]?ups?|contributing items|next steps|remediation|corrective|"
    r"preventa?t?ive (?:measures|actions)|prevention|to ?dos?\b|future work"
)
# A post-mortem's section telling what fixed the incident: "Fix", "Resolution", "How it was fixed".
FIX_HEADING = re.compile(
    r"^(?:the )?(?:fix(?:es)?|resolution|resolved|recovery|mitigation|remedy|solution|what fixed it|"
    r"how (?:it|we|this) (?:was |were )?(?:fixed|resolved|recovered))\b"
)
# A runbook's own next step for when its fix did not hold: "If OOMs recur after raising to 1Gi, consider …".
NEXT_STEP = re.compile(
    r"(?:^|(?<=[.!?]\s))If\b[^.!?\n]{0,200}?\b(?:recurs?|recurring|again|persists?|still|keeps? (?:on )?\w+ing|"
    r"continues?|comes? back|returns?)\b[^.!?\n]{0,300}[.!?]?"
)
# Headings that name actions taken during the incident, or questions: not follow-ups.
NOT_FOLLOW_UP_HEADING = re.compile(r"\bactions? taken\b|question|\bsteps taken\b")
LESSONS_HEADING = re.compile(r"lessons?\b|insights?\b|takeaways?\b|key learnings?\b|learnings?\b")
# The groups lessons come in; each item keeps its group's name.
LESSON_GROUP = re.compile(
    r"what went (?:well|right|wrong|badly|poorly)|where we got (?:lucky|unlucky)|what we (?:learn[te]d|got lucky)"
)


def postmortem_heading_role(heading: str) -> str | None:
    """ "follow_ups", "lessons" or "summary" when a post-mortem heading announces one of them, else None."""
    key = heading_key(heading)
    if FOLLOW_UP_HEADING.search(key) and not NOT_FOLLOW_UP_HEADING.search(key):
        return "follow_ups"
    if LESSONS_HEADING.match(key):
        return "lessons"
    if key in SUMMARY_HEADINGS or re.fullmatch(r"(?:issue|incident|problem|outage|event) summary", key):
        return "summary"
    return None


def follow_up_columns(headers: list[str]) -> tuple[int | None, int | None, int | None, int | None]:
    """The (text, status, owner, due) columns of a follow-up table, read from its headers."""
    headers = [h.lower() for h in headers]
    status_col = next((i for i, h in enumerate(headers) if re.search(r"status|state|done", h)), None)
    owner_col = next((i for i, h in enumerate(headers) if re.search(r"owner|assignee|who", h)), None)
    due_col = next((i for i, h in enumerate(headers) if re.search(r"due|deadline|by when", h)), None)
    text_col = next((i for i in range(len(headers)) if i not in (status_col, owner_col, due_col)), None)
    return text_col, status_col, owner_col, due_col


# --- runbooks: alert names, label scopes, incident references, resolution tables ------------

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


def is_alert_like(name: str) -> bool:
    """CamelCase identifiers such as `KubePodCrashLooping` or `etcdNoLeader`."""
    return bool(ALERT_NAME.match(name)) and bool(re.search(r"[a-z][A-Z]|[A-Z]{2,}[a-z]|^[A-Z][a-z]+[A-Z]", name))


def is_alert_identifier(name: str) -> bool:
    """An alert's name as alerting systems other than Prometheus spell it, besides CamelCase: an
    identifier joined by hyphens or underscores (`chat-token-threshold-50`), no spaces."""
    return is_alert_like(name) or bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)+", name))


# Names written before "alert(s)" in a sentence: "The [chat-tokens-50] and [chat-tokens-100] alerts are…",
# "the `QueueSlow`, `QueueStalled` alerts"; each name a link text or a code span.
NAMED_BEFORE_ALERTS = re.compile(
    r"((?:(?:\[`?[^\]`\n]+`?\]|`[^`\n]+`)(?:\([^)\s]*\))?(?:\s*,\s*|\s+(?:and|or)\s+|,\s*(?:and|or)\s+)?)+)\s+alerts?\b"
)
NAME_IN_LIST = re.compile(r"\[`?([^\]`\n]+)`?\]|`([^`\n]+)`")
# A heading or sentence that uses a name as an alert: "## Alerts", "this alert fires", "triggered when".
ALERT_CONTEXT = re.compile(r"\b(alerts?|alerting|fires|firing|triggered|triggers|goes off)\b", re.I)
# "the `DataGovUkHighTrafficRate` alert", "the alert `QueueConsumerStalled` fires": a name in a code span used as an alert in running text.
ALERT_IN_TEXT = re.compile(r"`([A-Za-z_:][A-Za-z0-9_:]*)`\s+alert\b|\balert\s+`([A-Za-z_:][A-Za-z0-9_:]*)`")
# A reference-style link's target: `[name]: https://…`.
LINK_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s+\S")
# A stub runbook sends the reader elsewhere: "Same as X.", "See X", "This alert has been moved to X".
STUB_OPENING = re.compile(
    r"^\W*(?:same as|see|moved to|this (?:alert|runbook|playbook|page) (?:has been |was |is )?moved to)\b"
    r"|\b(?:has been moved to|the same as the one for)\b",
    re.I,
)
STUB_MAX_CHARS = 300
# Names a stub points at: link texts and code spans.
STUB_TARGET = re.compile(r"`([^`\n]+)`|\[([^\]\n]+)\](?:\(([^)\n]*)\))?|(https?://\S+)")
# The page a link leads to, by its file name: `NodeRAIDDegraded.md`, `{{< ref "./NodeRAIDDegraded.md" >}}`.
LINKED_PAGE = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\.(?:md|markdown)\b")


def stub_target(text: str) -> str | None:
    """What a stub runbook (a short "Same as X" / "See X" / "moved to X" text) sends the reader to;
    None when the text is not a stub."""
    plain = text.strip()
    if not plain or len(plain) > STUB_MAX_CHARS or not STUB_OPENING.search(plain):
        return None
    names: list[str] = []
    addresses: list[str] = []  # for want of an alert name: where the link leads
    for match in STUB_TARGET.finditer(plain):
        code, text, target, url = match.groups()
        page = LINKED_PAGE.search(target or "")
        names += [n.strip("` ") for n in (code, text, page.group(1) if page else None) if n]
        addresses += [a for a in (url, target) if a and a.startswith(("http://", "https://"))]
    return next((n for n in names if is_alert_like(n)), None) or next(iter(addresses + names), None)


# The column of a resolution history that says what fixed the incident (not "Cause" or "Symptom").
FIX_COLUMN = re.compile(r"fix|resolution|resolved|action|remed|what was done|\bnotes?\b|comment", re.I)


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
