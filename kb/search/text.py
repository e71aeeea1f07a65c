"""Text as search sees it: identifiers and their parts, plain text, words, spelling distance. Pure, no database."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from itertools import chain

from kb.markdown.identifiers import IDENTIFIER, identifier_parts

# A run of any script's letters and digits: a word as FTS5's unicode61 and PostgreSQL's parser read it ("zürich",
# "größe"), and `IDENTIFIER`'s parts in a text with letters beyond ASCII (`identifiers`).
LETTERS = re.compile(r"[^\W_]+")
ANY_IDENTIFIER = re.compile(r"[^\W_]+(?:[_.\-][^\W_]+)*")
OTHER_LETTER = re.compile(r"[^\W\x00-\x7f]")
MIN_WORD, MAX_WORD = 3, 64

# Where a document's whole search row has each section (kb.search.index writes them): in its text, before the
# heading, between the heading and the section's text, and in its identifiers' terms, before each section's. They are
# characters `str.split` (so `squeeze`, what a reader is shown) and FTS5 take for spaces; PostgreSQL's vector of the
# row holds each as a word no text has (`SECTION_WORDS`, migration 0029), whose positions say where each section's
# words are (kb.search.engines.postgres), so that its sections' rows need no vector of their own.
SECTION_MARK, SECTION_BODY_MARK, SECTION_TERMS_MARK = "\x1c", "\x1d", "\x1e"
SECTION_WORDS = {SECTION_MARK: "kb0section", SECTION_BODY_MARK: "kb0body", SECTION_TERMS_MARK: "kb0terms"}


def joined(token: str) -> str:
    """An identifier as one lower-case word: `container_oom_events_total` → containeroomeventstotal."""
    return "".join(LETTERS.findall(token.lower()))


def is_compound(token: str) -> bool:
    return len(identifier_parts(token)) > 1


def identifier_terms(text: str, found: list[str] | None = None) -> str:
    """Each compound identifier in `text` written joined, as its parts and as neighbouring parts joined,
    so that `HomelabPodOOMKilled` is found by "pod oom killed", "oomkilled" and "podoom" alike; then the words of
    its paths (`_path_words`). `found`:
    `identifiers(text)`, when the caller has them. The terms are words as `vocabulary` reads them."""
    tokens = identifiers(text) if found is None else found
    # Mapped, not generated: a generator's frame resumed for each term cost more than the terms' lookups.
    terms = chain.from_iterable(map(_terms_of, dict.fromkeys(tokens)))
    return " ".join(chain(terms, _path_words(text)) if "/" in text else terms)


def _path_words(text: str) -> list[str]:
    """The words between the slashes of a path ("/var/lib/kubelet/pods": "var", "lib", "kubelet", "pods"), which
    PostgreSQL's parser reads as one word, so that a query finds a folder by its name on either engine (FTS5 splits
    a path itself: there they count twice, as a dotted name's parts do). A compound one ("kube-proxy", "nginx.conf")
    is written by `_terms_of` already."""
    words = (
        token.lower()
        for path in text.split()  # a word holding a slash: a path, an address, "read/write"
        if "/" in path
        for segment in path.split("/")
        for token in identifiers(segment)
        if len(token) >= MIN_WORD and not token.isdigit() and len(identifier_parts(token)) == 1
    )
    return list(dict.fromkeys(words))


def identifiers(text: str) -> list[str]:
    """The identifiers of a text in order; those of texts joined by spaces are theirs one after the other. Their
    letters are any script's ("/srv/Übung/Größe.conf" holds "srv", "Übung" and "Größe.conf", which IDENTIFIER alone
    cut into "srv", "bung", "Gr" and "e.conf": the words PostgreSQL's vector then lacked, and a query asked). A
    text with no such letter (most: an em dash is no letter) is read by IDENTIFIER, a third faster, to the same."""
    if text.isascii() or not OTHER_LETTER.search(text):
        return IDENTIFIER.findall(text)
    return ANY_IDENTIFIER.findall(text)


@lru_cache(maxsize=65536)
def _terms_of(token: str) -> tuple[str, ...]:
    # Remembered: the same identifiers recur in every document of an import (a third of its search rows' time).
    parts = identifier_parts(token)
    if len(parts) < 2:
        return ()
    pairs = [a + b for a, b in zip(parts, parts[1:])] if len(parts) > 2 else []
    return (joined(token), *parts, *pairs)


TAG = re.compile(r"<[^>]*>")


def html_text(markup: str) -> str:
    """HTML as the words a reader sees, for matching and snippets."""
    return squeeze(html.unescape(TAG.sub(" ", markup)))


def squeeze(text: str) -> str:
    # `str.split()` splits where `\s+` matches (both are `str.isspace`), in a fifth of the time of `re.sub`.
    return " ".join(text.split())


def vocabulary(*texts: str, terms: str = "") -> set[str]:
    """The words worth knowing for spelling corrections: lower case, with a letter (of any script), of a sensible length.
    `terms`: `identifier_terms`' output, whose terms are such words already (lower-case letters and digits):
    split, not searched, after the texts' words."""
    # Each word tested once, not once each time the text holds it.
    words = set(terms.split())
    for text in texts:
        words.update(LETTERS.findall(text.lower()))
    return {word for word in words if MIN_WORD <= len(word) <= MAX_WORD and not word.isdigit()}


def trigrams(word: str) -> set[str]:
    """The trigrams pg_trgm takes from one word: padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
