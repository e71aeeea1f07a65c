"""Incident references: where a `#236` is meant as an incident, and where it numbers something else.

`INC-236` always is one; `#236` is one in an incidents column or field, after the word "incident",
or bare in a document that does not write its `#N` as links to pull requests and issues, unless its
sentence says what else it numbers ("PR #12", "fixes #45", "step #3", a colour). Never inside a word,
a URL or an HTML entity. The parser, the resolution history and entity extraction all ask here.
"""

from __future__ import annotations

import re

# `#236`: never inside a word, a URL, an HTML entity (`&#51;`, kept as `\x02amp\x03#51;` by Python-Markdown).
INCIDENT_REF = re.compile(r"(?<![\w&/#;{\x03])#(\d{1,7})\b(?!\w)")
INCIDENT_ID = re.compile(r"(?<![\w/#-])INC-?(\d{1,7})\b")  # "INC-236", "INC236"
# Where a `#236` is meant as an incident whatever the document: after the word ("incident #236", "Incidents: #236, #237").
INCIDENT_WORD_BEFORE = re.compile(
    r"\bincidents?\s*(?:(?:no\.?|number|ref(?:erence)?|id)\s*)?[:(]?\s*(?:#\d{1,7}\s*(?:,|&|/|\band\b|\bor\b)\s*)*$",
    re.I,
)
# A table column or a field whose values are incidents ("| Incident |", "| Incidents | #236, #237 |").
INCIDENT_COLUMN = re.compile(r"\bincidents?\b|\binc\b|\btickets?\b|\bref", re.I)
# What a `#N` numbers when these words come before it in its sentence ("PR #1237", "step #3", "colour #333"),
# or these verbs of a code host right before it ("fixes #45", "reverted #254"; not "Resolved: #347424").
NOT_INCIDENT_BEFORE = re.compile(
    r"\b(?:PRs?|MRs?|pull requests?|merge requests?|issues?|tickets?|bugs?|commits?|step|item|page|line|no\.?|number|"
    r"channel|colou?rs?|background|foreground|fill|stroke)\b[^.!?;#]{0,40}(?:#\d{1,7}\s*(?:,|and|or|/)\s*)*$"
    r"|\b(?:fix(?:es|ed)?|close[sd]?|resolve[sd]?|revert(?:s|ed)?|merged?)\s+(?:#\d{1,7}\s*(?:,|and|or|/)\s*)*$",
    re.I,
)
# A colour written as a hex code with letters ("#fff", "#a1b2c3"): the text's 3- and 6-digit `#N` are colours too.
HEX_COLOUR = re.compile(r"(?<![\w&#])#(?=[0-9a-f]*[a-f])(?:[0-9a-f]{3}|[0-9a-f]{6})\b", re.I)
# `[#365](https://…)`, `[#11134]` (a reference link), `[PR #428](…)`: numbers of a code host's pull requests and issues.
LINKED_NUMBER = re.compile(r"\[(?:[\w ]{0,20}\s)?#\d{1,7}\](?:\(|\[|:)?")


def numbers_are_links(markdown: str) -> bool:
    """Whether a document writes `#N` as links: then its bare `#N` are pull requests and issues too."""
    return bool(LINKED_NUMBER.search(markdown))


def incident_references(text: str, *, column: str = "", bare: bool = False) -> list[re.Match]:
    """The incident references of a text: `INC-236` anywhere; `#236` in an incidents column or field
    (`column` is its header or field name) or after the word "incident"; and, when `bare` (the document
    does not write its `#N` as links to pull requests and issues: `numbers_are_links`), a bare `#236`
    unless its sentence says it numbers something else ("PR #12", "fixes #45", "step #3", a colour)."""
    # A list, not a generator: most texts (every paragraph, list item and cell is asked) have neither shape.
    if "#" not in text:
        return list(INCIDENT_ID.finditer(text)) if "INC" in text else []
    in_column = bool(column) and bool(INCIDENT_COLUMN.search(column))
    colours = None  # whether the text writes a colour, searched for the first `#N` it could be one of
    found = list(INCIDENT_ID.finditer(text)) if "INC" in text else []
    for match in INCIDENT_REF.finditer(text):
        before = text[max(0, match.start() - 80) : match.start()]
        if in_column or INCIDENT_WORD_BEFORE.search(before):
            found.append(match)
        elif bare and not NOT_INCIDENT_BEFORE.search(before):
            if len(match.group(1)) in (3, 6) and colours is None:
                colours = bool(HEX_COLOUR.search(text))
            if not (colours and len(match.group(1)) in (3, 6)):
                found.append(match)
    return sorted(found, key=lambda m: m.start())


def cell_columns(headers: list[str], row: list[str]) -> list[tuple[str, str]]:
    """Each cell of a table row with what names its value: the column header, and in a two-column
    key/value table ("| Incident | #241 |") the row's key too."""
    return [
        (cell, " ".join(filter(None, [headers[i] if i < len(headers) else "", row[0] if i and len(row) == 2 else ""])))
        for i, cell in enumerate(row)
    ]
