"""Search: one function, `search()`, whichever database is underneath.

The query is understood once, in Python, the same way for both engines: websearch syntax
(`"a phrase"`, `-excluded`, `or`), identifiers typed whole or in parts, words glued together, typos
corrected against the indexed vocabulary. Then the engine ranks: PostgreSQL with weighted tsvectors
(GIN), `ts_rank` per term weighted by the term's rarity and `ts_headline`; SQLite with FTS5, `bm25()`
column weights and `snippet()`. Runbooks of an alert named exactly come first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.postgres.lookups import TrigramSimilar
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVectorExact, SearchVectorField
from django.db import connection
from django.db.models import Count, Expression, FloatField, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Ln, Lower, Substr
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from kb.models import SearchEntry, SearchKind, SearchScope, SearchTerm
from kb.search_text import IDENTIFIER, MIN_WORD, edit_distance, identifier_parts, is_compound, joined, similarity

MAX_LIMIT = 100
MAX_TERMS = 12
# Column weights: title and alert, section headings, body (PostgreSQL's A, B and D).
SQLITE_WEIGHTS = (10.0, 4.0, 1.0, 1.0)
POSTGRES_WEIGHTS = [0.1, 0.2, 0.4, 1.0]  # D, C, B, A
POSTGRES_CONFIG = "kb_search"  # English stemming without stop words (migration 0002_search)
MARK_START, MARK_END = "\x02", "\x03"  # stand-ins for <mark>, so the rest of a snippet can be escaped
SNIPPET_WORDS = 24
TRIGRAM_THRESHOLD = 0.3  # pg_trgm's default similarity threshold, used on both engines


@dataclass(frozen=True)
class Term:
    word: str
    prefix: bool = False  # matches any word starting with it

    def __str__(self) -> str:
        return self.word + ("*" if self.prefix else "")


@dataclass
class Query:
    """What the engines are asked: any of `terms` or `phrases`, none of `excluded`."""

    terms: list[Term] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    alert_names: set[str] = field(default_factory=set)  # lower case: runbooks of these alerts come first
    corrected: str | None = None  # the query as corrected, when a word was

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases)


@dataclass(frozen=True)
class SearchHit:
    kind: str
    title: str
    alert: str
    url: str
    section: str
    snippet: SafeString
    score: float


@dataclass(frozen=True)
class SearchResults:
    query: str
    corrected: str | None
    hits: list[SearchHit]


def search(*, query: str, limit: int = 20) -> SearchResults:
    """Runbooks, post-mortems and incidents for what an operator typed, best first."""
    understood = understand(query)
    if not understood:
        return SearchResults(query=query, corrected=None, hits=[])
    engine = _Postgres if connection.vendor == "postgresql" else _Sqlite
    ranked = engine.rank(understood, limit)
    ranked = _exact_alert_first(ranked, understood, limit)
    snippets = engine.snippets(understood, ranked)
    top = max((r["score"] for r in ranked), default=0) or 1
    hits = []
    for row in ranked:
        url, section, snippet = snippets.get(row["id"]) or (row["url"], "", row["lead"])
        score = row["score"] / top + (1 if row.get("exact") else 0)
        hits.append(
            SearchHit(
                kind=row["kind"], title=row["title"], alert=row["alert"], url=url, section=section,
                snippet=_safe_snippet(snippet), score=round(score, 4),
            )
        )
    return SearchResults(query=query, corrected=understood.corrected, hits=hits)


# --- understanding the query --------------------------------------------------------------

QUERY_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def understand(text: str) -> Query:
    query = Query()
    words: list[tuple[str, str]] = []  # each positive word as typed and as searched (lower case, joined)
    for negated, phrase, word in QUERY_PART.findall(text):
        if phrase:
            tokens = [joined(t) if is_compound(t) else t.lower() for t in IDENTIFIER.findall(phrase)]
            if tokens:
                (query.excluded if negated else query.phrases).append(" ".join(tokens))
        elif word.startswith("-") and len(word) > 1:
            query.excluded.extend(joined(t) for t in IDENTIFIER.findall(word[1:]))
        elif word.lower() != "or":
            words.extend((t, joined(t)) for t in IDENTIFIER.findall(word))
    # "kube api down" names KubeAPIDown as surely as typing it whole does.
    query.alert_names = {form for _, form in words} | ({"".join(f for _, f in words)} if len(words) > 1 else set())
    resolved = _resolve(words, still_typing=bool(text) and not text[-1].isspace())
    corrections: dict[str, str] = {}
    for typed, form in words:
        terms, correction = resolved.get(form, ([Term(form)], None))
        query.terms.extend(terms)
        if correction:
            corrections[typed.lower()] = correction
            query.alert_names.add(correction)
    query.terms = list(dict.fromkeys(query.terms))[:MAX_TERMS]
    if corrections:
        query.corrected = " ".join(
            "".join(corrections.get(piece.lower(), piece) for piece in re.split(r"([A-Za-z0-9_.\-]+)", word))
            for word in text.split()
        )
    return query


def _resolve(words: list[tuple[str, str]], *, still_typing: bool) -> dict[str, tuple[list[Term], str | None]]:
    """How each word the index does not know is searched: by its parts, as two known words glued
    together, as the prefix of known words, or corrected to the closest known word."""
    forms = {form for _, form in words}
    parts = {form: identifier_parts(typed) for typed, form in words if is_compound(typed)}
    splits = {
        form: [(form[:i], form[i:]) for i in range(MIN_WORD, len(form) - MIN_WORD + 1)]
        for form in forms
        if form.isalpha() and len(form) >= 2 * MIN_WORD
    }
    asked = forms | {p for ps in parts.values() for p in ps} | {w for pairs in splits.values() for pair in pairs for w in pair}
    known = set(SearchTerm.objects.filter(word__in=asked).values_list("word", flat=True))
    last = words[-1][1] if words else None
    resolved: dict[str, tuple[list[Term], str | None]] = {}
    for typed, form in words:
        typing = still_typing and form == last
        if form in known or form in resolved or form.isdigit() or (len(form) < MIN_WORD and not typing):
            continue
        if form in parts:
            resolved[form] = ([Term(p) for p in parts[form]], None)
            continue
        glued = next(([Term(a), Term(b)] for a, b in splits.get(form, []) if a in known and b in known), [])
        near, correction = _near(form)
        resolved[form] = (glued + near, None if glued else correction)
    return resolved


def _near(word: str) -> tuple[list[Term], str | None]:
    """The prefix of known words (a word being typed, or one glued to the next), else the closest known word."""
    engine = _Postgres if connection.vendor == "postgresql" else _Sqlite
    candidates = engine.near_words(word)
    if any(c.startswith(word) for c in candidates):
        return [Term(word, prefix=True)], None
    allowed = 1 if len(word) < 6 else 2
    scored = [
        (similarity(word, c), -edit_distance(word, c), c)
        for c in candidates
        if edit_distance(word, c) <= allowed and similarity(word, c) >= TRIGRAM_THRESHOLD
    ]
    if not scored:
        return [Term(word)], None
    best = max(scored)[2]
    if word.startswith(best) and len(word) - len(best) <= 3:
        return [Term(word)], None  # an inflection (keeps, keep): stemming finds it already
    return [Term(best)], best


def _exact_alert_first(ranked: list[dict], query: Query, limit: int) -> list[dict]:
    names = query.alert_names
    if not names:
        return ranked
    exact = list(
        _entries()
        .filter(scope=SearchScope.WHOLE, kind=SearchKind.RUNBOOK)
        .annotate(alert_lower=Lower("alert"))
        .filter(alert_lower__in=names)
        .values(*ROW_FIELDS)
        .order_by("title")
    )
    if not exact:
        return ranked
    scores = {r["id"]: r["score"] for r in ranked}
    for row in exact:
        row["score"], row["exact"] = scores.get(row["id"], 0.0), True
    ids = {r["id"] for r in exact}
    return (exact + [r for r in ranked if r["id"] not in ids])[:limit]


def _safe_snippet(text: str) -> SafeString:
    marked = escape(re.sub(r"\s+", " ", text).strip())
    return mark_safe(marked.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


def _entries():
    """Rows of documents not archived, and of incidents."""
    return SearchEntry.objects.filter(Q(document__isnull=True) | Q(document__archived=False))


ROW_FIELDS = ("id", "kind", "title", "alert", "url", "document_id", "incident_id")
LEAD_CHARS = 240


# --- engines ------------------------------------------------------------------------------


class _Sqlite:
    """FTS5 over the four weighted columns; bm25() ranks (lower is better), snippet() cuts the body."""

    @staticmethod
    def match(query: Query) -> str:
        def quoted(text: str) -> str:
            return '"' + text.replace('"', " ") + '"'

        wanted = [quoted(t.word) + ("*" if t.prefix else "") for t in query.terms] + [quoted(p) for p in query.phrases]
        expression = "(" + " OR ".join(wanted) + ")"
        if query.excluded:
            expression += " NOT (" + " OR ".join(quoted(e) for e in query.excluded) + ")"
        return expression

    @classmethod
    def rank(cls, query: Query, limit: int) -> list[dict]:
        sql = f"""
            SELECT e.id, e.kind, e.title, e.alert, e.url, e.document_id, e.incident_id,
                   substr(e.body, 1, {LEAD_CHARS}), -bm25(kb_searchentry_fts, %s, %s, %s, %s) AS score
            FROM kb_searchentry_fts
            JOIN kb_searchentry e ON e.id = kb_searchentry_fts.rowid
            LEFT JOIN kb_document d ON d.id = e.document_id
            WHERE kb_searchentry_fts MATCH %s AND e.scope = %s AND (d.id IS NULL OR NOT d.archived)
            ORDER BY score DESC LIMIT %s"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [*SQLITE_WEIGHTS, cls.match(query), SearchScope.WHOLE, limit])
            names = [*ROW_FIELDS, "lead", "score"]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    @classmethod
    def snippets(cls, query: Query, ranked: list[dict]) -> dict[int, tuple[str, str, str]]:
        """The best matching section of each ranked document (its whole body if none), as (url, heading, snippet)."""
        if not ranked:
            return {}
        owners = {(r["document_id"] or 0, r["incident_id"] or 0): r["id"] for r in ranked}
        documents = [d for d, _ in owners if d] or [0]
        incidents = [i for _, i in owners if i] or [0]
        sql = f"""
            SELECT e.document_id, e.incident_id, e.scope, e.url, e.heading,
                   snippet(kb_searchentry_fts, 2, %s, %s, '…', {SNIPPET_WORDS}),
                   bm25(kb_searchentry_fts, %s, %s, %s, %s) AS rank
            FROM kb_searchentry_fts JOIN kb_searchentry e ON e.id = kb_searchentry_fts.rowid
            WHERE kb_searchentry_fts MATCH %s
              AND (e.document_id IN ({", ".join(["%s"] * len(documents))})
                   OR e.incident_id IN ({", ".join(["%s"] * len(incidents))}))
            ORDER BY rank"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [MARK_START, MARK_END, *SQLITE_WEIGHTS, cls.match(query), *documents, *incidents])
            return _best_parts(cursor.fetchall(), owners)

    @staticmethod
    def near_words(word: str) -> list[str]:
        """Known words sharing trigrams with `word` (the FTS5 trigram table), and words it begins."""
        grams = " OR ".join(sorted({f'"{word[i : i + 3]}"' for i in range(len(word) - 2)})) or '""'
        sql = """
            SELECT word FROM (SELECT word FROM kb_searchterm_trigrams WHERE kb_searchterm_trigrams MATCH %s
                              ORDER BY rank LIMIT 50)
            UNION SELECT word FROM (SELECT word FROM kb_searchterm WHERE word >= %s AND word < %s LIMIT 20)"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [grams, word, word + "\x7f"])
            return [row[0] for row in cursor.fetchall()]


class _VectorColumn(Expression):
    """PostgreSQL's generated `vector` column, which the model does not declare."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(compiler.query.get_initial_alias())}.vector", []


class _Postgres:
    """A GIN-indexed weighted tsvector; each term's ts_rank counts by its rarity (a BM25-like idf)."""

    @staticmethod
    def parts(query: Query) -> list[SearchQuery]:
        terms = [SearchQuery(t.word + (":*" if t.prefix else ""), config=POSTGRES_CONFIG, search_type="raw") for t in query.terms]
        return terms + [SearchQuery(p, config=POSTGRES_CONFIG, search_type="phrase") for p in query.phrases]

    @classmethod
    def tsquery(cls, query: Query) -> SearchQuery:
        combined = None
        for part in cls.parts(query):
            combined = part if combined is None else combined | part
        for excluded in query.excluded:
            combined &= ~SearchQuery(excluded, config=POSTGRES_CONFIG, search_type="phrase")
        return combined

    @classmethod
    def rank(cls, query: Query, limit: int) -> list[dict]:
        vector = _VectorColumn()
        whole = SearchEntry.objects.filter(scope=SearchScope.WHOLE)
        total = Subquery(_count(whole), output_field=FloatField())
        score = Value(0.0)
        for part in cls.parts(query):
            frequency = Coalesce(Subquery(_count(whole.filter(SearchVectorExact(_VectorColumn(), part)))), 0)
            idf = Ln(1 + (total - frequency + 0.5) / (Cast(frequency, FloatField()) + 0.5))
            score = score + idf * SearchRank(vector, part, weights=POSTGRES_WEIGHTS)
        rows = (
            _entries()
            .filter(scope=SearchScope.WHOLE)
            .filter(SearchVectorExact(vector, cls.tsquery(query)))
            .annotate(score=score, lead=_lead())
            .order_by("-score", "title")
            .values(*ROW_FIELDS, "lead", "score")[:limit]
        )
        return list(rows)

    @classmethod
    def snippets(cls, query: Query, ranked: list[dict]) -> dict[int, tuple[str, str, str]]:
        if not ranked:
            return {}
        owners = {(r["document_id"] or 0, r["incident_id"] or 0): r["id"] for r in ranked}
        tsquery = cls.tsquery(query)
        rows = (
            SearchEntry.objects.filter(
                Q(document_id__in=[d for d, _ in owners if d]) | Q(incident_id__in=[i for _, i in owners if i])
            )
            .filter(SearchVectorExact(_VectorColumn(), tsquery))
            .annotate(
                rank=SearchRank(_VectorColumn(), tsquery, weights=POSTGRES_WEIGHTS),
                snippet=SearchHeadline(
                    "body", tsquery, config=POSTGRES_CONFIG, start_sel=MARK_START, stop_sel=MARK_END,
                    max_words=SNIPPET_WORDS, min_words=SNIPPET_WORDS // 2, max_fragments=2, fragment_delimiter=" … ",
                ),
            )
            .order_by("-rank")
            .values_list("document_id", "incident_id", "scope", "url", "heading", "snippet", "rank")
        )
        return _best_parts(rows, owners)

    @staticmethod
    def near_words(word: str) -> list[str]:
        """Known words similar to `word` by pg_trgm (its GIN index answers `%`), and words it begins."""
        similar = SearchTerm.objects.filter(Q(word__trigram_similar=word) | Q(word__startswith=word))
        return list(similar.values_list("word", flat=True)[:70])


SearchTerm._meta.get_field("word").register_lookup(TrigramSimilar)


def _count(rows):
    return rows.order_by().values("scope").annotate(n=Count("pk")).values("n")


def _lead():
    return Substr("body", 1, LEAD_CHARS)


def _best_parts(rows, owners: dict[tuple[int, int], int]) -> dict[int, tuple[str, str, str]]:
    """Per ranked row: its best section when one matched, else its whole body."""
    best: dict[int, tuple[str, str, str]] = {}
    fallback: dict[int, tuple[str, str, str]] = {}
    for document_id, incident_id, scope, url, heading, snippet, _rank in rows:
        entry = owners.get((document_id or 0, incident_id or 0))
        if entry is None:
            continue
        target = best if scope == SearchScope.SECTION else fallback
        target.setdefault(entry, (url, heading, snippet))
    return fallback | best
