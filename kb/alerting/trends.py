"""One line that sums up a resolution history: "memory limit raised twice: 512Mi → 1Gi → 2Gi".

Pure functions, no database access. The quantity's name comes from the column headers
("Old Limit"/"New Limit" → "limit"); the direction from comparing the values with their units
(Kubernetes quantities such as 512Mi, 1Gi, 500m; byte sizes such as 2GB; durations when the
column is a timeout or an interval; plain counts such as replicas).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

OLD_HEADER = re.compile(r"^\s*(old|before|from|previous|prev|was|initial)\b[\s:_-]*", re.I)
NEW_HEADER = re.compile(r"^\s*(new|after|to|current|now|final)\b[\s:_-]*", re.I)
TIME_WORDS = re.compile(r"timeout|interval|period|duration|retention|ttl|delay|age|window|backoff|deadline", re.I)
RESOURCE_WORDS = re.compile(r"^(limits?|requests?|resources?)$", re.I)

NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*([A-Za-z%]*)")
BYTES = {
    "b": 1,
    "k": 1e3,
    "kb": 1e3,
    "m": 1e6,
    "mb": 1e6,
    "g": 1e9,
    "gb": 1e9,
    "t": 1e12,
    "tb": 1e12,
    "p": 1e15,
    "pb": 1e15,
    "ki": 2**10,
    "kib": 2**10,
    "mi": 2**20,
    "mib": 2**20,
    "gi": 2**30,
    "gib": 2**30,
    "ti": 2**40,
    "tib": 2**40,
    "pi": 2**50,
    "pib": 2**50,
}
SECONDS = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
COUNT_WORDS = re.compile(
    r"^(x|replicas?|pods?|nodes?|instances?|workers?|cores?|cpus?|vcpus?|threads?|shards?|)$", re.I
)


@dataclass(frozen=True)
class Change:
    old: str
    new: str
    date: date | None = None


@dataclass(frozen=True)
class Quantity:
    value: float
    dimension: str  # bytes, seconds, count, percent


def quantity(text: str, *, time: bool = False) -> Quantity | None:
    """The first quantity written in `text`: `1Gi`, `500m` (millicores), `3 replicas`, `30s` when `time`."""
    match = NUMBER.search(text or "")
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2)
    key = unit.lower()
    if time and key in SECONDS:
        return Quantity(number * SECONDS[key], "seconds")
    if unit == "m":  # Kubernetes milli-units (CPU); an "M" is mega
        return Quantity(number / 1000, "count")
    if unit == "%":
        return Quantity(number, "percent")
    if key in BYTES:
        return Quantity(number * BYTES[key], "bytes")
    if COUNT_WORDS.match(unit):
        return Quantity(number, "count")
    return None


def quantity_name(headers: Sequence[str]) -> str:
    """ "Old Limit"/"New Limit" → "limit"; "Before"/"After" → "value"."""
    names = []
    for pattern in (OLD_HEADER, NEW_HEADER):
        for header in headers:
            match = pattern.match(header)
            if match:
                rest = header[match.end() :].strip(" :()").lower()
                if rest:
                    names.append(rest)
                break
    return names[0] if names else "value"


def trend_line(*, headers: Sequence[str], changes: Sequence[Change]) -> str | None:
    """ "memory limit raised twice: 512Mi → 1Gi → 2Gi", or None when the history records no values."""
    rows = [c for c in changes if c.old.strip() or c.new.strip()]
    if not rows:
        return None
    if all(c.date for c in rows):
        rows.sort(key=lambda c: c.date)
    name = quantity_name(headers)
    time = bool(TIME_WORDS.search(name))

    chain: list[str] = []
    raised = lowered = kept = other = 0
    for row in rows:
        old, new = row.old.strip(), row.new.strip()
        if old and (not chain or _differs(chain[-1], old, time)):
            chain.append(old)
        if new and (not chain or _differs(chain[-1], new, time)):
            chain.append(new)
        direction = _direction(old, new, time)
        raised += direction == "raised"
        lowered += direction == "lowered"
        kept += direction == "kept"
        other += direction == "changed"

    name = _qualified(
        name, [q for c in rows for q in (quantity(c.old, time=time), quantity(c.new, time=time)) if q], rows
    )
    path = " → ".join(chain)
    moved = raised + lowered + other
    if not moved:
        return f"{name} unchanged at {path} in {_count(kept, 'entry', 'entries')}"
    if raised and not lowered and not other:
        line = f"{name} raised {_times(raised)}: {path}"
    elif lowered and not raised and not other:
        line = f"{name} lowered {_times(lowered)}: {path}"
    else:
        detail = ", ".join(f"{word} {_times(n)}" for word, n in (("raised", raised), ("lowered", lowered)) if n)
        line = f"{name} changed {_times(moved)}" + (f" ({detail})" if detail else "") + f": {path}"
    if kept:
        line += f"; unchanged {_times(kept)}"
    return line


def _direction(old: str, new: str, time: bool) -> str:
    if not old or not new:
        return "changed" if (old or new) else "kept"
    a, b = quantity(old, time=time), quantity(new, time=time)
    if a and b and a.dimension == b.dimension:
        if b.value > a.value:
            return "raised"
        if b.value < a.value:
            return "lowered"
        return "kept"
    return "kept" if old == new else "changed"


def _differs(a: str, b: str, time: bool) -> bool:
    return _direction(a, b, time) != "kept"


def _qualified(name: str, quantities: list[Quantity], rows: Sequence[Change]) -> str:
    """A bare "limit" of bytes is a memory limit; of millicores, a CPU limit."""
    if not RESOURCE_WORDS.match(name) or not quantities:
        return name
    if all(q.dimension == "bytes" for q in quantities):
        return f"memory {name}"
    if any(re.search(r"\d\s*m\b", f"{c.old} {c.new}") for c in rows) and all(
        q.dimension == "count" for q in quantities
    ):
        return f"CPU {name}"
    return name


def _times(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
