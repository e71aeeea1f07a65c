"""Finding names already known in a text: whole names (not part of a longer word, path or name), in
any case, the longest first. Pure: strings in, matches out.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate


def name_pattern(names: Iterable[str]) -> re.Pattern | None:
    """One case-insensitive pattern that finds any of the names as a whole name, longest first."""
    ordered = sorted({n for n in names if n}, key=len, reverse=True)
    if not ordered:
        return None
    alternation = "|".join(re.escape(n) for n in ordered)
    return re.compile(rf"(?<![\w\-.@/$])(?:{alternation})(?![\w\-/]|\.\w)", re.I)


# The only characters besides ASCII that `re.I` matches with an ASCII letter (`İ ı ſ K`, the Kelvin sign):
# in a text without them, a lower-cased ASCII name found with `str.find` is what the pattern finds.
FOLDS_TO_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")


def _is_word(char: str) -> bool:
    """`\\w`, as `re` reads it in a text."""
    return char.isalnum() or char == "_"


class NameMatch:
    """The part of `re.Match` that the finders' callers read. Slots and a plain `__init__`, not a frozen dataclass's,
    which sets each field through `object.__setattr__`: a document's linking makes hundreds (linking 2,000 documents:
    518-523 -> 497-498 ms)."""

    __slots__ = ("string", "begin", "finish")

    def __init__(self, string: str, begin: int, finish: int) -> None:
        self.string, self.begin, self.finish = string, begin, finish

    def group(self) -> str:
        return self.string[self.begin : self.finish]

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish


class NameFinder:
    """`name_pattern(names).finditer`, the same matches without compiling a pattern: a document's
    names differ from the next one's, and compiling their alternation cost more than finding them.
    ASCII names are looked for lower-cased with `str.find` (where `re.I` and `str.lower` agree: any
    text without `FOLDS_TO_ASCII`); other names and texts go to the pattern."""

    def __init__(self, names: Iterable[str]):
        self.names = sorted({n for n in names if n}, key=len, reverse=True)
        self.lowered = [n.lower() for n in self.names]
        self.ascii = all(n.isascii() for n in self.names)
        self._pattern: re.Pattern | None = None

    def __bool__(self) -> bool:
        return bool(self.names)

    def finditer(self, text: str) -> Iterator[NameMatch | re.Match]:
        if not self.names:
            return iter(())
        if not self.ascii or (not text.isascii() and FOLDS_TO_ASCII.search(text)):
            if self._pattern is None:
                self._pattern = name_pattern(self.names)
            return self._pattern.finditer(text)  # type: ignore[union-attr]
        return self._ascii_matches(text)

    def finditer_each(self, texts: Sequence[str]) -> Iterator[tuple[int, int, int]]:
        """(index of the text, start, end) of what `finditer` finds in each of `texts`, in order: found once
        over the texts joined by NUL, which no name holds and which bounds a name as a text's start and end
        do (a document's hundreds of passages, a search of each name in each, were most of finding them)."""
        joined = "\x00".join(texts)
        if joined.count("\x00") != max(len(texts) - 1, 0) or any("\x00" in name for name in self.names):
            for n, text in enumerate(texts):
                yield from ((n, m.start(), m.end()) for m in self.finditer(text))
            return
        starts = list(accumulate((len(text) + 1 for text in texts), initial=0))
        for match in self.finditer(joined):
            n = bisect_right(starts, match.start()) - 1
            yield n, match.start() - starts[n], match.end() - starts[n]

    def _ascii_matches(self, text: str) -> Iterator[NameMatch]:
        lowered = text.lower()
        lengths: dict[int, list[int]] = {}  # where a name starts: the lengths of those that do, longest first
        for name in self.lowered:  # longest first
            at = lowered.find(name)
            while at >= 0:
                lengths.setdefault(at, []).append(len(name))
                at = lowered.find(name, at + 1)
        size, after = len(text), 0
        for start in sorted(lengths):
            if start < after or (start and (_is_word(text[start - 1]) or text[start - 1] in "-.@/$")):
                continue
            for length in lengths[start]:
                end = start + length
                if end < size and (
                    _is_word(text[end])
                    or text[end] in "-/"
                    or (text[end] == "." and end + 1 < size and _is_word(text[end + 1]))
                ):
                    continue
                yield NameMatch(text, start, end)
                after = end
                break
