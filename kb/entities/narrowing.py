"""Searching the grammar's patterns (kb.entities.grammar) only where they can match: what a text
must hold for each (`NEEDS`, `WORDS`, the context rules' `KEYWORDS`), looked for first, and the
patterns that name first searched from near their neighbour (`_name_first`), those that begin with a noun
tried only where it is (`_word_first`). Each finds exactly
what the pattern's own `finditer` finds (tests/entities/test_grammar_matches.py), sooner.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator

from kb.entities.grammar import (
    ABSOLUTE_PATH,
    ALERT_AFTER,
    ALERT_BEFORE,
    BARE_FILE,
    CAMEL_TOKEN,
    CONTEXT_RULES,
    COORDINATED,
    EXTENSIONS,
    IPV4,
    METRIC_CONTEXT,
    METRIC_TOKEN,
    NAME_BEFORE_NEIGHBOUR,
    PM_REFERENCE,
    QUOTE,
    RELATIVE_PATH,
    X_FIRST,
)
from kb.entities.names import FOLDS_TO_ASCII
from kb.markdown.dates import MONTHS

# What must occur in a text for a pattern to match at all, and is quickly found: a pattern whose
# name comes before its noun ("`velero` namespace", "DiskFull fires") tries a name at every position
# of a text (two thirds of the time spent on neighbours went there, before).
NEEDS = {
    **{
        pattern: re.compile(pattern.pattern.removeprefix(X_FIRST), pattern.flags)
        for _, pattern, _ in CONTEXT_RULES
        if pattern.pattern.startswith(X_FIRST)
    },
    ALERT_AFTER: re.compile(ALERT_AFTER.pattern.removeprefix(NAME_BEFORE_NEIGHBOUR + QUOTE), re.I),
    METRIC_CONTEXT: re.compile(r"metric|gauge|counter|histogram|series", re.I),
}


# Words a context rule's match holds (one of each group), lower-cased: a text lacking them is not
# searched at all (most passages lack the neighbours of most rules; searching cost more than looking).
COMPONENT_WORDS = (
    "pod", "container", "deploy", "set", "service", "svc", "app", "job", "sidecar", "operator", "controller", "binar", "process"
)  # fmt: skip
KEYWORDS: dict[re.Pattern, tuple[tuple[str, ...], ...]] = {
    pattern: keywords
    for (_, pattern, _), keywords in zip(
        CONTEXT_RULES,
        [
            (("namespace",),),
            (("namespace",),),
            (("-n",),),
            (("namespace",),),
            (("node", "host", "machine", "vm", "server"),),
            (("node", "host", "machine", "vm"),),
            (("pod", "container", "run", "ran", "scheduled", "landed", "stuck"), ("on",)),
            (("ssh",),),
            (("node", "instance", "host"),),
            (COMPONENT_WORDS,),
            (COMPONENT_WORDS,),
            (("container", "pod", "deployment", "daemonset", "statefulset", "app", "job", "service"),),
            (("app.kubernetes.io/",),),
        ],
        strict=True,
    )
}


# What a component noun before its name begins with (`grammar.COMPONENT_NOUNS`).
COMPONENT_STARTS = (
    "pod", "container", "deploy", "daemon", "statefulset", "replicaset", "service", "svc", "app", "job", "cron",
    "sidecar", "operator", "controller", "binar", "process",
)  # fmt: skip

KEYWORD_WORDS = tuple(sorted({word for keywords in KEYWORDS.values() for group in keywords for word in group}))


@functools.lru_cache(maxsize=4096)
def _rules_with(present: frozenset[str]) -> tuple[tuple[str, re.Pattern, bool], ...]:
    return tuple(rule for rule in CONTEXT_RULES if all(not present.isdisjoint(group) for group in KEYWORDS[rule[1]]))


# Each passage's text is asked for by four kinds of hits in turn.
@functools.lru_cache(maxsize=64)
def lowered_text(text: str) -> str | None:
    """`text` lower-cased for keywords; None where `re.I` finds an ASCII word `str.lower` hides (`FOLDS_TO_ASCII`)."""
    return None if FOLDS_TO_ASCII.search(text) else text.lower()


def context_rules_in(lowered: str | None) -> tuple[tuple[str, re.Pattern, bool], ...]:
    """The `CONTEXT_RULES` whose `KEYWORDS` a text holds (`lowered`: `lowered_text` of it), looked up once
    rather than rule by rule (that cost more than the searches did): the others cannot match."""
    if lowered is None:
        return tuple(CONTEXT_RULES)
    return _rules_with(frozenset([word for word in KEYWORD_WORDS if word in lowered]))


def matches(pattern: re.Pattern, text: str, lowered: str | None = None) -> Iterator[re.Match]:
    """`pattern.finditer(text)`, skipped when what it needs is not in the text: one of its `WORDS`,
    looked for in `lowered` (`lowered_text`) when given, then its `NEEDS`."""
    words, cased_words, starts, needed, lower_needed, name_first, bound = _PLANS.get(id(pattern), _NO_PLAN)
    haystack = text
    if lowered is not None:
        if words is not None:
            for word in words:
                if word in lowered:
                    break
            else:
                for word in cased_words:
                    if word in text:
                        break
                else:
                    return iter(())
        if starts is not None:
            return _word_first(pattern, starts, text, lowered)
        if lower_needed is not None:
            needed, haystack = lower_needed, lowered
    if name_first:
        return _name_first(pattern, needed, text, haystack, bound)
    if needed is not None and not needed.search(haystack):
        return iter(())
    return pattern.finditer(text)


def _name_first(
    pattern: re.Pattern,
    needed: re.Pattern,
    text: str,
    haystack: str,
    bound: Callable[[str, re.Match], int] | None = None,
) -> Iterator[re.Match]:
    """`pattern.finditer(text)` for a pattern whose name (no whitespace in it) comes before the neighbour
    `needed` finds, whitespace at most between them (or the neighbour in the name, or the match beginning
    with it): each search starts at the word before the next place the neighbour is, not at every word of
    the text (where no match can begin, since the first neighbour after a match's start is its own, or one
    before it, and the name holds no whitespace). The neighbour is looked for in `haystack`: `text`, or its
    `lowered_text` for a `needed` without `re.I` (`_LOWER_NEEDS`).

    `bound`: where a match beginning in the word before the neighbour (or in the neighbour's) ends at the latest
    (`_BOUNDS_BY_ID`), and only those are searched for: searched on, a text with no other match was read to its end
    at every position, trying a name and its neighbour at each word. Where none is, the next match begins after
    the neighbour's first character (it may begin with the neighbour's noun)."""
    position = 0
    while (neighbour := needed.search(haystack, position)) is not None:
        start = neighbour.start()
        while start > position and text[start - 1].isspace():
            start -= 1
        while start > position and not text[start - 1].isspace():
            start -= 1
        if bound is not None:
            match = pattern.search(text, start, bound(text, neighbour))
            if match is None:
                position = neighbour.start() + 1
                continue
        else:
            match = pattern.search(text, start)
            if match is None:
                return
        yield match
        position = match.end()


def _word_first(pattern: re.Pattern, starts: tuple[str, ...], text: str, lowered: str) -> Iterator[re.Match]:
    """`pattern.finditer(text)` for a pattern every match of which begins with one of `starts` (lower-cased):
    tried only where one of them is in `lowered` (`lowered_text`, as long as the text, each character in its
    place), not at every position of the text, where its leading `\\b` and alternation of nouns cost most."""
    places = set()
    for start in starts:
        at = lowered.find(start)
        while at >= 0:
            places.add(at)
            at = lowered.find(start, at + 1)
    end = 0
    for at in sorted(places):
        if at >= end and (match := pattern.match(text, at)) is not None:
            yield match
            end = match.end()


# Every reference has a word for a post-mortem, or "incident" or "outage".
NEEDS[PM_REFERENCE] = re.compile(r"PM|PIR|(?i:post|retro|incident|outage)")
# An address has a dot between digits; a CamelCase token a capital after a letter or digit: most prose has neither,
# and both patterns begin with a lookbehind, tried at every position of the text. Each need is written from its
# rarer character, the other looked behind: the search skips to the dots and the capitals rather than trying a
# match at every digit or letter (over the 100 files' passages, 42.3 -> 16.0 M instructions and 71.5 -> 33.2 M).
NEEDS[IPV4] = re.compile(r"\.(?<=\d\.)\d")
NEEDS[CAMEL_TOKEN] = re.compile(r"[A-Z](?<=[A-Za-z0-9][A-Z])")
# A path has its slash and a metric token its underscore after a name's first characters (no whitespace
# between): searched from the word before the first one, not from every word.
NEEDS[ABSOLUTE_PATH] = NEEDS[RELATIVE_PATH] = re.compile("/")
NEEDS[METRIC_TOKEN] = re.compile("_")
# Two names side by side: their separator, most passages have one, but searched from it, not from every word.
# Each alternative begins with its character (the word boundary before "and" and "or" checked after it), so
# that the search skips to those few characters rather than trying `\b` at every position.
NEEDS[COORDINATED] = re.compile(r"\+|,|&|/|a(?<!\w.)(?=nd\b)|o(?<!\w.)(?=r\b)")
# A file name ends with one of its extensions: most passages with a dot have none.
NEEDS[BARE_FILE] = re.compile(rf"\.(?:{EXTENSIONS.replace('|go|', '|')})(?![\w/-])", re.I)

# One of these words (lower-cased) is in every match of the pattern: looked for with `in` before `NEEDS`,
# whose alternatives are tried at every position (for these, tried on every passage, it cost more than it saved).
WORDS: dict[re.Pattern, tuple[str, ...]] = {
    PM_REFERENCE: ("post", "retro", "incident", "outage"),
    ALERT_BEFORE: ("alert",),
    ALERT_AFTER: ("alert", "fires", "fired", "firing", "triggered", "went off"),
    METRIC_CONTEXT: ("metric", "gauge", "counter", "histogram", "series"),
}
# Words as written, one of which or of the pattern's `WORDS` is in every match: "PM" and "PIR" in capitals (a
# lower-cased "pm" is in "deployment" and "npm": nine passages in ten held one of the words, one in forty the needs).
CASED_WORDS: dict[re.Pattern, tuple[str, ...]] = {PM_REFERENCE: ("PM", "PIR")}
# The noun-first context rules and "alert X": the words (lower-cased) one of which each match begins with.
STARTS: dict[re.Pattern, tuple[str, ...]] = {
    pattern: starts
    for (_, pattern, _), starts in zip(
        CONTEXT_RULES,
        [
            ("namespace",),
            None,
            None,
            ("namespace",),
            ("node", "host", "machine", "vm", "server"),
            None,
            ("pod", "container", "run", "ran", "scheduled", "landed", "stuck"),
            ("ssh",),
            ("node", "instance", "host"),
            COMPONENT_STARTS,
            None,
            ("container", "pod", "deployment", "daemonset", "statefulset", "app", "job", "service"),
            ("app.kubernetes.io/",),
        ],
        strict=True,
    )
    if starts is not None
}
STARTS[ALERT_BEFORE] = ("alert",)
# By id(): hashing a compiled pattern hashes its compiled code (22 µs for PM_REFERENCE, twice a passage).
_WORDS_BY_ID = {id(pattern): words for pattern, words in WORDS.items()}
_STARTS_BY_ID = {id(pattern): starts for pattern, starts in STARTS.items()}
_CASED_WORDS_BY_ID = {id(pattern): words for pattern, words in CASED_WORDS.items()}
_NEEDS_BY_ID = {id(pattern): needed for pattern, needed in NEEDS.items()}
# The `re.I` needs, without it, for a text's `lowered_text`: where `re.I` and `str.lower` agree (no `FOLDS_TO_ASCII`,
# ASCII letters in the needs), they find the same places, and an alternation of literals compiled without `re.I`
# has each branch tried only where its first character is (with it, every branch is tried at every whitespace).
_LOWER_NEEDS_BY_ID = {
    id(pattern): re.compile(needed.pattern, needed.flags & ~re.I)
    for pattern, needed in NEEDS.items()
    if needed.flags & re.I and needed.pattern.isascii() and needed.pattern == needed.pattern.lower()
}
# A post-mortem reference's words, in `lowered_text`, are exactly its needs (`WORDS` and `CASED_WORDS`); what it needs
# besides is the day or the date it names: a date has its year, a day its month's name (37 of the 82 passages with
# the words had a digit, one a year or a month; the reference itself was tried at every position of the 37).
_LOWER_NEEDS_BY_ID[id(PM_REFERENCE)] = re.compile(
    r"\d{4}|\b(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"
)
# Where a match of a name-first pattern that begins before its neighbour ends at the latest (`_name_first`). Those
# whose `NEEDS` is what follows their name (the name-first context rules, "X fires") end where it does: their
# whitespace begins after the name, where the neighbour's does, and the rest is the same expression. A metric and
# its noun, either first, end in the word after the noun's: the noun's word or the one before it holds the match's
# first word, and a match is two words. Searched up to the bound, these read nothing past it but a `\b`, true at the
# bound as in the whole text (the neighbour's own, or a word's end before whitespace or the text's end).
_TWO_WORDS = re.compile(r"\S*\s*\S*")
_BOUNDS_BY_ID: dict[int, Callable[[str, re.Match], int]] = {
    **{
        id(pattern): lambda text, neighbour: neighbour.end()
        for pattern in [pattern for _, pattern, _ in CONTEXT_RULES if pattern.pattern.startswith(X_FIRST)]
        + [ALERT_AFTER]
    },
    id(METRIC_CONTEXT): lambda text, neighbour: _TWO_WORDS.match(text, neighbour.start()).end(),
}
# The patterns searched from near the first place their `NEEDS` is (`_name_first`): a match holds no whitespace
# before the place its own `NEEDS` is, but right before it (a name and its neighbour, a metric before or after
# its noun, a path and its slash, a CamelCase token and its capital after a letter or a digit).
_NAME_FIRST_IDS = frozenset(
    [id(pattern) for _, pattern, _ in CONTEXT_RULES if pattern.pattern.startswith(X_FIRST)]
    + [
        id(pattern)
        for pattern in (
            ALERT_AFTER,
            COORDINATED,
            ABSOLUTE_PATH,
            RELATIVE_PATH,
            METRIC_TOKEN,
            METRIC_CONTEXT,
            CAMEL_TOKEN,
        )
    ]
)
# A pattern's entries in the tables above, read in one lookup, not six: a passage is searched a dozen times (the
# evidence of 200 generated documents, 2.19 -> 2.12 G instructions).
_PLANS = {
    key: (
        _WORDS_BY_ID.get(key),
        _CASED_WORDS_BY_ID.get(key, ()),
        _STARTS_BY_ID.get(key),
        _NEEDS_BY_ID.get(key),
        _LOWER_NEEDS_BY_ID.get(key),
        key in _NAME_FIRST_IDS,
        _BOUNDS_BY_ID.get(key),
    )
    for key in {
        *_WORDS_BY_ID,
        *_CASED_WORDS_BY_ID,
        *_STARTS_BY_ID,
        *_NEEDS_BY_ID,
        *_LOWER_NEEDS_BY_ID,
        *_NAME_FIRST_IDS,
    }
}
_NO_PLAN = (None, (), None, None, None, False, None)
