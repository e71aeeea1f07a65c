"""The two full-text engines behind kb.search.ranking, asked the same three questions:

- `candidates(query, window)`: the best rows of documents and incidents, each with its score per
  query term (the database's own ranking, weighted by column), how many rows each term matched, and
  the runbooks of an alert the query names exactly: one query, the window LIMITed in the database;
- `snippets(query, ranked)`: for each ranked row, its best matching section (url with anchor,
  heading) and a highlighted snippet;
- `near_words(words)`: for each misspelt word, the known words similar to it or starting with it,
  one query for all.

One write is theirs too, `forget_words(words)`: it drops from the vocabulary those of `words` that
searching would no longer find, which only the engine can tell (each tokenises and stems its own way).
"""

from __future__ import annotations

import json
from functools import reduce
from operator import or_

from django.contrib.postgres.search import SearchQuery, SearchVectorExact, SearchVectorField
from django.db import connection
from django.db.models import Expression

from kb.models import SearchEntry, SearchScope, SearchTerm
from kb.search.answers import (
    Candidates,
    Owners,
    SnippetRow,
    best_parts,
    exact_alert_sql,
    owners_of,
    read_candidates,
    read_near_words,
)
from kb.search.query import LEAD_CHARS, MARK_END, MARK_START, Query, Term

SNIPPET_WORDS = 24
# Column weights: title and alert, section headings, body, identifiers of the body.
SQLITE_WEIGHTS = (20.0, 5.0, 1.0, 1.0)
POSTGRES_WEIGHTS = [0.2, 0.2, 0.5, 1.0]  # D (body), C (unused), B (headings), A (title and alert)
POSTGRES_CONFIG = "kb_search"  # English stemming without stop words (migration 0002_search)


def current_engine():
    return Postgres if connection.vendor == "postgresql" else Sqlite


# Names looked up together by `documents_naming` on PostgreSQL.
NAMES_PER_QUERY = 50


class Engine:
    """What the two engines share: `snippets` asks the engine's `snippet_rows` and keeps the best part of each row."""

    @classmethod
    def snippet_rows(cls, query: Query, owners: Owners) -> list[SnippetRow]:
        raise NotImplementedError

    @classmethod
    def snippets(cls, query: Query, ranked: list[dict]) -> dict[int, tuple[str, str, str]]:
        """The best matching section of each ranked row (else its whole body), as (url, heading, snippet)."""
        if not ranked:
            return {}
        owners = owners_of(ranked)
        return best_parts(cls.snippet_rows(query, owners), owners)


class Sqlite(Engine):
    """FTS5 over the four weighted columns: bm25() per term (FTS5 scores lower-is-better; negated
    here), snippet() from the body column, a trigram FTS5 table over the vocabulary."""

    RANKS_BY_RARITY = True  # bm25 weighs each term by its idf
    # A document's words, most of them known, are read before the insert: the unique index answers.
    READS_KNOWN_WORDS = False

    @staticmethod
    def expression(term: Term) -> str:
        return '"' + term.text.replace('"', " ") + '"' + ("*" if term.prefix else "")

    @classmethod
    def match(cls, query: Query) -> str:
        """The whole query in FTS5 syntax: (any term) AND every required phrase NOT (any excluded)."""
        clauses = [f"({' OR '.join(cls.expression(t) for t in query.terms)})"] if query.terms else []
        clauses += [cls.expression(t) for t in query.required]
        expression = " AND ".join(clauses)
        if query.excluded:
            expression += f" NOT ({' OR '.join(cls.expression(t) for t in query.excluded)})"
        return expression

    @classmethod
    def candidates(cls, query: Query, *, window: int) -> Candidates:
        per_term = " UNION ALL ".join(
            f"SELECT rowid AS id, {i} AS term, -bm25(kb_searchentry_fts, %s, %s, %s, %s) AS score"
            " FROM kb_searchentry_fts WHERE kb_searchentry_fts MATCH %s"
            for i in range(len(query.scored))
        )
        params: list = [p for term in query.scored for p in (*SQLITE_WEIGHTS, cls.expression(term))]
        whole_query = ""
        if query.required or query.excluded:
            whole_query = "AND w.id IN (SELECT rowid FROM kb_searchentry_fts WHERE kb_searchentry_fts MATCH %s)"
            params.append(cls.match(query))
        # Without statistics (no ANALYZE) SQLite would rather read every whole row than this index.
        exact, exact_params = exact_alert_sql(query, indexed_by="INDEXED BY search_entry_runbook_alert")
        # Rows are read from the table only for the window: a row's body (and every column after it) is
        # stored in overflow pages that SQLite walks to read it. Whether a hit is a whole row, the count
        # of those, and archived documents' rows are answered by indexes.
        sql = f"""
            WITH hits AS ({per_term}),
            whole AS (
                SELECT h.id, h.term, h.score, COUNT(*) OVER (PARTITION BY h.term) AS frequency
                FROM hits h WHERE EXISTS (
                    SELECT 1 FROM kb_searchentry s INDEXED BY search_entry_scope WHERE s.scope = 'whole' AND s.id = h.id
                )
            ),
            best AS (
                SELECT w.id, group_concat(w.term || ' ' || w.frequency || ' ' || w.score, ';') AS matches
                FROM whole w
                WHERE w.id NOT IN (
                    SELECT e.id FROM kb_document d JOIN kb_searchentry e ON e.document_id = d.id WHERE d.archived
                ) {whole_query}
                GROUP BY w.id ORDER BY SUM(w.score) DESC LIMIT %s
            )
            SELECT * FROM (
                SELECT e.id, e.kind, e.title, e.alert, e.url, e.document_id, e.incident_id, substr(e.body, 1, {LEAD_CHARS}),
                       b.matches, (SELECT COUNT(*) FROM kb_searchentry WHERE scope = 'whole'), 0
                FROM best b JOIN kb_searchentry e ON e.id = b.id
            ){exact}"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, window, *exact_params])
            return read_candidates(cursor.fetchall(), cls.read_matches)

    @staticmethod
    def read_matches(matches: str):
        for match in matches.split(";"):
            term, frequency, score = match.split(" ")
            yield int(term), int(frequency), float(score)

    @classmethod
    def snippet_rows(cls, query: Query, owners: Owners) -> list[SnippetRow]:
        """The rows of those documents and incidents that match, best first, with snippet() of their body.
        Their rows' ids come from the foreign keys' indexes, so that a matching row is read from the table
        only when it is theirs (its owner's id is stored after its body); the `+` keeps FTS5 from being
        asked for each of those ids in turn."""
        documents = [d for d, _ in owners if d] or [0]
        incidents = [i for _, i in owners if i] or [0]
        sql = f"""
            SELECT e.document_id, e.incident_id, e.scope, e.url, e.heading,
                   snippet(kb_searchentry_fts, 2, %s, %s, '…', {SNIPPET_WORDS}),
                   bm25(kb_searchentry_fts, %s, %s, %s, %s) AS rank
            FROM kb_searchentry_fts JOIN kb_searchentry e ON e.id = kb_searchentry_fts.rowid
            WHERE kb_searchentry_fts MATCH %s
              AND +kb_searchentry_fts.rowid IN (
                  SELECT id FROM kb_searchentry WHERE document_id IN ({", ".join(["%s"] * len(documents))})
                  UNION ALL SELECT id FROM kb_searchentry WHERE incident_id IN ({", ".join(["%s"] * len(incidents))})
              )
            ORDER BY rank, e.id"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [MARK_START, MARK_END, *SQLITE_WEIGHTS, cls.match(query), *documents, *incidents])
            return cursor.fetchall()

    @staticmethod
    def near_words(words: list[str]) -> dict[str, list[str]]:
        """For each of `words`, the known words sharing trigrams with it (the trigram FTS5 table) and the
        words it begins: one query for all."""
        parts, params = [], []
        for word in words:
            trigrams = sorted({f'"{word[i : i + 3]}"' for i in range(len(word) - 2)})
            if trigrams:
                parts.append(
                    "SELECT %s, word FROM (SELECT word FROM kb_searchterm_trigrams"
                    " WHERE kb_searchterm_trigrams MATCH %s ORDER BY rank LIMIT 50)"
                )
                params += [word, " OR ".join(trigrams)]
            parts.append(
                "SELECT %s, word FROM (SELECT word FROM kb_searchterm WHERE word >= %s AND word < %s LIMIT 20)"
            )
            params += [word, word, word + "\x7f"]
        return read_near_words(" UNION ".join(parts), params)

    @staticmethod
    def documents_naming(names: list[str]) -> set[int]:
        """The documents whose indexed text holds one of `names` as a phrase (FTS5, not a scan of the text)."""
        phrases = [f'"{name.replace(chr(34), " ")}"' for name in names if any(c.isalnum() for c in name)]
        if not phrases:
            return set()
        sql = """SELECT DISTINCT e.document_id FROM kb_searchentry_fts JOIN kb_searchentry e ON e.id = kb_searchentry_fts.rowid
            WHERE kb_searchentry_fts MATCH %s AND e.scope = 'whole' AND e.document_id IS NOT NULL"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [" OR ".join(phrases)])
            return {row[0] for row in cursor.fetchall()}

    @staticmethod
    def known_words(words: set[str]) -> set[str]:
        return set(SearchTerm.objects.filter(word__in=words).values_list("word", flat=True))

    @staticmethod
    def forget_words(words: set[str]) -> None:
        """Drops those of `words` that no row of the index matches any more."""
        sql = """DELETE FROM kb_searchterm WHERE word IN (SELECT value FROM json_each(%s)) AND NOT EXISTS
            (SELECT 1 FROM kb_searchentry_fts WHERE kb_searchentry_fts MATCH '"' || kb_searchterm.word || '"')"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [json.dumps(sorted(words))])


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
    def candidates(cls, query: Query, *, window: int) -> Candidates:
        """One query: each term's rows found by the GIN index of whole rows and ranked by ts_rank once,
        summed per row and LIMITed to the window in the database; bodies are read for the window only.
        The terms are a VALUES list joined to the table, not a UNION of one scan per term: PostgreSQL
        would run those in parallel workers, which cost more to start than the search takes."""
        params: list = [POSTGRES_WEIGHTS]
        wanted, wanted_filter = "", ""
        if query.required or query.excluded:
            match_sql, match_params = cls.match(query)
            wanted, wanted_filter = f", e.vector @@ {match_sql} AS wanted", "AND h.wanted"
            params += match_params
        terms = []
        for i, term in enumerate(query.scored):
            term_sql, term_params = cls.tsquery(term)
            terms.append(f"({i}, {term_sql})")
            params += term_params
        exact, exact_params = exact_alert_sql(query)
        # Each hit carries what the window is chosen by (its title for ties, its document for the
        # archived ones), so that only the window's rows are read again, for their lead; frequencies
        # count every whole row a term matches. The count of ranked rows reads the index search_entry_scope.
        # Per term, its score in the row (NULL where it does not match) and how many whole rows it matches.
        matches = ", ".join(
            f"ARRAY[{i}, (SELECT n FROM frequencies WHERE term = {i}), b.score_{i}]" for i in range(len(terms))
        )
        sums = ", ".join(f"SUM(h.score) FILTER (WHERE h.term = {i}) AS score_{i}" for i in range(len(terms)))
        sql = f"""
            WITH hits AS (
                SELECT e.id, e.title, e.document_id, t.term, ts_rank(%s::float4[], e.vector, t.q) AS score {wanted}
                FROM (VALUES {", ".join(terms)}) t (term, q)
                JOIN kb_searchentry e ON e.scope = 'whole' AND e.vector @@ t.q
            ),
            frequencies AS (SELECT term, COUNT(*) AS n FROM hits GROUP BY term),
            best AS (
                SELECT h.id, {sums} FROM hits h
                WHERE (h.document_id IS NULL OR h.document_id NOT IN (SELECT id FROM kb_document WHERE archived))
                    {wanted_filter}
                GROUP BY h.id, h.title ORDER BY SUM(h.score) DESC, h.title LIMIT %s
            )
            SELECT e.id, e.kind, e.title, e.alert, e.url, e.document_id, e.incident_id, substr(e.body, 1, {LEAD_CHARS}),
                   ARRAY[{matches}], (SELECT COUNT(*) FROM kb_searchentry WHERE scope = 'whole'), 0
            FROM best b JOIN kb_searchentry e ON e.id = b.id{exact}"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, window, *exact_params])
            return read_candidates(cursor.fetchall(), cls.read_matches)

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
    def known_words(words: set[str]) -> set[str]:
        # Never `word IN (…)` here: pg_trgm's GIN index answers equality too, and during imports the
        # planner picked it (250 ms a document, its pending list read each time: imports slowed as they
        # went). Joined to the list, each word is a probe of the unique index.
        sql = "SELECT t.word FROM unnest(%s::text[]) AS w(word) JOIN kb_searchterm t ON t.word = w.word"
        with connection.cursor() as cursor:
            cursor.execute(sql, [sorted(words)])
            return {row[0] for row in cursor.fetchall()}

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
