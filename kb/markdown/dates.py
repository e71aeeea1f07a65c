"""Finds the first calendar date in a piece of text, in the forms people write in documents."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
# The pieces of a date: year, month number, day, month name.
PIECES = {
    "y": r"\d{4}",
    "m": r"\d{1,2}",
    "d": r"\d{1,2}",
    "M": "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")",
}
ORDINAL = r"(?:st|nd|rd|th)?"
# The end of a range of days ("3-5", "3rd – 5th"): the range gives its first day.
TO_DAY = r"(?:\s*[-–]\s*\d{{1,2}}" + ORDINAL + ")?"
FORMS = (
    r"{y}[-/.]{m}[-/.]{d}",  # 2026-05-16, 2026/05/16
    r"{d}" + ORDINAL + TO_DAY + r"\.?\s+(?:of\s+)?{M}\.?,?\s+{y}",  # 16 May 2026, 16th of Sept. 2026, 3-5 May 2026
    r"{M}\.?\s+{d}" + ORDINAL + TO_DAY + r",?\s+{y}",  # May 16th, 2026; March 3-5, 2024
    r"{d}\.{m}\.{y}",  # 16.05.2026
)


def _form(form: str, *, named: bool) -> str:
    pieces = {key: f"(?P<{key}>{piece})" if named else piece for key, piece in PIECES.items()}
    return r"\b" + form.format(**pieces) + r"\b"


PATTERNS = [re.compile(_form(form, named=True), re.I) for form in FORMS]
# Any date `parse` reads, as a pattern without groups (case-insensitive by itself), to find dates among other words.
DATE_TEXT = "(?i:" + "|".join(_form(form, named=False) for form in FORMS) + ")"


def parse(text: str) -> date | None:
    """The earliest-placed date in `text`, or None. Ambiguous forms such as 03/04/2026 are not guessed."""
    if not text:
        return None
    found: list[tuple[int, date]] = []
    for pattern in PATTERNS:
        for match in pattern.finditer(text):
            parts = match.groupdict()
            month = MONTHS[parts["M"].lower()] if "M" in parts else int(parts["m"])
            try:
                found.append((match.start(), date(int(parts["y"]), month, int(parts["d"]))))
            except ValueError:
                continue
            break
    return min(found)[1] if found else None


# A review period as runbooks write it in front matter: `review_in: 6 months`, `90d`, `2 weeks`, `1y`.
PERIOD = re.compile(r"^\s*(\d{1,4})\s*(d|days?|w|wks?|weeks?|m|mos?|months?|y|yrs?|years?)\s*$", re.I)


def after_period(start: date, period: str) -> date | None:
    """The day `period` after `start` (a month later is the same day of the next month, or its last day);
    None when the period is not one of the forms above."""
    match = PERIOD.match(period or "")
    if match is None:
        return None
    count, unit = int(match.group(1)), match.group(2)[0].lower()
    if unit in "dw":
        return start + timedelta(days=count * (7 if unit == "w" else 1))
    months = start.month - 1 + count * (12 if unit == "y" else 1)
    year, month = start.year + months // 12, months % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
