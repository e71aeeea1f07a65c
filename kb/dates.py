"""Finds the first calendar date in a piece of text, in the forms people write in documents."""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
         ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
         ("oct", "october"), ("nov", "november"), ("dec", "december")],
        start=1,
    )
    for name in names
}
MONTH = r"(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
PATTERNS = [
    (re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b"), ("y", "m", "d")),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+" + MONTH + r",?\s+(\d{4})\b", re.I), ("d", "M", "y")),
    (re.compile(r"\b" + MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I), ("M", "d", "y")),
    (re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b"), ("d", "m", "y")),
]


def parse(text: str) -> date | None:
    """The earliest-placed date in `text`, or None. Ambiguous forms such as 03/04/2026 are not guessed."""
    if not text:
        return None
    found: list[tuple[int, date]] = []
    for pattern, order in PATTERNS:
        for match in pattern.finditer(text):
            parts = dict(zip(order, match.groups()))
            month = MONTHS[parts["M"].lower()] if "M" in parts else int(parts["m"])
            try:
                found.append((match.start(), date(int(parts["y"]), month, int(parts["d"]))))
            except ValueError:
                continue
            break
    return min(found)[1] if found else None
