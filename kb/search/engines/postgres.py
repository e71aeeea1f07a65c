"""PostgreSQL's full-text engine (kb.search.engines)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection

from kb.models import NEWEST_WRITES_SQL, WHOLE_ROWS_SQL
from kb.search.answers import Candidates, Owners, SnippetRow, exact_alert_sql, read_candidates, read_near_words
from kb.search.engines.base import SNIPPET_WORDS, Engine
from kb.search.engines.common_words import (
    COMMON_WORDS_KEY,
    COMMON_WORDS_SQL,
    STATISTICS_SECONDS,
    SURELY_COMMON,
    common_words,
)
from kb.search.engines.positions import POSTGRES_WEIGHTS, best_section
from kb.search.query import LEAD_CHARS, MARK_END, MARK_START, Query, Term
from kb.search.text import SECTION_WORDS

POSTGRES_CONFIG = "kb_search"  # English stemming without stop words (migration 0002_search)
# Names looked up together by `documents_naming`. At 12,000 documents, 1,000 names: 12 ms in chunks of 50 (none
# stored), 25 ms (1,532 documents naming them); chunks of 10, 25, 100, 200: 33, 18, 20, 26 ms and 43, 33, 48, 49 ms;
# all 1,000 in one statement, 5.3 and 7.8 s (a tsquery OR-ing that many phrases is costly to match).
NAMES_PER_QUERY = 50
# PostgreSQL's parser reads a path, an address or a file name as one token ("/var/lib/kubelet/pods", "db-01.example.lan"),
# which no word of a query matches, though the row's vector holds its parts (kb.search.index): ts_headline marked
# nothing in it, and SQLite's FTS5 marks the word. A zero-width space after each separator followed by a letter or
# digit makes its parts words for ts_headline (not after a tag's `</`: "</script>" stays a tag, which ts_headline
# drops); it is taken out of the snippet.
WORD_BREAK = "\u200b"
WORD_BREAKS = (r"(?<!<)([/.:@?=&])(?=\w)", rf"\1{WORD_BREAK}")


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
    def term_counts(cls, query: Query) -> list[int]:
        """Whole rows each term matches, counted up to cls.COMMON_ROWS and one (the GIN index of whole rows).

        Counting a word reads its whole posting list (a common word's: 16,000 rows at 12,000 documents, 3 to 18 ms),
        so a single word the statistics of whole rows' words (migration 0023) place in far more rows than the bound
        is common without counting. Those words are read with the counts when a worker has not kept them (a
        few minutes: reading the statistics takes about 10 ms); none known (no ANALYZE yet), every word is counted.
        They are kept as the text of an array, as PostgreSQL wrote it: quoting its 564 words again for every
        search (at 12,000 documents) took 0.65 ms of the client's CPU."""
        # One row a term, and one count for them all, correlated: planned once, where a count a term (a
        # subquery each, with its GIN scan to plan) cost 0.1 to 0.2 ms of backend CPU a term before it ran.
        rows, params = [], []
        for i, term in enumerate(query.scored):
            term_sql, term_params = cls.tsquery(term)
            plain = not (term.prefix or term.phrase)
            stemmed = f"to_tsvector('{POSTGRES_CONFIG}'::regconfig, %s)" if plain else "NULL::tsvector"
            rows.append(f"({i}, {stemmed}, {term_sql})")
            params += [term.text] if plain else []
            params += term_params
        common = cache.get(COMMON_WORDS_KEY)
        # Kept, the words are the statement's whole `common`: the statistics are a view over several catalogs, and
        # parsing and planning it (never run: the COALESCE around it stopped at the words kept) took 1 ms of
        # backend CPU in every search.
        with_sql, common_params = (
            ("WITH common AS MATERIALIZED (SELECT %s::text[] AS words)", [common])
            if common is not None
            else (COMMON_WORDS_SQL, [SURELY_COMMON * cls.COMMON_ROWS])
        )
        # The common words tested first: the count then never runs (PostgreSQL evaluates a CASE lazily).
        sql = f"""{with_sql}
            SELECT (SELECT array_agg(CASE
                WHEN length(t.words) = 1 AND tsvector_to_array(t.words) <@ (SELECT words FROM common)
                THEN {cls.COMMON_ROWS + 1}
                ELSE (SELECT COUNT(*) FROM (
                    SELECT 1 FROM kb_searchentry WHERE scope = 'whole' AND vector @@ t.query LIMIT {cls.COMMON_ROWS + 1}
                ) x) END ORDER BY t.i)
            FROM (VALUES {", ".join(rows)}) t (i, words, query)), (SELECT words FROM common)::text"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [*common_params, *params])
            found, words = cursor.fetchone()
        if common is None:
            cache.set(COMMON_WORDS_KEY, words or "{}", STATISTICS_SECONDS)
        return found

    @classmethod
    def index_stamp(cls, *, words: set[str], terms: list[Term] | None = None) -> tuple[tuple, set[str], list | None]:
        """The stamp and the known words (`Engine.index_stamp`), and, when every one of `terms` is a word the
        statistics place far above the bound (`term_counts`), their counts: read with the stamp are the words each
        term stems to, and the common words kept decide. Most queries' terms are those (the query's own words, the
        index knowing them all) and common at 12,000 documents: all of the bench's 20. A round trip less, and a
        statement less to parse and plan, than counting them apart (1.3 ms of a search's wall time, 0.3 ms of
        it the backend's work); a kept answer's stamp pays only the stemming (counting in the stamp's statement
        made it 1 ms slower). None when a term is rare, or phrase or prefix: `term_counts` then counts them."""
        common = common_words(cache.get(COMMON_WORDS_KEY))
        plain = [term.text for term in terms or () if not (term.prefix or term.phrase)]
        if common is None or not terms or len(plain) < len(terms):
            return super().index_stamp(words=words)
        known_sql, params = cls.known_words_sql(words)
        stems = ", ".join(f"tsvector_to_array(to_tsvector('{POSTGRES_CONFIG}'::regconfig, %s))" for _ in plain)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT MAX(id) FROM kb_searchentry), {NEWEST_WRITES_SQL}, {known_sql}, {stems}",
                [*params, *plain],
            )
            row = cursor.fetchone()
        surely_common = all(len(stemmed) == 1 and stemmed[0] in common for stemmed in row[4:])
        return tuple(row[:3]), cls.read_words(row[3]), [cls.COMMON_ROWS + 1] * len(terms) if surely_common else None

    @classmethod
    def ranked_rows(cls, query: Query, rare: list[int], window: int, total: int | None) -> Candidates:
        """One query: the rows to rank (every whole row of a rare term, found by the GIN index in one bitmap scan;
        when every term is common, the first rows holding them all) and each common term's own first few (when
        every term is common, only to fill a window the rows holding them all leave short); ts_rank of the terms
        in each row, summed and LIMITed to the window in the database; bodies read for the window only.

        One row per candidate, every term's score a column (a row joined to each term, each (row, term) pair
        its own `@@` and `ts_rank`, cost twice as much at 12,000 documents), and `@@` only where the GIN scan
        that found the row does not already say it matches."""
        terms = [cls.tsquery(term) for term in query.scored]
        common = [i for i in range(len(terms)) if i not in rare]
        # Every row of the rare terms, or the first rows holding all the (common) terms. Each term is written
        # once, in `q`: a scan's tsquery is then a parameter PostgreSQL cannot estimate, and it reads the GIN
        # index, where a constant common word made it read the table in order, matching each row's vector
        # ("node": 12 ms).
        found = " || ".join(f"q{i}" for i in rare) if rare else " && ".join(f"q{i}" for i in common)
        queries = [f"{sql} AS q{i}" for i, (sql, _) in enumerate(terms)]
        params = [p for _, term_params in terms for p in term_params]
        wanted, wanted_column = "", ""
        if query.required or query.excluded:
            match_sql, match_params = cls.match(query)
            queries.append(f"{match_sql} AS wanted")
            params.extend(match_params)
            wanted, wanted_column = "AND h.wanted", ", e.vector @@ q.wanted AS wanted"
        params.append(POSTGRES_WEIGHTS)
        # A row is matched against a term only where no GIN scan has already told: the rows of a common term's
        # own scan match it, and the rows ranked for every term match them all when every term is common (their
        # scan asked for all), or their one rare term.
        matched = set(range(len(terms))) if not rare else set(rare) if len(rare) == 1 else set()

        def score(i: int) -> str:
            rank = f"ts_rank(q.w, e.vector, q.q{i})"
            return f"{rank if i in matched else f'CASE WHEN e.vector @@ q.q{i} THEN {rank} END'} AS score_{i}"

        # Ranked as the scan reads them: a vector goes from its page to ts_rank, never copied into the CTE
        # (300 vectors of 4.6 kB at 12,000 documents).
        parts = [
            f"q AS MATERIALIZED (SELECT {', '.join(queries)}, %s::float4[] AS w)",
            f"""scored AS MATERIALIZED (
                SELECT e.id, e.ctid, e.title, e.document_id, {", ".join(score(i) for i in range(len(terms)))}{wanted_column}
                FROM (
                    SELECT id, ctid, title, document_id, vector FROM kb_searchentry
                    WHERE scope = 'whole' AND vector @@ (SELECT {found} FROM q) {"" if rare else f"LIMIT {cls.COMMON_ROWS}"}
                ) e CROSS JOIN q
            )""",
        ]
        if common:
            # When every term is common, their own first rows only fill a window the rows holding them all
            # leave short (as on SQLite): a condition PostgreSQL tests once, before the scans it guards, each of
            # which reads a common term's whole posting list (16,000 rows of a word at 12,000 documents). Those
            # rows are ranked only for the terms whose own first rows they are.
            fill_only = "" if rare else f"AND (SELECT COUNT(*) FROM scored) < {window}"
            values = ", ".join(f"({i}, q.q{i})" for i in common)
            own = ", ".join(
                f"CASE WHEN {i} = ANY(f.terms) THEN ts_rank(q.w, e.vector, q.q{i}) END" if i in common else "NULL"
                for i in range(len(terms))
            )
            parts.append(f"""hits AS MATERIALIZED (
                SELECT * FROM scored
                UNION ALL
                SELECT e.id, e.ctid, e.title, e.document_id, {own}{wanted_column} FROM (
                    SELECT e.id, array_agg(t.term) AS terms FROM q CROSS JOIN LATERAL (VALUES {values}) t (term, query)
                    CROSS JOIN LATERAL (
                        SELECT id FROM kb_searchentry WHERE scope = 'whole' AND vector @@ t.query LIMIT {window}
                    ) e
                    WHERE e.id NOT IN (SELECT id FROM scored) {fill_only}
                    GROUP BY e.id
                ) f JOIN kb_searchentry e ON e.id = f.id CROSS JOIN q
            )""")
        else:
            parts.append("hits AS (SELECT * FROM scored)")
        exact, exact_params = exact_alert_sql(query, any_of=cls.any_of)
        # The window's rows are read again by their address (`ctid`, which cannot change within the statement), not
        # looked up by id: 60 descents of the primary key fewer, whose leaf pages a first search finds out of
        # PostgreSQL's shared buffers (about 45 page reads of the ~600 of a first search at 12,000 documents).
        # Per term, its score in the row (NULL where it does not match) and how many rows ranked it matches.
        counts = ", ".join(f"COUNT(score_{i}) AS n{i}" for i in range(len(terms)))
        matches = ", ".join(f"ARRAY[{i}, f.n{i}, b.score_{i}]" for i in range(len(terms)))
        columns = ", ".join(f"h.score_{i}" for i in range(len(terms)))
        total_score = " + ".join(f"COALESCE(h.score_{i}, 0)" for i in range(len(terms)))
        sql = f"""
            WITH {", ".join(parts)},
            frequencies AS (SELECT {counts} FROM hits),
            best AS (
                SELECT h.id, h.ctid, {columns} FROM hits h
                WHERE (h.document_id IS NULL OR h.document_id NOT IN (SELECT id FROM kb_document WHERE archived))
                    {wanted}
                ORDER BY {total_score} DESC, h.title LIMIT %s
            )
            SELECT e.id, e.kind, e.title, e.alert, e.url, e.document_id, e.incident_id, substr(e.body, 1, {LEAD_CHARS}),
                   ARRAY[{matches}], {"%s::bigint" if total is not None else cls.COUNTED_SQL}, 0
            FROM best b CROSS JOIN frequencies f JOIN kb_searchentry e ON e.ctid = b.ctid{exact}"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, window, *([total] if total is not None else []), *exact_params])
            return read_candidates(cursor.fetchall(), cls.read_matches)

    # The whole rows in the index, when a worker has not kept their number (the statement is then parsed and
    # planned without it: 0.1 ms of backend CPU). Counted only when the statistics do not already say far more
    # (a CASE runs its branch lazily): counting 10,000 rows of an index took 2 ms of every search.
    COUNTED_SQL = f"""(SELECT CASE WHEN e.n >= 2 * {Engine.COUNTED_ROWS} THEN e.n ELSE (
        SELECT CASE WHEN c.n < {Engine.COUNTED_ROWS} THEN c.n ELSE GREATEST(c.n, e.n) END FROM (
            SELECT COUNT(*) AS n FROM (SELECT 1 FROM kb_searchentry WHERE {WHOLE_ROWS_SQL} LIMIT {Engine.COUNTED_ROWS}) x
        ) c
    ) END FROM (
        SELECT reltuples::bigint AS n FROM pg_class WHERE oid = 'kb_searchentry_whole_vector'::regclass
    ) e)"""

    @staticmethod
    def any_of(values: list) -> tuple[str, list]:
        return "= ANY(%s)", values

    @staticmethod
    def read_matches(matches: list[list[float | None]]):
        for term, frequency, score in matches:
            if score is not None:
                yield int(term), int(frequency), score

    @classmethod
    def snippet_rows(cls, query: Query, owners: Owners) -> list[SnippetRow]:
        """ts_headline() of the best part of each of those documents and incidents: the section of each document
        that holds the query's words best (`best_sections`), else its whole row; each incident's row."""
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
        documents = [d for d, _ in owners if d]
        incidents = [i for _, i in owners if i]
        best = cls.best_sections(query, documents) if documents else {}
        headline = f"ts_headline('{POSTGRES_CONFIG}'::regconfig, regexp_replace(e.body, %s, %s, 'g'), {match_sql}, %s)"
        # ts_headline runs once for each owner: on its best section's text, or on its whole row's, cut into words
        # where PostgreSQL's parser reads one token (`WORD_BREAKS`).
        sql = f"""
            SELECT e.document_id, e.incident_id, e.scope, e.url, e.heading, {headline}, 0
            FROM unnest(%s::bigint[], %s::int[]) b (document_id, part)
            JOIN kb_searchentry e ON e.document_id = b.document_id AND e.part = b.part AND e.scope = 'section'
            UNION ALL
            SELECT e.document_id, e.incident_id, e.scope, e.url, e.heading, {headline}, 0
            FROM kb_searchentry e
            WHERE e.scope = 'whole' AND (e.document_id = ANY(%s) OR e.incident_id = ANY(%s)) AND e.vector @@ {match_sql}"""
        headline_params = [*WORD_BREAKS, *match_params, options]
        rest = [d for d in documents if d not in best]
        params = [*headline_params, list(best), list(best.values()), *headline_params, rest, incidents, *match_params]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(*row[:5], row[5].replace(WORD_BREAK, ""), row[6]) for row in cursor.fetchall()]

    @staticmethod
    def best_sections(query: Query, documents: list[int]) -> dict[int, int]:
        """The number (`SearchEntry.part`) of each of those documents' section holding the query's words best, where
        one does, from its whole row's vector kept to those words and the marks of its sections (setweight, then
        ts_filter: nothing parsed again), scored by `best_section` among the sections that have a row."""
        terms = [*query.terms, *query.required]
        stems = f"tsvector_to_array(to_tsvector('{POSTGRES_CONFIG}'::regconfig, %s))"
        plain = " ".join(term.text for term in terms if not term.prefix)
        prefixes = " ".join(term.text for term in terms if term.prefix)
        # A word still being typed keeps the words it begins (to_tsquery's `:*`, of its stem).
        begun = (
            f"""|| ARRAY(SELECT l FROM unnest(tsvector_to_array(e.vector)) l WHERE l LIKE ANY(ARRAY(
                SELECT replace(replace(replace(s, '\\', '\\\\'), '%%', '\\%%'), '_', '\\_') || '%%' FROM unnest({stems}) s
            )))"""
            if prefixes
            else ""
        )
        sql = f"""
            SELECT e.document_id, ts_filter(setweight(setweight(e.vector, 'D'), 'A', %s::text[] || {stems} {begun}), '{{a}}')::text,
                   ARRAY(SELECT s.part FROM kb_searchentry s WHERE s.document_id = e.document_id AND s.scope = 'section')
            FROM kb_searchentry e WHERE e.scope = 'whole' AND e.document_id = ANY(%s)"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(SECTION_WORDS.values()), plain, *([prefixes] if prefixes else []), documents])
            found = {document: best_section(vector, set(parts)) for document, vector, parts in cursor.fetchall()}
        return {document: part for document, part in found.items() if part is not None}

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
        """The documents whose indexed text holds one of `names` as a phrase: the GIN index, not a scan of the text,
        whether the table's statistics are current or an import into an empty database has outrun them (no other
        index serves `scope = 'whole'` alone: `kb.models.WHOLE_ROWS_SQL`; BENCHMARKS.md, "Round 20")."""
        phrases = [name for name in names if name.strip()]
        phrase = f"phraseto_tsquery('{POSTGRES_CONFIG}'::regconfig, %s)"
        found: set[int | None] = set()
        # The statement written here, not by the ORM: compiling 50 nested `SearchQuery`s took 10 ms of this
        # process's CPU, more than the query's run (an import's batch asks for its ~50 new alerts).
        with connection.cursor() as cursor:
            for start in range(0, len(phrases), NAMES_PER_QUERY):
                chunk = phrases[start : start + NAMES_PER_QUERY]
                cursor.execute(
                    "SELECT DISTINCT document_id FROM kb_searchentry "
                    f"WHERE scope = 'whole' AND vector @@ ({' || '.join([phrase] * len(chunk))})",
                    chunk,
                )
                found.update(row[0] for row in cursor.fetchall())
        # Incidents' rows (no document) are dropped here, not by the query: given `document_id IS NOT NULL`, the
        # planner AND-ed the GIN index's few rows with the document index's every row (84,000 at 12,000
        # documents: 10 of the query's 11 ms, an import's batch paying it for each 50 new alerts).
        found.discard(None)
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
    def compact(*, documents: int) -> None:
        """Nothing to do: the GIN indexes keep no pending list (migration 0012) and VACUUM is autovacuum's."""

    @staticmethod
    def incidents_written(*, incidents: int) -> None:
        """Nothing to do: GIN indexes keep no segments (see `compact`)."""

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
