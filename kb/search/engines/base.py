"""What the two engines share (kb.search.engines)."""

from __future__ import annotations

from django.db import connection

from kb.models import NEWEST_WRITES_SQL
from kb.search.answers import Candidates, Owners, SnippetRow, best_parts, owners_of
from kb.search.query import Query, Term

SNIPPET_WORDS = 24


class Engine:
    """What the two engines share: `snippets` asks the engine's `snippet_rows` and keeps the best part of each row,
    and `candidates` first asks `term_counts` which of the query's terms are common."""

    # A term matching more rows than this is common: its rows are not all ranked (that would grow with the
    # knowledge base), only those a rarer term of the query finds, and its newest (or first) few.
    COMMON_ROWS = 300
    # Whole rows counted exactly up to this many (for the terms' rarity); beyond it, an estimate that costs nothing.
    COUNTED_ROWS = 10000

    @classmethod
    def index_stamp(cls, *, words: set[str], terms: list[Term] | None = None) -> tuple[tuple, set[str], list | None]:
        """What changes whenever an answer could, and which of `words` the index knows: one round trip.
        Every write to the index adds rows (a document's or an incident's are replaced, never updated in
        place: ids only grow), and archiving a document (which leaves its rows) moves its `updated_at`.
        Three reads from the end of an index, and a probe of the vocabulary's unique index a word.
        An engine may also give `term_counts` of `terms` when it can tell them without counting; this one does not."""
        known_sql, params = cls.known_words_sql(words)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT (SELECT MAX(id) FROM kb_searchentry), {NEWEST_WRITES_SQL}, {known_sql}", params)
            *stamp, known = cursor.fetchone()
        return tuple(stamp), cls.read_words(known), None

    @classmethod
    def known_words(cls, words: set[str]) -> set[str]:
        known_sql, params = cls.known_words_sql(words)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {known_sql}", params)
            return cls.read_words(cursor.fetchone()[0])

    @staticmethod
    def known_words_sql(words: set[str]) -> tuple[str, list]:
        """An expression: those of `words` in the vocabulary, as one value `read_words` reads."""
        raise NotImplementedError

    @staticmethod
    def read_words(value) -> set[str]:
        raise NotImplementedError

    @classmethod
    def term_counts(cls, query: Query) -> list[int]:
        raise NotImplementedError

    @classmethod
    def ranked_rows(cls, query: Query, rare: list[int], window: int, total: int | None) -> Candidates:
        raise NotImplementedError

    @classmethod
    def candidates(
        cls, query: Query, *, window: int, total: int | None = None, counts: list[int] | None = None
    ) -> Candidates:
        """The window's best rows. Each term's rows are counted first, up to COMMON_ROWS and one: the rows
        ranked are those of the rare terms (with the common terms' scores in them), or, when every term
        is common, the newest rows holding them all and each term's newest: never more than a few
        thousand, however large the knowledge base. `total`: how many whole rows the index holds (the N of
        each term's rarity), when known already; else the statement counts them. `counts`: `term_counts`
        of the query, when read already (with the index's stamp)."""
        if counts is None:
            counts = cls.term_counts(query)
        rare = [i for i, n in enumerate(counts) if n <= cls.COMMON_ROWS]
        rows, frequencies, total, exact = cls.ranked_rows(query, rare, window, total)
        # A common term's rows were not all seen: its rarity is that of COMMON_ROWS at least.
        frequencies |= {i: max(n, frequencies.get(i, 0)) for i, n in enumerate(counts) if i not in rare}
        return rows, frequencies, total, exact

    @classmethod
    def snippet_rows(cls, query: Query, owners: Owners) -> list[SnippetRow]:
        raise NotImplementedError

    @classmethod
    def statements_compiled(cls) -> int:
        """Compiles, on this connection, the statements whose text changes with the query's shape, where the engine
        keeps them compiled; returns how many. This one keeps none."""
        return 0

    @classmethod
    def snippets(cls, query: Query, ranked: list[dict]) -> dict[int, tuple[str, str, str]]:
        """The best matching section of each ranked row (else its whole body), as (url, heading, snippet)."""
        if not ranked:
            return {}
        owners = owners_of(ranked)
        return best_parts(cls.snippet_rows(query, owners), owners)
