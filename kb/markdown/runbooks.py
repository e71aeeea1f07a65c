"""Reads what a runbook states: the alert it answers, the label scope it applies to and its
resolution history. `parsing` calls it once it has decided a document is a runbook; the alert
name guesses also help it decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from kb.markdown import dates
from kb.markdown.errors import ParseError
from kb.markdown.references import incident_references
from kb.markdown.rendering import Table, ref_url
from kb.markdown.syntax import (
    ALERT_CONTEXT,
    ALERT_IN_TEXT,
    ALERT_NAME,
    ATX_HEADING,
    LINK_REFERENCE,
    NAME_IN_LIST,
    NAMED_BEFORE_ALERTS,
    SCOPE_LABELS,
    comparable,
    heading_key,
    is_alert_identifier,
    is_alert_like,
    resolution_columns,
    stub_target,
    text_or_none,
)

SCOPE_BEFORE = re.compile(r"\b(" + "|".join(SCOPE_LABELS) + r")\s+`([^`\s]+)`", re.I)
SCOPE_AFTER = re.compile(r"`([^`\s]+)`\s+(" + "|".join(SCOPE_LABELS) + r")\b", re.I)


@dataclass
class ResolutionRow:
    date: date | None
    incidents: list[str]
    old: str
    new: str
    notes: str
    cells: dict[str, str]


def alert_in_title(title: str) -> str | None:
    """The alert a title names: in parentheses at its end, or the whole title when it looks like one."""
    paren = re.search(r"\(([A-Za-z_:][A-Za-z0-9_:]*)\)\s*$", title)
    if paren and is_alert_like(paren.group(1)):
        return paren.group(1)
    if is_alert_like(title.strip()):
        return title.strip()
    return None


def alert_from_name(stem: str, title: str) -> str | None:
    """The file name (`stem`) as the alert name, when it looks like one or says the same as the title."""
    if not ALERT_NAME.match(stem or ""):
        return None
    if is_alert_like(stem):
        return stem
    if comparable(stem) == comparable(title):
        # `ddosdetected.html.md` titled "DDOS Detected": the title spells the check as people write it.
        return title.strip() or stem
    return None


def read_runbook(doc, front_matter, title_block, content, intro, stem, path: str = "") -> None:
    """Fills in `doc`'s alert, labels, review dates, stub target and resolution history."""
    alert_section = next((b for b, _ in content if heading_key(b.heading) in ("alert", "alerts", "alert name")), None)
    h1 = title_block.heading.strip() if title_block else ""
    from_name = alert_from_name(stem, h1 or doc.title)
    bare_h1 = h1 if is_alert_like(h1) else None
    if bare_h1 and from_name and bare_h1 != from_name:
        # Sites built from runbook folders (Hugo and the like) link by file name, so it wins.
        doc.warnings.append(
            f"the heading names alert {bare_h1} but the file is named {from_name}; using {from_name} "
            "(set `alert:` in front matter to choose)"
        )
        bare_h1 = from_name
    named = [
        text_or_none(front_matter.get("alert") or front_matter.get("alertname")),
        alert_in_title(h1) if h1 and not bare_h1 else None,
        alert_in_title(doc.title) if not bare_h1 else None,
        next((c for c in (alert_section.code_spans if alert_section else []) if ALERT_NAME.match(c)), None),
        bare_h1,
        from_name,
    ]
    # The running text is searched only when nothing before names the alert (most runbooks): the whole body.
    doc.alert = (
        next((c for c in named if c), None)
        or _alert_named_in_text(doc.body)
        # A page with front matter and no H1 in an alerts section (an Icinga check's page, say) is named
        # after the check it answers.
        or (
            text_or_none(front_matter.get("title"))
            if title_block is None and _about_alerts(front_matter, intro, path)
            else None
        )
    )
    doc.last_reviewed_on = dates.parse(
        str(front_matter.get("last_reviewed_on") or front_matter.get("last_reviewed") or "")
    )
    doc.review_in = str(front_matter.get("review_in") or "").strip()[:100]
    doc.stub_of = stub_target(_prose(doc.body)) or ""

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


def _resolution_rows(table: Table, warnings: list[str]) -> list[ResolutionRow]:
    roles = resolution_columns(table.headers)
    rows = []
    for cells in table.rows:

        def cell(role: str) -> str:
            i = roles.get(role)
            return cells[i] if i is not None and i < len(cells) else ""

        incidents = [match.group() for match in incident_references(cell("incidents"), column="incidents")]
        if not incidents and cell("incidents"):
            # "INC-236, OPS-12" as written; "-", "n/a" or "none" name no incident.
            incidents = [p.strip() for p in cell("incidents").split(",") if re.search(r"\d", p)]
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


def _about_alerts(front_matter: dict, intro, path: str) -> bool:
    """Whether a page is filed as an alert's page: its front matter (`section: Icinga alerts`), its
    folder (`alerts/`) or its opening ("This alert means …") says so."""
    filed = [str(v) for k, v in front_matter.items() if k != "title" and isinstance(v, str)]
    folders = path.replace("\\", "/").lower().split("/")[:-1]
    opening = " ".join(intro.paragraphs[:1]) if intro else ""
    return (
        any(ALERT_CONTEXT.search(v) for v in filed)
        or "alerts" in folders
        or bool(re.search(r"\bthis alert\b", opening, re.I))
    )


def _alert_named_in_text(body: str) -> str | None:
    """The alert running text names as one ("once the `DataGovUkHighTrafficRate` alert has resolved")."""
    names = (m.group(1) or m.group(2) for m in ALERT_IN_TEXT.finditer(body))
    return next((name for name in names if is_alert_like(name)), None)


def _prose(body: str) -> str:
    """The body without its heading lines: what a stub says."""
    return "\n".join(line for line in body.split("\n") if not ATX_HEADING.match(line)).strip()


# --- one file, many alerts ------------------------------------------------------------


@dataclass
class AlertPart:
    """One alert's section of a file with many (`### CortexIngesterRestarts` in a playbooks file)."""

    alert: str
    anchor: str
    markdown: str  # the section as written, its heading line left out, subsections included


@dataclass
class Part:
    """One alert's runbook cut from a file with many: saved as a document whose identity is the file's
    plus `#<alert>`, with `text` (front matter naming the alert, then the section) as its source."""

    alert: str
    anchor: str
    text: str
    parsed: Any = None  # the ParsedDocument of `text`


def part_text(part: AlertPart, front_matter: dict, path: str, found: list[AlertPart]) -> str:
    """An alert section as a runbook of its own: front matter naming the alert and the file it is part
    of (with the file's labels and review dates), then the section."""
    header = {"kind": "runbook", "title": part.alert, "alert": part.alert, "part_of": f"{path}#{part.anchor}"}
    for key in ("labels", "last_reviewed_on", "review_in"):
        if front_matter.get(key):
            header[key] = front_matter[key]
    front = yaml.safe_dump(header, sort_keys=False, allow_unicode=True)
    return "---\n" + front + "---\n\n" + part_links(part.markdown, path, found)


def checked_title(front_matter: dict, title_block, intro, path: str) -> str:
    """The check a page with front matter and no H1, filed as an alert's page, is named after."""
    if title_block is not None or not _about_alerts(front_matter, intro, path):
        return ""
    return str(text_or_none(front_matter.get("title")) or "")


def alert_parts(sections, body: str, *, check: str = "") -> list[AlertPart]:
    """The sections of a file that are each the runbook of one alert, when it has two or more.

    A section counts when its heading is an alert name (CamelCase, `KubePodCrashLooping`) used as an
    alert: under a heading about alerts ("## Alerts", "### Slack Alerts"), or its text says the alert
    fires. Sections inside an alert's section belong to it; "Procedures" or a sentence heading never
    count. One alert-named section alone is a heading of an ordinary runbook, not a part. On the page
    of a check (`check`, its title), sections named after the check and what it watches ("Low available
    disk space on root", "… on /var/lib/postgresql") are each an alert; other sections are the page's own.
    """
    lines = body.split("\n")
    found: list[tuple[int, object]] = []
    context: list[tuple[int, str]] = []  # the headings above the current one, by level
    inside_level: int | None = None
    for i, section in enumerate(sections):
        context = [(level, text) for level, text in context if level < section.level]
        name = section.heading.strip().strip("`").strip()
        if inside_level is not None and section.level > inside_level:
            context.append((section.level, section.heading))
            continue
        inside_level = None
        # Whether the name is used as an alert, searched last: a case-insensitive alternation tried at every position
        # of the section's text, where most headings ("Diagnosis") are no alert's name (1.3% of a file's parse).
        if (
            section.line is not None
            and is_alert_like(name)
            and (any(ALERT_CONTEXT.search(text) for _, text in context) or ALERT_CONTEXT.search(section.markdown))
        ):
            found.append((i, name))
            inside_level = section.level
        context.append((section.level, section.heading))
    if check and not found:
        found = [
            (i, s.heading.strip())
            for i, s in enumerate(sections)
            if s.line is not None and _instance_of(s.heading, check)
        ]
    if len({comparable(name) for _, name in found}) < 2:
        return []
    found = sorted(found + _listed_alerts(sections, found), key=lambda item: item[0])
    seen: set[str] = set()
    found = [(i, name) for i, name in found if not (comparable(name) in seen or seen.add(comparable(name)))]
    # Reference-style link targets (`[OrdersQueueSlow]: https://…`) often sit at the end of the file.
    references = [line for line in lines if LINK_REFERENCE.match(line)]
    parts = []
    for i, name in found:
        section = sections[i]
        end = next(
            (s.line for s in sections[i + 1 :] if s.level <= section.level and s.line is not None),
            len(lines),
        )
        first = section.line + (1 if ATX_HEADING.match(lines[section.line]) else 2)
        own = lines[first:end]
        missing = [line for line in references if line not in own]
        text = "\n".join(own).strip("\n") + "\n" + ("\n" + "\n".join(missing) + "\n" if missing else "")
        parts.append(AlertPart(name, section.anchor, text))
    return parts


def shared_note(doc, found: list[AlertPart]) -> None:
    """A file with many alerts, itself: an operations note, answering no alert, whose sections are those
    outside the alert sections (the procedures and notes its alerts share). Its page and export stay the
    whole file, where the alerts' pages link to their sections."""
    anchors = {part.anchor for part in found}
    kept, inside = [], None
    for section in doc.sections:
        if inside is not None and section.level > inside:
            continue
        inside = section.level if section.anchor in anchors else None
        if inside is None:
            kept.append(section)
    doc.kind, doc.alert, doc.labels, doc.stub_of, doc.sections = "note", None, {}, "", kept
    doc.resolution_history = []


def _instance_of(heading: str, check: str) -> bool:
    """Whether a heading is the check's name and more: the check's words first (a one-letter slip
    allowed in a long word, "disc" for "disk"), then what it watches."""
    words, named = heading.lower().split(), check.lower().split()
    if len(words) <= len(named) + 1 or not named or len(heading) > 200:  # an alert's name fits in 200
        return False
    return all(a == b or (len(b) >= 4 and _one_slip(a, b)) for a, b in zip(words, named))


def _one_slip(a: str, b: str) -> bool:
    """One letter changed ("disc", "disk") or two neighbours swapped ("memroy", "memory")."""
    differ = [i for i, (x, y) in enumerate(zip(a, b)) if x != y] if len(a) == len(b) else []
    if len(differ) != 2:
        return len(differ) == 1
    i, j = differ
    return j == i + 1 and (a[i], a[j]) == (b[j], b[i])


GROUP_HEADING = re.compile(r"\balerts\b", re.I)
# A list item that is only a name: `- [HighPodCPUFE]`, `- [`X`](…)`, `- `X``.
LISTED_NAME = re.compile(r"^ {0,3}[-*+]\s+(?:\[`?([^\]`]+)`?\]|`([^`]+)`)(?:\([^)]*\))?\s*$")


def _listed_alerts(sections, found: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Alerts listed one per item under a heading such as "HighPod* alerts" at the level of the alert
    sections of the same file: each is a runbook with that section's text."""
    levels = {sections[i].level for i, _ in found}
    taken = {i for i, _ in found}
    listed = []
    for i, section in enumerate(sections):
        if (
            i in taken
            or section.line is None
            or section.level not in levels
            or not GROUP_HEADING.search(section.heading)
        ):
            continue
        for line in section.markdown.split("\n"):
            match = LISTED_NAME.match(line)
            name = (match.group(1) or match.group(2)).strip() if match else ""
            if is_alert_like(name):
                listed.append((i, name))
        for names in NAMED_BEFORE_ALERTS.finditer(section.markdown):
            named = ((a or b).strip() for a, b in NAME_IN_LIST.findall(names.group(1)))
            listed += [(i, name) for name in named if is_alert_identifier(name)]
    return listed


SAME_FILE_LINK = re.compile(r"\]\(#([^)\s]+)\)")


def part_links(markdown: str, path: str, parts: list[AlertPart]) -> str:
    """An alert section's links to anchors of its file, made to work on the alert's own page: to another
    alert of the file, its alert link (`/alerts/<name>/`); to any other section, that section of the file."""
    alerts = {comparable(key): part.alert for part in parts for key in (part.alert, part.anchor)}
    name = path.replace("\\", "/").rsplit("/", 1)[-1]

    def relink(match: re.Match) -> str:
        anchor = match.group(1)
        alert = alerts.get(comparable(anchor))
        return f"](/alerts/{alert}/)" if alert else f"]({ref_url(name, path)}#{anchor})"

    return SAME_FILE_LINK.sub(relink, markdown)
