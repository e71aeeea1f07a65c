"""Small edits made in place in a document's markdown: a resolution row appended to a runbook,
a follow-up's status changed. The rest of the text is left as its author wrote it.

Pure, like `kb.authoring.to_markdown`. Each edit is checked by parsing the result with the importer's
parser: an edit that would not read back as intended raises `EditError` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kb.authoring.to_markdown import escape_cell, markdown_table
from kb.markdown.parsing import ParsedDocument, parse_document
from kb.markdown.syntax import (
    LIST_LINE,
    TABLE_DELIMITER_LINE,
    comparable,
    follow_up_columns,
    resolution_columns,
    split_row,
    table_end,
    table_starts,
)

RESOLUTION_HEADERS = ["Date", "Incident", "Old Value", "New Value", "Notes"]
ROLE_NAMES = {"date": "date", "incidents": "incidents", "old": "old value", "new": "new value", "notes": "notes"}


class EditError(Exception):
    """The edit cannot be made safely; the message says why and what to do instead."""


@dataclass
class ResolutionDraft:
    date: date
    incidents: list[str]
    old: str = ""
    new: str = ""
    notes: str = ""


def resolution_row_append(text: str, *, entry: ResolutionDraft, path: str = "") -> tuple[str, ParsedDocument]:
    """The runbook with `entry` as the last row of its Resolution History table (created when missing),
    and its parse."""
    before = _parse(text, path, "runbook")
    front, body = before.front_matter_block, before.body
    lines = body.split("\n")
    headings = [section for section in before.sections if section.line is not None]
    history = next((h for h in headings if "history" in h.heading.lower()), None)
    if history is None:
        level = min((h.level for h in headings if h.level > 1), default=2)
        table = markdown_table(RESOLUTION_HEADERS, [_resolution_cells(RESOLUTION_HEADERS, entry)])
        new_body = body.rstrip("\n") + f"\n\n{'#' * level} Resolution History\n\n{table}\n"
    else:
        end = next((h.line for h in headings if h.line > history.line), len(lines))
        table_at = next((i for i in range(history.line + 1, end - 1) if table_starts(lines, i)), None)
        if table_at is None:
            table = markdown_table(RESOLUTION_HEADERS, [_resolution_cells(RESOLUTION_HEADERS, entry)])
            last = max((i for i in range(history.line, end) if lines[i].strip()), default=history.line)
            lines[last + 1 : last + 1] = ["", *table.split("\n")]
        else:
            row_end = table_end(lines, table_at, stop=end)
            cells = _resolution_cells(split_row(lines[table_at]), entry)
            lines.insert(row_end, "| " + " | ".join(cells) + " |")
        new_body = "\n".join(lines)
    result = front + new_body
    after = _parse(result, path, "runbook")
    added = after.resolution_history[len(before.resolution_history) :]
    if len(added) != 1 or added[0].date != entry.date:
        raise EditError("the new row does not read back as a resolution; edit the runbook's Resolution History by hand")
    return result, after


def _resolution_cells(headers: list[str], entry: ResolutionDraft) -> list[str]:
    roles = resolution_columns(headers)
    values = {
        "date": entry.date.isoformat(),
        "incidents": ", ".join(entry.incidents),
        "old": entry.old,
        "new": entry.new,
        "notes": entry.notes,
    }
    # Values the table has no column for go into its notes, so nothing typed is dropped.
    homeless = [role for role, value in values.items() if value and role not in roles]
    if homeless:
        if "notes" not in roles:
            names = [ROLE_NAMES[role] for role in homeless]
            listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            raise EditError(
                f"the Resolution History table has no column for the {listed}; add the row by editing the runbook"
            )
        values["notes"] = "; ".join(filter(None, [entry.notes, *(f"{ROLE_NAMES[r]}: {values[r]}" for r in homeless)]))
    by_column = {column: values[role] for role, column in roles.items()}
    return [escape_cell(by_column.get(i, "")) for i in range(len(headers))]


def follow_up_status_set(text: str, *, index: int, status: str, path: str = "") -> tuple[str, ParsedDocument]:
    """The post-mortem with follow-up `index` (0-based, in the parser's order) marked `status`, and its parse.

    A checklist box is ticked or cleared (a plain bullet gains one); a table's status cell is
    rewritten. Nothing else changes. A flattened document comes back with its structure rebuilt.
    """
    before = _parse(text, path, "postmortem")
    if not 0 <= index < len(before.follow_ups):
        raise EditError(f"the post-mortem has no follow-up number {index + 1}")
    target = before.follow_ups[index]
    if target.status == status:
        return text, before
    front, lines = before.front_matter_block, before.body.split("\n")
    words = comparable(target.text)[:24]
    # Lines that hold the item's first words first; any other line after (links change the words).
    likely = [n for n, line in enumerate(lines) if words and words in comparable(line)]
    for n in likely + [n for n in range(len(lines)) if n not in likely]:
        for edited in _status_edits(lines, n, status):
            candidate = front + "\n".join(lines[:n] + [edited] + lines[n + 1 :])
            after = _parse(candidate, path, "postmortem")
            if _only_status_changed(after, before, index, status):
                return candidate, after
    raise EditError(
        f"follow-up {index + 1} cannot be changed in place (its table has no Status column, or its section "
        "marks everything done); edit the post-mortem instead"
    )


def _only_status_changed(after: ParsedDocument, before: ParsedDocument, index: int, status: str) -> bool:
    if len(after.follow_ups) != len(before.follow_ups):
        return False
    for n, (a, b) in enumerate(zip(after.follow_ups, before.follow_ups)):
        if n != index and (a.text, a.status, a.owner, a.due) != (b.text, b.status, b.owner, b.due):
            return False
        # The edited item may lose a leading ✅ or "DONE:" when it is reopened.
        if n == index and (a.status != status or (a.owner, a.due) != (b.owner, b.due) or not b.text.endswith(a.text)):
            return False
    return True


def _status_edits(lines: list[str], n: int, status: str) -> list[str]:
    """Ways to give the item on line `n` the status: the parse decides which one worked."""
    box = "[x] " if status == "done" else "[ ] "
    item = LIST_LINE.match(lines[n])
    if item:
        marker, done_word, rest = item.group("marker", "done", "text")
        return [f"{marker}{box}{'' if status == 'open' else (done_word or '')}{rest}"]
    if "|" not in lines[n]:
        return []
    header_at = n
    while header_at > 0 and not TABLE_DELIMITER_LINE.match(lines[header_at]):
        header_at -= 1
    if header_at == 0:
        return []
    _text, status_col, _owner, _due = follow_up_columns(split_row(lines[header_at - 1]))
    cells = split_row(lines[n])
    if status_col is None or status_col >= len(cells):
        return []
    cells[status_col] = status
    return ["| " + " | ".join(cells) + " |"]


def _parse(text: str, path: str, kind: str) -> ParsedDocument:
    parsed = parse_document(text, path)
    if parsed.kind != kind:
        raise EditError(f"this document reads as a {parsed.kind}, not a {kind}")
    return parsed
