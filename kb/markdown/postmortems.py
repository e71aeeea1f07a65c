"""Reads what a post-mortem states: its fields (date, duration, severity, …) wherever they are
written, its summary, follow-ups and lessons. `parsing` calls it once it has decided a document
is a post-mortem; a Field/Value table also helps it decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kb.markdown import dates
from kb.markdown.followups import groups, read_follow_ups, read_lessons
from kb.markdown.rendering import Block
from kb.markdown.syntax import (
    BOLD_FIELD,
    FIELD_SYNONYMS,
    LATE_DURATIONS,
    PLAIN_FIELD,
    SUMMARY_FIELDS,
    TABLE_DELIMITER_LINE,
    heading_key,
    is_table_row,
    postmortem_heading_role,
    split_row,
    table_starts,
)

META_HEADINGS = ("metadata", "details", "stats", "incident details", "overview")
# Words of a timeline entry that tell of the incident itself (its impact, its detection, the response).
IMPACT_WORDS = re.compile(
    r"\b(?:break|broke|breaking|down|fail\w*|error\w*|outage|occur\w*|unavailable|not ?ready|alert\w*|detect\w*|"
    r"report\w*|impact\w*|investigat\w*|incident|unable|cannot|can't|degrad\w*|crash\w*|time[sd]? ?out|[45]\d\d)\b",
    re.I,
)
IMPACT_HEADINGS = ("impact", "customer impact", "user impact", "impact and severity")
_NUMBER = r"(?:\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|several)"
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|days?)"
_QUALIFIER = r"(?:(?:about|approximately|approx\.|around|roughly|nearly|almost|just over|just under|over|under|at least|more than|less than|~)\s*)?"
DURATION_PHRASE = (
    rf"(?P<duration>{_QUALIFIER}(?:\d+h\s?\d+m(?:in)?|{_NUMBER}[\s-]?{_UNIT}(?:\s(?:and\s)?\d+\s?{_UNIT})?))\b"
)
# How long the incident lasted, in a sentence: "lasted for about five hours", "unusable for 1h50m".
LASTED = re.compile(rf"\b(?:lasted|lasting|went on)\s+(?:for\s+)?{DURATION_PHRASE}", re.I)
OUTAGE_FOR = re.compile(
    rf"\b(?:unusable|unavailable|down|failed|failing|outage|disruption|downtime)\s+(?:of\s+|for\s+)?{DURATION_PHRASE}",
    re.I,
)
OF_OUTAGE = re.compile(rf"{DURATION_PHRASE}\s+(?:of\s+)?(?:total\s+)?(?:outage|downtime|disruption)", re.I)
RECOVERED_IN = re.compile(
    rf"\b(?:recover\w*|restored|resolved|mitigated)\s+(?:(?:itself|themselves|service)\s+)?(?:in|after|within)\s+{DURATION_PHRASE}",
    re.I,
)
# A severity the text says was declared, where no field gives one: "Sev 1 ticket raised".
SEVERITY_DECLARED = re.compile(
    r"\b(SEV[ -]?\d)\s+(?:incident|ticket|outage|declared|raised|page)\b|\bdeclared (?:an? )?(?:incident )?(SEV[ -]?\d)\b",
    re.I,
)
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


def read_postmortem(doc, front_matter, content, intro, body, stem: str = "") -> None:
    """Fills in `doc`'s fields (wherever they are written), summary, follow-ups and lessons."""
    fields: dict[str, str] = {}
    extra: dict[str, str] = {}

    late_keys: list[str] = []

    def offer(key: str, value: str) -> None:
        value = str(value).strip()
        canonical = FIELD_SYNONYMS.get(key.strip().lower())
        if not value or value in ("?", "-", "n/a", "N/A"):
            return
        if key.strip().lower() in SUMMARY_FIELDS:
            fields.setdefault("summary", value)
        elif canonical == "duration" and key.strip().lower() in LATE_DURATIONS:
            fields.setdefault("late duration", value)
            late_keys.append(key.strip())
        elif canonical:
            fields.setdefault(canonical, value)
        else:
            extra.setdefault(key.strip(), value)

    date_from_front_matter = any(FIELD_SYNONYMS.get(str(k).lower()) == "date" for k in front_matter)
    for key, value in front_matter.items():
        if key not in ("title", "kind", "type", "id", "slug", "tags"):
            offer(str(key), value if not isinstance(value, list) else ", ".join(map(str, value)))
    meta_blocks = [intro] + [b for b, _ in content if heading_key(b.heading) in META_HEADINGS]
    for block in meta_blocks:
        for key, value in metadata_rows(block):
            offer(key, value)
    meta_source = [body.split("\n## ")[0]] + [md for b, md in content if b in meta_blocks]
    for text in meta_source:
        lines = text.split("\n")
        for i, line in enumerate(lines):
            match = BOLD_FIELD.match(line) or PLAIN_FIELD.match(line)
            if match and postmortem_heading_role(match.group(1)) != "follow_ups":  # read as a group
                value = match.group(2).strip(" :")
                offer(match.group(1), _strip_inline(value or _paragraph_after(lines, i + 1)))

    doc.metadata = extra
    if fields.get("date") and not dates.parse(fields["date"]):
        doc.warnings.append(f"date {fields['date']!r} is not a date this importer can read")
    doc.date, doc.date_source = _date(fields.get("date", ""), date_from_front_matter, doc.title, intro, stem, content)
    if doc.date is None:
        doc.warnings.append(
            "no incident date found (in front matter `date:`, a Date field, the title, the file name, "
            "the first sentence or the timeline)"
        )
    doc.duration = fields.get("duration") or fields.get("late duration") or _duration_in_prose(intro, content)
    if fields.get("duration") and late_keys:  # shown beside the duration, as a field of its own
        extra.setdefault(late_keys[0], fields["late duration"])
    declared = SEVERITY_DECLARED.search(body)
    doc.severity, severity_note = _severity(
        fields.get("severity") or ((declared.group(1) or declared.group(2)) if declared else "")
    )
    if severity_note:
        extra.setdefault("severity_note", severity_note)
    doc.affected = fields.get("affected", "")
    doc.status = fields.get("status", "")
    summary = next((md for b, md in content if postmortem_heading_role(b.heading) == "summary"), "")
    lead = next((p for p in intro.paragraphs if p.strip() and not _only_fields(p)), "")
    doc.summary = _plain_tables(summary).strip() or fields.get("summary", "") or lead

    found = groups(content, re.split(r"\n#{2,6} ", body, maxsplit=1)[0])
    doc.follow_ups = read_follow_ups(found)
    doc.lessons = read_lessons(found)


def _duration_in_prose(intro: Block, content) -> str:
    """ "The outage lasted for 47 minutes": how long the incident lasted, as the summary or the
    impact section says it, qualifier kept ("about 1h50m", "just over nine hours")."""
    paragraphs = list(intro.paragraphs)
    for block, _md in content:
        if postmortem_heading_role(block.heading) == "summary" or heading_key(block.heading) in IMPACT_HEADINGS:
            paragraphs += block.paragraphs
    sentences = [s for p in paragraphs for s in re.split(r"(?<=[.!?])\s+", " ".join(p.split()))]
    for pattern in (LASTED, OUTAGE_FOR, OF_OUTAGE, RECOVERED_IN):
        for sentence in sentences:
            match = pattern.search(sentence)
            if match:
                return match.group("duration")
    return ""


def _severity(value: str) -> tuple[str, str]:
    """ "SEV4 — no user-facing impact" gives ("SEV4", "no user-facing impact")."""
    match = SEVERITY_TOKEN.match(value)
    if not match:
        return value, ""
    return match.group(1), value[match.end() :].strip()


def _date(field: str, from_front_matter: bool, title: str, intro: Block, stem: str, content) -> tuple:
    """The day the incident began and where it was read: the first of these places that gives one."""
    lead = next((b.paragraphs for b, _ in content if postmortem_heading_role(b.heading) == "summary"), [])
    candidates = (
        ("front matter" if from_front_matter else "metadata", field),
        ("title", title + " " + intro.heading),
        ("file name", stem),
        ("text", _first_sentence(intro.paragraphs + lead)),
    )
    timeline = _timeline_entries(content)
    found = [(source, day) for source, day in ((source, dates.parse(text)) for source, text in candidates) if day]
    by_source = dict(found)
    if "title" in by_source and by_source.get("file name", by_source["title"]) != by_source["title"]:
        # A title copied from an older report: the file name wins when the timeline bears it out.
        days = {day for day, _ in timeline}
        if by_source["file name"] in days and by_source["title"] not in days:
            return by_source["file name"], "file name"
    if found:
        return found[0][1], found[0][0]
    day = _timeline_date(timeline)
    return (day, "timeline") if day else (None, "")


def _first_sentence(paragraphs: list[str]) -> str:
    text = next((p for p in paragraphs if p.strip()), "")
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]


def _timeline_entries(content) -> list[tuple[date, str]]:
    """The dated entries of the Timeline section (rows, items, paragraphs, subheadings), in order."""
    entries: list[tuple[date, str]] = []
    for i, (block, _md) in enumerate(content):
        if "timeline" not in heading_key(block.heading):
            continue
        for sub, _ in [(block, _md), *_subsections(content, i)]:
            texts = [sub.heading] if sub is not block else []
            texts += [" ".join(row) for table in sub.tables for row in table.rows if row]
            texts += [item.text for lst in sub.lists for item in lst.items] + sub.paragraphs
            entries += [(d, text) for d, text in ((dates.parse(t[:40]), t) for t in texts) if d]
        break
    return entries


def _timeline_date(entries: list[tuple[date, str]]) -> date | None:
    """The day the incident began, by its timeline: the first entry that tells of impact or of the
    response, or that the next entry follows within a day. A lone entry days earlier about a change
    (a release, a manifest applied) tells its cause, not its date."""
    for (day, text), (after, _) in zip(entries, entries[1:]):
        if IMPACT_WORDS.search(text) or 0 <= (after - day).days <= 1:
            return day
    return entries[-1][0] if len(entries) == 1 else (entries[0][0] if entries else None)


def _subsections(content, index: int) -> list:
    level = content[index][0].level
    subs = []
    for sub, md in content[index + 1 :]:
        if sub.level <= level:
            break
        subs.append((sub, md))
    return subs


def _only_fields(paragraph: str) -> bool:
    """A paragraph of `**Severity:** Major` lines, rendered: every line a label and its value."""
    return all(re.match(r"^[\w /()-]{1,40}:\s+\S", line) for line in paragraph.split("\n") if line.strip())


def _paragraph_after(lines: list[str], start: int) -> str:
    """The value of a field written on the lines under its label (`- **Identified**:`, a blank
    line, then the text): the first paragraph there, unless another field or a heading comes first."""
    found: list[str] = []
    for line in lines[start:]:
        if not line.strip():
            if found:
                break
            continue
        if BOLD_FIELD.match(line) or line.lstrip().startswith("#"):
            break
        found.append(re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line).strip())
    return " ".join(found)


def _plain_tables(md: str) -> str:
    """A summary written as a table, as text: a line per row, its cells joined (no pipes)."""
    lines = md.split("\n")
    out, in_table = [], False
    for i, line in enumerate(lines):
        if table_starts(lines, i):
            in_table = True
        elif in_table and not is_table_row(line):
            in_table = False
        if not in_table:
            out.append(line)
        elif not TABLE_DELIMITER_LINE.match(line):
            cells = [_strip_inline(c) for c in split_row(line) if c.strip()]
            out.append(": ".join(cells) if len(cells) == 2 else " — ".join(cells))
    return "\n".join(out)


def _strip_inline(text: str) -> str:
    return re.sub(r"(\*\*|__|`)", "", text).strip()
