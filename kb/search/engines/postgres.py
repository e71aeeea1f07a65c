"""PostgreSQL's full-text engine (kb.search.engines)."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.contrib.postgres.search import SearchQuery, SearchVectorExact, SearchVectorField
from django.core.cache import cache
from django.db import connection
from django.db.models import Expression

from kb.models import SearchEntry, SearchScope
from kb.search.answers import Candidates, Owners, SnippetRow, exact_alert_sql, read_candidates, read_near_words
from kb.search.engines.base import SNIPPET_WORDS, Engine
from kb.search.query import LEAD_CHARS, MARK_END, MARK_START, Query, Term

POSTGRES_WEIGHTS = [0.2, 0.2, 0.5, 1.0]  # D (body), C (unused), B (headings), A (title and alert)
POSTGRES_CONFIG = "kb_search"  # English stemming without stop words (migration 0002_search)
# A word in this many times Engine.COMMON_ROWS rows (sections too) by the statistics (the most common elements
# ANALYZE samples; autovacuum keeps them) is common without counting: far enough above the bound that it could
# not be rare (each section holding a word is a row of it, so its whole rows can be far fewer than its rows).
SURELY_COMMON = 20
STATISTICS_SECONDS = 300
COMMON_WORDS_KEY = "search:postgresql-common-words"
# Names looked up together by `documents_naming`.
NAMES_PER_QUERY = 50


class VectorColumn(Expression):
    """PostgreSQL's generated `vector` column (migration 0002_search; GIN-indexed for whole rows, migration 0010),
    which the model does not declare."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name_unless_alias(compiler.query.get_initial_alias())}.vector", []


class Postgres(Engine):
    """ts_rank per term with weights A (title, alert), B (headings), D (body); ts_headline; pg_trgm."""

    RANKS_BY_RARITY = False  # ts_rank knows nothing of other documents

    @staticmethod
    def tsquery(term: Term) -> tuple[str, list]:
        if term.phrase:
            return f"phraseto_tsquery('{POSTGRES_CONFIG}'::regconfig, %s)", [term.text]
        return f"to_tsquery('{POSTGRES_CONFIG}'::regconfig, %s)", [term.text + (":*" if term.prefix else "")]

    @classmethod
    def match(cls, query: Query) -> tuple[str, list]:
        """The whole query: (any term) && every required phrase && !!(each excluded)."""
        sql, params = "", []
        for operator, terms in (("||", query.terms), ("&&", query.required)):
            for term in terms:
                term_sql, term_params = cls.tsquery(term)
                sql = f"({sql} {operator} {term_sql})" if sql else term_sql
                params += term_params
        for term in query.excluded:
            term_sql, term_params = cls.tsquery(term)
            sql = f"({sql} && !!{term_sql})"
            params += term_params
        return sql, params

    @classmethod
    def terms_sql(cls, query: Query) -> tuple[str, list]:
        """Two CTEs: `common_words`, the words PostgreSQL's statistics place in far more rows than the bound,
        and `terms` (term, q, n): each term of the query with its tsquery and the whole rows it matches,
        counted up to cls.COMMON_ROWS and one (the GIN index of whole rows).

        Counting a word reads its whole posting list (a common word's: 16,000 rows at 12,000 documents, 3 to 18 ms),
        so a single word the statistics of the index already place in far more rows than the bound is common
        without counting. Those words are read with the counts when a worker has not kept them (a few minutes:
        reading pg_stats takes about 10 ms); none known (no ANALYZE yet), every word is counted. The terms are
        a CTE, never constants to the planner: it counts each by its GIN index (for a word it thought in many
        rows, a constant made it read the table in order until the bound, 3 ms)."""
        values, params = [], []
        for i, term in enumerate(query.scored):
            term_sql, term_params = cls.tsquery(term)
            values.append(f"({i}, {term_sql}, %s, {'false' if term.prefix or term.phrase else 'true'})")
            params += [*term_params, term.text]
        sql = f"""
            common_words AS MATERIALIZED (SELECT COALESCE(%s::text[], (
                SELECT array_agg(u.word) FROM pg_stats s,
                    unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) u (word, frequency)
                WHERE s.schemaname = current_schema() AND s.tablename = 'kb_searchentry' AND s.attname = 'vector'
                  AND u.word IS NOT NULL
                  AND u.frequency * (SELECT reltuples FROM pg_class WHERE oid = 'kb_searchentry'::regclass) >= %s
            )) AS words),
            terms AS MATERIALIZED (
                -- A CASE runs its branch lazily: a word the statistics answer for is not counted.
                SELECT t.term, t.q, CASE
                    WHEN t.single AND length(w.v) = 1 AND tsvector_to_array(w.v) <@ (SELECT words FROM common_words)
                    THEN {cls.COMMON_ROWS + 1}
                    ELSE (SELECT COUNT(*) FROM (
                        SELECT 1 FROM kb_searchentry WHERE scope = 'whole' AND vector @@ t.q LIMIT {cls.COMMON_ROWS + 1}
                    ) x)
                END AS n
                FROM (VALUES {", ".join(values)}) t (term, q, text, single)
                CROSS JOIN LATERAL (SELECT to_tsvector('{POSTGRES_CONFIG}'::regconfig, t.text) AS v) w
            )"""
        return sql, [cache.get(COMMON_WORDS_KEY), SURELY_COMMON * cls.COMMON_ROWS, *params]

    @staticmethod
    def keep_common_words(words: list[str] | None) -> None:
        if cache.get(COMMON_WORDS_KEY) is None:
            cache.set(COMMON_WORDS_KEY, words or [], STATISTICS_SECONDS)

    @classmethod
    def term_counts(cls, query: Query) -> list[int]:
        """Whole rows each term matches, counted up to cls.COMMON_ROWS and one (`terms_sql`): what `candidates`
        reads in its own statement."""
        terms, params = cls.terms_sql(query)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH {terms} SELECT array_agg(n ORDER BY term), (SELECT words FROM common_words) FROM terms", params
            )
            counts, words = cursor.fetchone()
        cls.keep_common_words(words)
        return counts

    @classmethod
    def candidates(cls, query: Query, *, window: int, total: int | None = None) -> Candidates:
        """One statement: the terms counted (`terms_sql`); every whole row of a rare term, found by the GIN
        index (the terms joined to the table, not a UNION of one scan per term: PostgreSQL would run those in
        parallel workers, which cost more to start than the search takes); the common terms ranked in those
        rows and in their own first few (when every term is common, in the first rows holding them all);
        ts_rank summed per row and LIMITed to the window in the database; bodies read for the window only.
        Which terms are rare is known only inside the statement: each part is guarded by it (a condition
        PostgreSQL tests once, before the scans it guards)."""
        terms_cte, params = cls.terms_sql(query)
        rare, common = f"t.n <= {cls.COMMON_ROWS}", f"t.n > {cls.COMMON_ROWS}"
        none_rare = f"NOT EXISTS (SELECT 1 FROM terms t WHERE {rare})"
        rank = "ts_rank(%s::float4[], e.vector, t.q)"
        every = [cls.tsquery(term) for term in query.scored]
        parts = [
            f"""rare AS MATERIALIZED (
                SELECT e.id, e.title, e.document_id, t.term, {rank} AS score
                FROM terms t JOIN kb_searchentry e ON e.scope = 'whole' AND e.vector @@ t.q WHERE {rare}
            )""",
            # When every term is common: the first rows holding them all.
            f"""scored AS MATERIALIZED (
                SELECT DISTINCT id FROM rare
                UNION ALL (
                    SELECT id FROM kb_searchentry WHERE {none_rare} AND scope = 'whole' AND vector @@ ({" && ".join(sql for sql, _ in every)})
                    LIMIT {cls.COMMON_ROWS}
                )
            )""",
            # When every term is common, their own first rows only fill a window the rows holding them all
            # leave short (as on SQLite): each such scan reads a common term's whole posting list (16,000 rows
            # of a word at 12,000 documents).
            f"""hits AS (
                SELECT * FROM rare
                UNION ALL
                SELECT e.id, e.title, e.document_id, t.term, {rank} AS score
                FROM scored s JOIN kb_searchentry e ON e.id = s.id JOIN terms t ON {common} AND e.vector @@ t.q
                UNION ALL
                SELECT e.id, e.title, e.document_id, t.term, {rank} AS score
                FROM terms t CROSS JOIN LATERAL (
                    SELECT id, title, document_id, vector FROM kb_searchentry
                    WHERE scope = 'whole' AND vector @@ t.q LIMIT {window}
                ) e
                WHERE {common} AND e.id NOT IN (SELECT id FROM scored)
                  AND (NOT {none_rare} OR (SELECT COUNT(*) FROM scored) < {window})
            )""",
        ]
        params += [POSTGRES_WEIGHTS, *(p for _, term_params in every for p in term_params)]
        params += [POSTGRES_WEIGHTS, POSTGRES_WEIGHTS]
        wanted = ""
        if query.required or query.excluded:
            match_sql, match_params = cls.match(query)
            params.extend(match_params)
            parts.append(f"""wanted AS (
                SELECT e.id FROM (SELECT DISTINCT id FROM hits) h JOIN kb_searchentry e ON e.id = h.id
                WHERE e.vector @@ {match_sql}
            )""")
            wanted = "AND h.id IN (SELECT id FROM wanted)"
        exact, exact_params = exact_alert_sql(query)
        n_terms = len(query.scored)
        # Per term, its score in the row (NULL where it does not match) and how many whole rows it matches.
        matches = ", ".join(
            f"ARRAY[{i}, (SELECT n FROM frequencies WHERE term = {i}), b.score_{i}]" for i in range(n_terms)
        )
        sums = ", ".join(f"SUM(h.score) FILTER (WHERE h.term = {i}) AS score_{i}" for i in range(n_terms))
        sql = f"""
            WITH {terms_cte}, {", ".join(parts)},
            frequencies AS (SELECT term, COUNT(*) AS n FROM hits GROUP BY term),
            best AS (
                SELECT h.id, {sums} FROM hits h
                WHERE (h.document_id IS NULL OR h.document_id NOT IN (SELECT id FROM kb_document WHERE archived))
                    {wanted}
                GROUP BY h.id, h.title ORDER BY SUM(h.score) DESC, h.title LIMIT %s
            ),
            estimated AS (
                SELECT reltuples::bigint AS n FROM pg_class WHERE oid = 'kb_searchentry_whole_vector'::regclass
            )
            SELECT c.*, (SELECT array_agg(n ORDER BY term) FROM terms), (SELECT words FROM common_words) FROM (
                SELECT e.id, e.kind, e.title, e.alert, e.url, e.document_id, e.incident_id,
                       substr(e.body, 1, {LEAD_CHARS}), ARRAY[{matches}],
                       -- Counted only when the statistics do not already say far more (a CASE runs its branch
                       -- lazily): counting 10,000 rows of an index took 2 ms of every search.
                       COALESCE(%s::bigint, (SELECT CASE WHEN e.n >= 2 * {cls.COUNTED_ROWS} THEN e.n ELSE (
                            SELECT CASE WHEN c.n < {cls.COUNTED_ROWS} THEN c.n ELSE GREATEST(c.n, e.n) END FROM (
                                SELECT COUNT(*) AS n FROM (
                                    SELECT 1 FROM kb_searchentry WHERE scope = 'whole' LIMIT {cls.COUNTED_ROWS}
                                ) x
                            ) c
                        ) END FROM estimated e)), 0
                FROM best b JOIN kb_searchentry e ON e.id = b.id{exact}
            ) c"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, window, total, *exact_params])
            fetched = cursor.fetchall()
        counts = next((row[-2] for row in fetched if not row[-3]), None)
        if fetched:
            cls.keep_common_words(fetched[0][-1])
        rows, frequencies, total, exact_rows = read_candidates([row[:-2] for row in fetched], cls.read_matches)
        # A common term's rows were not all seen: its rarity is that of COMMON_ROWS at least.
        frequencies |= {i: max(n, frequencies.get(i, 0)) for i, n in enumerate(counts or []) if n > cls.COMMON_ROWS}
        return rows, frequencies, total, exact_rows

    @staticmethod
    def read_matches(matches: list[list[float | None]]):
        for term, frequency, score in matches:
            if score is not None:
                yield int(term), int(frequency), score

    @classmethod
    def snippet_rows(cls, query: Query, owners: Owners) -> list[SnippetRow]:
        """The best matching row of each of those documents and incidents, with ts_headline() of its body."""
        match_sql, match_params = cls.match(query)
        options = ", ".join(
            f"{option}={value}"
            for option, value in (
                ("StartSel", _literal(MARK_START)),
                ("StopSel", _literal(MARK_END)),
                ("MaxWords", SNIPPET_WORDS),
                ("MinWords", SNIPPET_WORDS // 2),
                ("MaxFragments", 2),
                ("FragmentDelimiter", _literal(" … ")),
            )
        )
        # The best row per document or incident first (of sections ranked alike, the first), so that
        # ts_headline runs once for each.
        sql = f"""
            SELECT document_id, incident_id, scope, url, heading,
                   ts_headline('{POSTGRES_CONFIG}'::regconfig, body, {match_sql}, %s), 0
            FROM kb_searchentry WHERE id IN (
                SELECT DISTINCT ON (document_id, incident_id) id FROM kb_searchentry
                WHERE (document_id = ANY(%s) OR incident_id = ANY(%s)) AND vector @@ {match_sql}
                ORDER BY document_id, incident_id, scope = 'section' DESC, ts_rank(%s::float4[], vector, {match_sql}) DESC,
                         id
            )"""
        documents = [d for d, _ in owners if d]
        incidents = [i for _, i in owners if i]
        params = [*match_params, options, documents, incidents, *match_params, POSTGRES_WEIGHTS, *match_params]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    @staticmethod
    def near_words(words: list[str]) -> dict[str, list[str]]:
        """For each of `words`, the known words similar to it by pg_trgm (`%`, answered by its GIN index)
        and the words it begins: one query for all."""
        part = "(SELECT %s, word FROM kb_searchterm WHERE word %% %s OR word LIKE %s LIMIT 70)"
        params = [
            p
            for word in words
            for p in (word, word, word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        ]
        return read_near_words(" UNION ALL ".join([part] * len(words)), params)

    @staticmethod
    def documents_naming(names: list[str]) -> set[int]:
        """The documents whose indexed text holds one of `names` as a phrase (the GIN index, not a scan of the text)."""
        phrases = [SearchQuery(name, config=POSTGRES_CONFIG, search_type="phrase") for name in names if name.strip()]
        found: set[int] = set()
        # A few dozen phrases a query: a 1,000-alert group's new names OR-ed in one nested expression
        # would exceed Python's recursion limit when Django compiles it.
        for start in range(0, len(phrases), NAMES_PER_QUERY):
            rows = SearchEntry.objects.filter(scope=SearchScope.WHOLE, document__isnull=False).filter(
                SearchVectorExact(VectorColumn(), reduce(or_, phrases[start : start + NAMES_PER_QUERY]))
            )
            found.update(rows.values_list("document_id", flat=True).distinct())
        return found

    @staticmethod
    def known_words_sql(words: set[str]) -> tuple[str, list]:
        # Never `word IN (…)` here: pg_trgm's GIN index answers equality too, and during imports the
        # planner picked it (250 ms a document, its pending list read each time: imports slowed as they
        # went). Each word is a probe of the unique index: a LATERAL with a LIMIT, since joined to the list
        # the planner hashed the whole vocabulary for a query's 50 words (0.7 ms of every search, kept or not).
        sql = """ARRAY(SELECT t.word FROM unnest(%s::text[]) AS w(word)
            CROSS JOIN LATERAL (SELECT word FROM kb_searchterm WHERE word = w.word LIMIT 1) t)"""
        return sql, [sorted(words)]

    @staticmethod
    def read_words(value: list[str]) -> set[str]:
        return set(value)

    @staticmethod
    def compact() -> None:
        """Nothing to do: the GIN indexes keep no pending list (migration 0012) and VACUUM is autovacuum's."""

    @staticmethod
    def forget_words(words: set[str]) -> None:
        """Drops those of `words` that no row of the index matches any more (the GIN index answers each)."""
        # A whole row holds every word of its sections' rows, and only whole rows are in the GIN index.
        sql = f"""DELETE FROM kb_searchterm WHERE word = ANY(%s) AND NOT EXISTS (SELECT 1 FROM kb_searchentry
            WHERE scope = 'whole' AND vector @@ plainto_tsquery('{POSTGRES_CONFIG}', kb_searchterm.word))"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [sorted(words)])


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
