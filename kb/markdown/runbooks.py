"""Reads what a runbook states: the alert it answers, the label scope it applies to and its
resolution history. `parsing` calls it once it has decided a document is a runbook; the alert
name guesses also help it decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from kb.markdown import dates
from kb.markdown.errors import ParseError
from kb.markdown.rendering import Table
from kb.markdown.syntax import (
    ALERT_NAME,
    SCOPE_LABELS,
    comparable,
    heading_key,
    incident_references,
    is_alert_like,
    resolution_columns,
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
    if is_alert_like(stem) or comparable(stem) == comparable(title):
        return stem
    return None


def read_runbook(doc, front_matter, title_block, content, intro, stem) -> None:
    """Fills in `doc`'s alert, labels and resolution history."""
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
    candidates = [
        text_or_none(front_matter.get("alert") or front_matter.get("alertname")),
        alert_in_title(h1) if h1 and not bare_h1 else None,
        alert_in_title(doc.title) if not bare_h1 else None,
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
