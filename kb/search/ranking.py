"""Search: one function, `search()`, whichever database is underneath.

The query is understood once, in Python, the same way for both engines: websearch syntax
(`"a phrase"`, `-excluded`, `or`), identifiers typed whole or in parts, words glued together, typos
corrected against the indexed vocabulary. An engine (kb.search.engines) then scores each term in
each document with the database's own ranking, weighted by column: PostgreSQL's `ts_rank` over a
GIN-indexed weighted tsvector, SQLite's FTS5 `bm25()`. The scores are combined here, the same way
for both: rarer terms count more, a document that covers more of the query counts more, and so does
one whose title is mostly words of the query (compared by a crude stem of Python's, the same for both).
Runbooks of an alert named exactly come first.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from django.core.cache import cache
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kb.models import SearchKind
from kb.search.engines import current_engine
from kb.search.query import MARK_END, MARK_START, Query, Term
from kb.search.text import (
    ANY_IDENTIFIER,
    MIN_WORD,
    edit_distance,
    identifier_parts,
    identifiers,
    is_compound,
    joined,
    similarity,
    squeeze,
)

MAX_LIMIT = 100
MAX_TERMS = 12
TRIGRAM_THRESHOLD = 0.3  # pg_trgm's default similarity threshold, applied on both engines
# How much covering the whole query matters beside matching some of it strongly (a coordination factor).
COVERAGE_POWER = 1
# How much a title the query covers counts: a score is multiplied by 1 + TITLE_BONUS × the share of the
# title's words asked for (all of "Prometheus Bad Config" for "prometheus config reload": × 1 + 2 × 2/3).
TITLE_BONUS = 2.0
RESULTS_SECONDS = 300  # how long a worker keeps an answer (dropped sooner when the index changes)
TITLES_REMEMBERED = 4096  # a worker keeps the words of this many titles (a few hundred kB)
WORDS_REMEMBERED = 16384  # and the parts and stems of this many of their words (a few MB at most)


@dataclass(frozen=True)
class SearchHit:
    kind: str
    title: str
    alert: str
    url: str
    section: str  # the heading of the section `url` points into, when it does
    snippet: SafeString  # HTML: the text escaped, the matched words in <mark>
    score: float

    @property
    def kind_label(self) -> str:
        return SearchKind(self.kind).label


@dataclass(frozen=True)
class SearchResults:
    query: str
    corrected: str | None
    hits: list[SearchHit]


def search(*, query: str, limit: int = 20) -> SearchResults:
    """Runbooks, post-mortems and incidents for what an operator typed, best first.

    Answers are kept a few minutes (each worker its own, in Django's cache) under the index's stamp: during
    an incident the same alert name is searched again and again (by each operator, by live search as one
    types and deletes), and any write to what search reads changes the stamp, so nothing stale is shown.
    The stamp is read with which of the query's words the index knows (a few probes of a unique index):
    one round trip where an answer not kept took two. On PostgreSQL it also reads what the terms the query is asked
    when the index knows all its words (`_likely_terms`) stem to: when the statistics call them all common, they are
    not counted apart (one round trip less)."""
    return _answer(query, limit, kept=True)


def search_warm(*, query: str) -> int:
    """What the first searches on a new connection pay, paid now (a worker thread's start, kb.ops.warmup): `query`
    searched, and the statements whose text changes with a query's shape compiled where the engine keeps them
    (SQLite); returns how many. Without it each thread's first query of three words, then of four, compiled its
    own: the slowest of a new worker's first searches at 12,000 documents. `query` is searched even when its answer
    is kept: the worker's other thread warms up at the same time and keeps it first, and a thread that took the
    kept answer had run none of the statements after the stamp (the snippets' compiled in its first search, its page
    cache empty: that search was the slowest of the bench's 19, 13-21 ms over HTTP against a median of 10)."""
    _answer(query, 20, kept=False)
    return current_engine().statements_compiled()


def _answer(query: str, limit: int, *, kept: bool) -> SearchResults:
    """`search`'s answer, the one kept under the index's stamp when `kept`; else searched again (and kept)."""
    parsed, words = _parse(query)
    likely = _likely_terms(parsed, words)
    stamp, known, counts = current_engine().index_stamp(words=_asked(words), terms=likely)
    key = "search:" + hashlib.sha256(repr((stamp, query, limit)).encode()).hexdigest()
    results = cache.get(key) if kept else None
    if results is None:
        results = _search(query, limit, known=known, stamp=stamp, counted=(likely, counts))
        cache.set(key, results, RESULTS_SECONDS)
    return results


def _search(
    query: str, limit: int, *, known: set[str], stamp: tuple, counted: tuple[list[Term], list[int] | None]
) -> SearchResults:
    understood = understand(query, known=known)
    if not understood:
        return SearchResults(query=query, corrected=None, hits=[])
    engine = current_engine()
    # How many rows the index holds changes only with it: counted once under its stamp (up to 10,000 index
    # entries read, 0.5 to 1.5 ms of every search), not by every search.
    total_key = "search:total:" + hashlib.sha256(repr(stamp).encode()).hexdigest()
    terms, counts = counted
    rows, frequencies, total, exact = engine.candidates(
        understood,
        window=max(3 * limit, 60),
        total=cache.get(total_key),
        counts=counts if understood.scored == terms else None,
    )
    if rows:
        cache.set(total_key, total, RESULTS_SECONDS)
    by_score = _by_score(rows, frequencies, total, understood, weigh_rarity=not engine.RANKS_BY_RARITY)
    ranked = _exact_alert_first(by_score, exact)[:limit]
    snippets = engine.snippets(understood, ranked)
    top = max((r["score"] for r in ranked), default=0) or 1
    hits = []
    for row in ranked:
        url, section, snippet = snippets.get(row["id"]) or (row["url"], "", row["lead"])
        hits.append(
            SearchHit(
                kind=row["kind"],
                title=row["title"],
                alert=row["alert"],
                url=url,
                section=section,
                snippet=_safe_snippet(snippet),
                # 0 to 1 relative to the best hit; runbooks of an alert named exactly get 1 more.
                score=round(row["score"] / top + (1 if row.get("exact") else 0), 4),
            )
        )
    return SearchResults(query=query, corrected=understood.corrected, hits=hits)


# --- understanding the query --------------------------------------------------------------

QUERY_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def understand(text: str, *, known: set[str] | None = None) -> Query:
    """The query as the engines are asked it. `known`: those of the words `_asked` gives that the index
    knows, when read already (with the index's stamp); else they are read here."""
    query, words = _parse(text)
    # "kube api down" names KubeAPIDown as surely as typing it whole does.
    query.alert_names = {form for _, form in words} | ({"".join(f for _, f in words)} if len(words) > 1 else set())
    if known is None:
        known = current_engine().known_words(_asked(words))
    resolved = _resolve(words, still_typing=bool(text) and not text[-1].isspace(), known=known)
    corrections: dict[str, str] = {}
    for typed, form in words:
        terms, correction = resolved.get(form, ([Term(form)], None))
        query.terms.extend(terms)
        if correction:
            corrections[typed.lower()] = correction
            query.alert_names.add(correction)
    query.terms = list(dict.fromkeys(query.terms))[:MAX_TERMS]
    if corrections:
        query.corrected = ANY_IDENTIFIER.sub(
            lambda m: corrections.get(m.group().lower(), m.group()), " ".join(text.split())
        )
    return query


def _parse(text: str) -> tuple[Query, list[tuple[str, str]]]:
    """The query's phrases and excluded words, and each positive word as typed and as searched (lower
    case, joined). Pure: `search` reads it before the database, to ask which words are known."""
    query = Query()
    words: list[tuple[str, str]] = []
    for negated, phrase, word in QUERY_PART.findall(text):
        if phrase:
            forms = [joined(t) for t in identifiers(phrase)]
            if forms:
                (query.excluded if negated else query.required).append(Term(" ".join(forms), phrase=len(forms) > 1))
        elif word.startswith("-") and len(word) > 1:
            query.excluded.extend(Term(joined(t)) for t in identifiers(word[1:]))
        elif word.lower() != "or":
            words.extend((t, joined(t)) for t in identifiers(word))
    return query, words


def _likely_terms(query: Query, words: list[tuple[str, str]]) -> list[Term]:
    """The terms `understand` gives when the index knows every word (as it does for most queries): each word as
    searched, then the phrases required."""
    return list(dict.fromkeys(Term(form) for _, form in words))[:MAX_TERMS] + query.required


def _variants(words: list[tuple[str, str]]) -> tuple[dict, dict, dict]:
    """What each word may stand for when the index does not know it: its parts (a compound identifier),
    two words glued together, the word with a slip of the finger undone."""
    forms = {form for _, form in words}
    parts = {form: identifier_parts(typed) for typed, form in words if is_compound(typed)}
    splits = {
        form: [(form[:i], form[i:]) for i in range(MIN_WORD, len(form) - MIN_WORD + 1)]
        for form in forms
        if form.isalpha() and len(form) >= 2 * MIN_WORD
    }
    slips = {form: _slips(form) for form in forms if form.isalpha() and len(form) >= 5}
    return parts, splits, slips


def _asked(words: list[tuple[str, str]]) -> set[str]:
    """The words whose being known `_resolve` reads: the query's and their variants."""
    parts, splits, slips = _variants(words)
    return (
        {form for _, form in words}
        | {p for ps in parts.values() for p in ps}
        | {w for pairs in splits.values() for pair in pairs for w in pair}
        | {s for ss in slips.values() for s in ss}
    )


def _resolve(
    words: list[tuple[str, str]], *, still_typing: bool, known: set[str]
) -> dict[str, tuple[list[Term], str | None]]:
    """How each word the index does not know is searched: by its parts, as two known words glued
    together, as the prefix of known words, or corrected to the closest known word."""
    parts, splits, slips = _variants(words)
    last = words[-1][1] if words else None
    resolved: dict[str, tuple[list[Term], str | None]] = {}
    unsure: dict[str, tuple[list[Term], str | None]] = {}  # looked up among near words, all in one query
    for typed, form in words:
        typing = still_typing and form == last
        if form in known or form in resolved or form in unsure or form.isdigit():
            continue
        if len(form) < MIN_WORD and not typing:
            continue
        if form in parts:
            resolved[form] = ([Term(p) for p in parts[form]], None)
            continue
        glued = next(([Term(a), Term(b)] for a, b in splits.get(form, []) if a in known and b in known), [])
        slipped = sorted(slips.get(form, set()) & known)
        if glued or not slipped or typing:  # a word being typed may be the start of a known word
            unsure[form] = (glued, slipped[0] if slipped else None)
        else:
            resolved[form] = ([Term(slipped[0])], slipped[0])
    near_words = current_engine().near_words(list(unsure)) if unsure else {}
    for form, (glued, slipped) in unsure.items():
        near, correction = _near(form, near_words.get(form, []), slipped=slipped)
        resolved[form] = (glued + near, None if glued else correction)
    return resolved


def _slips(word: str) -> set[str]:
    """The word with one letter too many removed, or two neighbours swapped: typos trigrams miss in short words."""
    deletes = {word[:i] + word[i + 1 :] for i in range(len(word))}
    swaps = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return {
        w
        for w in deletes | swaps
        if w != word and len(w) >= MIN_WORD and not (word.startswith(w) and len(word) - len(w) <= 1)
    }


def _near(word: str, candidates: list[str], *, slipped: str | None) -> tuple[list[Term], str | None]:
    """The prefix of known words (a word being typed, or one glued to the next), else the closest known word
    among `candidates`, the known words near it."""
    if any(c.startswith(word) for c in candidates):
        return [Term(word, prefix=True)], None
    if slipped:
        return [Term(slipped)], slipped
    allowed = 1 if len(word) < 6 else 2
    scored = [
        (-edit_distance(word, c), similarity(word, c), c)
        for c in candidates
        if edit_distance(word, c) <= allowed and similarity(word, c) >= TRIGRAM_THRESHOLD
    ]
    if not scored:
        return [Term(word)], None
    best = max(scored)[2]
    if word.startswith(best) and len(word) - len(best) <= 3:
        return [Term(word)], None  # an inflection (keeps, keep): stemming finds it already
    return [Term(best)], best


# --- ranking ------------------------------------------------------------------------------


def _by_score(
    rows: list[dict], frequencies: dict[int, int], total: int, query: Query, *, weigh_rarity: bool
) -> list[dict]:
    """Each row's per-term scores summed, each weighted by the term's rarity (idf) unless the engine's
    ranking did so already, times the share of the query's weight the row covers: matching all of
    "kiam certificate expired" beats matching "certificate expired" in a title."""
    idf = {i: math.log(1 + (total - df + 0.5) / (df + 0.5)) for i, df in frequencies.items()}
    weight = sum(idf.get(i, math.log(1 + (total + 0.5) / 0.5)) for i in range(len(query.scored))) or 1
    asked = {_stem(word) for term in query.scored for word in term.text.split()}
    for row in rows:
        matched = row.pop("term_scores")
        covered = sum(idf[i] for i in matched) / weight
        row["score"] = sum((idf[i] if weigh_rarity else 1) * s for i, s in matched.items()) * covered**COVERAGE_POWER
        row["score"] *= 1 + TITLE_BONUS * _title_coverage(row["title"], asked)
    return sorted(rows, key=lambda r: (-r["score"], r["title"]))


@lru_cache(maxsize=WORDS_REMEMBERED)
def _stem(word: str) -> str:
    """A crude English stem, the same whichever engine: "looping", "loops" and "loop" compare equal."""
    for suffix in ("ing", "ed", "es", "er", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _title_coverage(title: str, asked: set[str]) -> float:
    """The share of a title's words the query asked for: "Kube Pod Crash Looping" is mostly covered by
    "pods stuck crashloop", "CortexRolloutStuck" only by a third."""
    stems, glued = _title_stems(title)
    if not stems:
        return 0.0
    covered = set()
    for i, stem in enumerate(stems):
        if stem in asked:
            covered.add(i)
        elif glued[i] in asked:
            covered |= {i, i + 1}  # glued: "crashloop" for "Crash Looping"
    return len(covered) / len(stems)


@lru_cache(maxsize=TITLES_REMEMBERED)
def _title_stems(title: str) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """The stems of a title's words (in lower case), and of each word glued to the next (None after the last):
    the same titles come back search after search, and a window's 60 titles were stemmed pair by pair in each
    (a third of a search's Python)."""
    words = [part for token in identifiers(title) for part in _word_parts(token)]
    glued = tuple(_stem(a + b) for a, b in zip(words, words[1:]))
    return tuple(_stem(w) for w in words), (*glued, None) if words else ()


@lru_cache(maxsize=WORDS_REMEMBERED)
def _word_parts(token: str) -> tuple[str, ...]:
    """`identifier_parts` of a title's word (in lower case). A first search meets some 45 titles it has not stemmed,
    but few words: kept by the word, a new title costs 8 µs instead of 21 (0.6 ms of a first search's Python)."""
    return tuple(identifier_parts(token))


def _exact_alert_first(ranked: list[dict], exact: list[dict]) -> list[dict]:
    """The runbooks of an alert the query names exactly (the engine found them with the candidates), then the rest."""
    scores = {r["id"]: r["score"] for r in ranked}
    for row in exact:
        row["score"], row["exact"] = scores.get(row["id"], 0.0), True
    ids = {r["id"] for r in exact}
    return exact + [r for r in ranked if r["id"] not in ids]


def _safe_snippet(text: str) -> SafeString:
    marked = escape(squeeze(text))
    return mark_safe(marked.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))
