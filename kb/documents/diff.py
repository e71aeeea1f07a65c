"""Line diffs between two texts, for the revision history and the conflict page. Pure."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass
class DiffLine:
    kind: str  # "added", "removed", "context", "hunk" or "file"
    text: str


def text_diff(old: str, new: str, *, old_label: str, new_label: str, context: int = 3) -> list[DiffLine]:
    """A unified diff as lines the template marks up (and escapes); empty when the texts are equal."""
    lines = difflib.unified_diff(
        old.replace("\r\n", "\n").splitlines(),
        new.replace("\r\n", "\n").splitlines(),
        fromfile=old_label,
        tofile=new_label,
        lineterm="",
        n=context,
    )
    diff = []
    for line in lines:
        if line.startswith(("---", "+++")) and len(diff) < 2:
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "added"
        elif line.startswith("-"):
            kind = "removed"
        else:
            kind = "context"
        diff.append(DiffLine(kind, line))
    return diff
