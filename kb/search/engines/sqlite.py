"""SQLite's FTS5 engine (kb.search.engines)."""

from __future__ import annotations

import json

from django.db import connection

from kb.models import WHOLE_ROWS_SQL
from kb.search.answers import Candidates, Owners, SnippetRow, exact_alert_sql, read_candidates, read_near_words
from kb.search.engines.base import SNIPPET_WORDS, Engine
from kb.search.query import LEAD_CHARS, MARK_END, MARK_START, Query, Term

# Column weights: title and alert, section headings, body, identifiers of the body.
SQLITE_WEIGHTS = (20.0, 5.0, 1.0, 1.0)
# Whether the ranked row `row` is a whole one (a document's or an incident's, not a section): the index answers.
IS_WHOLE = f"EXISTS (SELECT 1 FROM kb_searchentry s INDEXED BY search_entry_scope WHERE s.id = {{row}}.id AND {WHOLE_ROWS_SQL})"


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
    def term_counts(cls, query: Query) -> list[int]:
        """Rows (sections too) each term matches, counted up to cls.COMMON_ROWS and one: FTS5 reads their ids only.
        The terms are a parameter (a JSON list): the statement's text is the same for every query, compiled once a
        connection (at a worker's start, kb.ops.warmup), not once for each number of terms."""
        sql = f"""SELECT (SELECT COUNT(*) FROM (
            SELECT 1 FROM kb_searchentry_fts WHERE kb_searchentry_fts MATCH t.value LIMIT {cls.COMMON_ROWS + 1}
        )) FROM json_each(%s) t ORDER BY t.key"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [json.dumps([cls.expression(t) for t in query.scored])])
            return [n for (n,) in cursor.fetchall()]

    @classmethod
    def ranked_rows(cls, query: Query, rare: list[int], window: int, total: int | None) -> Candidates:
        score = "-bm25(kb_searchentry_fts, %s, %s, %s, %s)"
        scan = f"SELECT rowid AS id, %s AS term, {score} AS score FROM kb_searchentry_fts WHERE kb_searchentry_fts MATCH %s"
        terms = query.scored
        common = [i for i in range(len(terms)) if i not in rare]
        # A common term's newest rows, enough for the window: what fills it when the rest are too few.
        newest = f"SELECT * FROM ({scan} ORDER BY rowid DESC LIMIT %s)"
        newest_of_common = " UNION ALL ".join([newest] * len(common))
        params: list = []
        whole_query = ""
        if query.required or query.excluded:
            whole_query = "AND w.id IN (SELECT rowid FROM kb_searchentry_fts WHERE kb_searchentry_fts MATCH %s)"
        not_archived = """w.id NOT IN (
            SELECT e.id FROM kb_document d INDEXED BY document_archived
            JOIN kb_searchentry e ON e.document_id = d.id WHERE d.archived
        )"""
        if rare:
            # Every row of a rare term; a common term scored in those rows by FTS5 matching it together
            # with the rare ones (bm25 adds up per term: the rare terms' part is taken off), and in its newest.
            any_rare = " OR ".join(cls.expression(terms[i]) for i in rare)
            hits = f"rare AS MATERIALIZED ({' UNION ALL '.join([scan] * len(rare))})"
            for i in rare:
                params += [i, *SQLITE_WEIGHTS, cls.expression(terms[i])]
            if common:
                # FTS5 must be the outer loop of the join (asked for one row at a time, it starts over for each).
                hits += f""",
                    joint AS MATERIALIZED ({" UNION ALL ".join([scan] * len(common))}),
                    hits AS (
                        SELECT * FROM rare UNION ALL SELECT j.id, j.term, j.score - r.score
                        FROM joint j CROSS JOIN (SELECT id, SUM(score) AS score FROM rare GROUP BY id) r ON r.id = j.id
                        UNION ALL SELECT * FROM ({newest_of_common}) n WHERE n.id NOT IN (SELECT id FROM rare)
                    )"""
                for i in common:
                    params += [i, *SQLITE_WEIGHTS, f"{cls.expression(terms[i])} AND ({any_rare})"]
                for i in common:
                    params += [i, *SQLITE_WEIGHTS, cls.expression(terms[i]), window]
            else:
                hits += ", hits AS (SELECT * FROM rare)"
            best = f"""{hits},
            whole AS (
                SELECT h.id, h.term, h.score, COUNT(*) OVER (PARTITION BY h.term) AS frequency
                FROM hits h WHERE {IS_WHOLE.format(row="h")}
            ),
            best AS (
                SELECT w.id, group_concat(w.term || ' ' || w.frequency || ' ' || w.score, ';') AS matches
                FROM whole w WHERE {not_archived} {whole_query}
                GROUP BY w.id ORDER BY SUM(w.score) DESC LIMIT %s
            )"""
        else:
            # Every term common: the newest rows holding them all (their bm25 shared out evenly: only the
            # sum counts); when those are too few for the window, each term's newest rows as well. Too few is
            # known only inside the statement, and a condition beside an FTS5 scan does not spare it: bm25()
            # first counts every row of its terms (45,000 rows of a word at 12,000 documents, 1.4 ms a term).
            # So the scan is given a phrase that matches nothing (`""`) when the window is full already.
            # Whether a row is a whole one is asked once a row here, not once for each term it stands for.
            # A row holding every term is ranked as one row, not one per term: its matches (the same share of
            # its score for each term) are written out only for the window's rows. Written for each of the 300
            # (a real written as text costs about 4,000 instructions) and counted per term by a window function,
            # they were a sixth of the slowest first searches. Its total is the sum SUM() made of the shares, and
            # equal totals rank the higher id first, as the sorter of `ORDER BY SUM(…) … LIMIT` ranked them.
            n_terms = len(terms)
            each = " UNION ALL ".join(f"SELECT {i} AS term" for i in range(n_terms))
            fill = f"""SELECT * FROM (
                SELECT rowid AS id, %s AS term, {score} AS score FROM kb_searchentry_fts
                WHERE kb_searchentry_fts MATCH (CASE WHEN (SELECT COUNT(*) FROM every) < %s THEN %s ELSE '""' END)
                ORDER BY rowid DESC LIMIT %s
            )"""
            best = f"""every AS MATERIALIZED (SELECT id, score, {IS_WHOLE.format(row="n")} AS whole FROM ({newest}) n),
            fill AS MATERIALIZED (
                SELECT n.id, n.term, {IS_WHOLE.format(row="n")} AS whole, n.score
                FROM ({" UNION ALL ".join([fill] * n_terms)}) n WHERE n.id NOT IN (SELECT id FROM every)
            ),
            frequency AS MATERIALIZED (
                SELECT t.term, (SELECT COUNT(*) FROM every WHERE whole)
                    + (SELECT COUNT(*) FROM fill f WHERE f.whole AND f.term = t.term) AS n
                FROM ({each}) t
            ),
            totals AS (
                SELECT id, {" + ".join([f"score / {n_terms}"] * n_terms)} AS total, score / {n_terms} AS share
                FROM every WHERE whole
                UNION ALL SELECT id, SUM(score), NULL FROM fill WHERE whole GROUP BY id
            ),
            kept AS MATERIALIZED (
                SELECT w.id, w.share FROM totals w WHERE {not_archived} {whole_query}
                ORDER BY w.total DESC, w.id DESC LIMIT %s
            ),
            best AS (
                SELECT k.id, (
                    SELECT group_concat(q.term || ' ' || q.n || ' ' || COALESCE(x.score, s.share), ';')
                    FROM (SELECT CAST(k.share AS TEXT) AS share) s CROSS JOIN frequency q
                    LEFT JOIN fill x ON x.id = k.id AND x.term = q.term WHERE s.share IS NOT NULL OR x.id IS NOT NULL
                ) AS matches
                FROM kept k
            )"""
            params += [0, *SQLITE_WEIGHTS, " AND ".join(cls.expression(t) for t in terms), cls.COMMON_ROWS]
            for i, term in enumerate(terms):
                params += [i, *SQLITE_WEIGHTS, window, cls.expression(term), window]
        if whole_query:
            params.append(cls.match(query))
        # Without statistics (no ANALYZE) SQLite would rather read every whole row than this index.
        exact, exact_params = exact_alert_sql(
            query, any_of=cls.any_of, indexed_by="INDEXED BY search_entry_runbook_alert"
        )
        # Rows are read from the table only for the window: a row's body (and every column after it) is
        # stored in overflow pages that SQLite walks to read it. Whether a hit is a whole row, the count
        # of those, and archived documents' rows are answered by indexes.
        sql = f"""
            WITH {best},
            counted AS (
                SELECT COUNT(*) AS n FROM (
                    SELECT 1 FROM kb_searchentry INDEXED BY search_entry_scope WHERE {WHOLE_ROWS_SQL} LIMIT {cls.COUNTED_ROWS}
                )
            )
            SELECT * FROM (
                SELECT e.id, e.kind, e.title, e.alert, e.url, e.document_id, e.incident_id, substr(e.body, 1, {LEAD_CHARS}),
                       b.matches, COALESCE(%s, (SELECT CASE WHEN n < {cls.COUNTED_ROWS} THEN n
                                          ELSE (SELECT MAX(id) FROM kb_searchentry_fts_docsize) END FROM counted)), 0
                FROM best b CROSS JOIN kb_searchentry e ON e.id = b.id
            ){exact}"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, window, total, *exact_params])
            return read_candidates(cursor.fetchall(), cls.read_matches)

    # The candidates' statement's text changes with the number of terms, and of rare ones among them. Each text is
    # compiled once a connection (5-9 M instructions at 12,000 documents: 1-2 ms of a first search) and kept by the
    # driver (its statement cache, 128 statements): `statements_compiled` compiles those of queries of up to
    # COMPILED_TERMS words, every term common, and of up to COMPILED_RARE_TERMS words with some rare.
    COMPILED_TERMS, COMPILED_RARE_TERMS = 6, 4
    # A term FTS5 matches with no row (a phrase of no word), and a name no alert has (Prometheus's have no space).
    NOTHING, NO_ALERT = Term(""), " "

    @classmethod
    def statements_compiled(cls) -> int:
        """The candidates' statement of every shape above, compiled by running it for terms that match no row (its
        text holds the terms' number, never the terms: they are parameters). ~10 ms of CPU a connection."""
        compiled = 0
        for n in range(1, cls.COMPILED_TERMS + 1):
            query = Query(terms=[cls.NOTHING] * n, alert_names={cls.NO_ALERT})
            for rare in range(n + 1 if n <= cls.COMPILED_RARE_TERMS else 1):
                cls.ranked_rows(query, list(range(rare)), window=60, total=0)
                compiled += 1
        return compiled

    @staticmethod
    def any_of(values: list) -> tuple[str, str]:
        return "IN (SELECT value FROM json_each(%s))", json.dumps(values)

    @staticmethod
    def read_matches(matches: str):
        for match in matches.split(";"):
            term, frequency, score = match.split(" ")
            yield int(term), int(frequency), float(score)

    @classmethod
    def snippet_rows(cls, query: Query, owners: Owners) -> list[SnippetRow]:
        """The rows of those documents and incidents that match, best first, with snippet() of their body:
        each section, each incident's row, and a document's whole row only when none of its sections matched.

        An owner's rows are written together, so FTS5 is asked, once per owner, only for the ids between its
        first and last (the foreign keys' indexes know them), however many rows of the knowledge base match.
        Best is the most matches, in the columns weighted as for ranking, counted by highlight(): bm25() would
        first count every row each term matches, again for each owner. Only sections are counted: a section
        is always preferred to the whole row (`best_parts`), of which an owner has one, so its whole text (the
        whole document) is not highlighted four times for nothing, nor cut into a snippet nobody reads (a third
        of this query's work): a document's whole row is found again, by its id, only when no section of it
        matched. The owners are a parameter (a JSON list), not a part of the statement each: its text is the
        same for every search, so the connection compiles it once (compiling one with a part per owner took
        3 ms, most of this query's time)."""
        marks = " + ".join(
            f"{weight} * (length(highlight(kb_searchentry_fts, {column}, char(1), '')) - length({name}))"
            for column, (name, weight) in enumerate(
                zip(("f.title_terms", "f.heading_terms", "f.body", "f.body_terms"), SQLITE_WEIGHTS, strict=True)
            )
        )
        snippet = f"snippet(kb_searchentry_fts, 2, %s, %s, '…', {SNIPPET_WORDS})"
        sql = f"""
            WITH owners AS MATERIALIZED (
                SELECT json_extract(value, '$[0]') AS document_id, json_extract(value, '$[1]') AS incident_id FROM json_each(%s)
            ),
            spans AS MATERIALIZED (
                SELECT o.document_id, o.incident_id,
                       COALESCE((SELECT MIN(id) FROM kb_searchentry WHERE document_id = o.document_id),
                                (SELECT MIN(id) FROM kb_searchentry WHERE incident_id = o.incident_id)) AS first,
                       COALESCE((SELECT MAX(id) FROM kb_searchentry WHERE document_id = o.document_id),
                                (SELECT MAX(id) FROM kb_searchentry WHERE incident_id = o.incident_id)) AS last
                FROM owners o
            ),
            matched AS MATERIALIZED (
                SELECT e.id, e.document_id, e.incident_id, e.scope, e.url, e.heading,
                       e.scope = 'section' OR e.document_id IS NULL AS cut,
                       CASE WHEN e.scope = 'section' OR e.document_id IS NULL THEN {snippet} END AS snippet,
                       CASE WHEN e.scope = 'section' THEN -({marks}) END AS rank
                FROM spans s CROSS JOIN kb_searchentry_fts f CROSS JOIN kb_searchentry e ON e.id = f.rowid
                WHERE kb_searchentry_fts MATCH %s AND f.rowid BETWEEN s.first AND s.last
                  AND (e.document_id = s.document_id OR e.incident_id = s.incident_id)
            )
            SELECT document_id, incident_id, scope, url, heading, snippet, rank, id FROM matched WHERE cut
            UNION ALL
            SELECT m.document_id, m.incident_id, m.scope, m.url, m.heading, {snippet}, m.rank, m.id
            FROM matched m CROSS JOIN kb_searchentry_fts f ON f.rowid = m.id
            WHERE NOT m.cut AND kb_searchentry_fts MATCH %s
              AND NOT EXISTS (SELECT 1 FROM matched s WHERE s.document_id = m.document_id AND s.scope = 'section')
            ORDER BY 7, 8"""
        spans = json.dumps([[document_id or None, incident_id or None] for document_id, incident_id in owners])
        match = cls.match(query)
        with connection.cursor() as cursor:
            cursor.execute(sql, [spans, MARK_START, MARK_END, match, MARK_START, MARK_END, match])
            return [row[:7] for row in cursor.fetchall()]

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
    def known_words_sql(words: set[str]) -> tuple[str, list]:
        return (
            "(SELECT json_group_array(word) FROM kb_searchterm WHERE word IN (SELECT value FROM json_each(%s)))",
            [json.dumps(sorted(words))],
        )

    @staticmethod
    def read_words(value: str) -> set[str]:
        return set(json.loads(value))

    # An import that wrote at least 1/WHOLE_SHARE of the documents stored leaves the index in one segment; a
    # smaller one starts folding every segment into one with this many pages a document it wrote (it writes about 1.2).
    WHOLE_SHARE = 4
    MERGE_PAGES_PER_DOCUMENT = 8

    @classmethod
    def compact(cls, *, documents: int) -> None:
        """After an import that wrote `documents`: FTS5's segments merged, for work in proportion to what it
        wrote. Every write transaction adds a segment, each searched for each term of each query, and the
        snippets' statement seeks each term in each of them once per hit: at 13,000 documents the bench's 20
        first searches executed 1,226 M instructions on 5 segments, 936 M on one (bench/scaling/search_instructions.py).
        - An import of a quarter of the documents or more: 'optimize', the whole index rewritten into one
          segment. It costs in proportion to the documents stored (1.1-2.4 s at 13,000), so from a quarter on
          it is a few percent of the import; at 1/16 it made importing into a full knowledge base 1.27-1.31x
          slower than into an empty one.
        - A smaller import (a Git sync of a few files, or 1,000 new documents into 13,000): 'merge' with a
          negative page count, FTS5's optimize done a bounded number of pages at a time: every segment, whatever
          its level, becomes the input of one merge, which this import begins and the next writes carry on
          (`incidents_written`). A merge under way when it starts is begun again from the first term.
        FTS5 takes either command with a page count (ignored by 'optimize'): one statement either way."""
        sql = f"""INSERT INTO kb_searchentry_fts(kb_searchentry_fts, rank) SELECT CASE
            WHEN %s * {cls.WHOLE_SHARE} >= (SELECT COUNT(*) FROM kb_document) THEN 'optimize' ELSE 'merge' END, %s"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [documents, -documents * cls.MERGE_PAGES_PER_DOCUMENT])

    # Pages of merging after a write of incidents (a group of 1,000 adds about 9, and merging costs about 0.06 ms
    # of CPU a page): enough to carry an import's merge of the whole index (23,000 pages at 13,000 documents and
    # 144,000 incidents) to its end within a few large groups, never a rewrite of the index at once.
    MERGE_PAGES_PER_WRITE, MERGE_PAGES_PER_INCIDENT = 16, 4

    @classmethod
    def incidents_written(cls, *, incidents: int) -> None:
        """After the webhook (or a form) wrote the rows of `incidents`: a bounded merge of FTS5's segments.
        Each write adds one, which every query then seeks each of its terms in (the snippets' once per hit).
        A positive page count: FTS5 carries on a merge under way (an import's, see `compact`), else merges the
        segments of a level; it never begins a merge of the whole index again. Nothing to merge: the structure
        is read, no more."""
        pages = cls.MERGE_PAGES_PER_WRITE + incidents * cls.MERGE_PAGES_PER_INCIDENT
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO kb_searchentry_fts(kb_searchentry_fts, rank) VALUES ('merge', %s)", [pages])

    @staticmethod
    def forget_words(words: set[str]) -> None:
        """Drops those of `words` that no row of the index matches any more."""
        sql = """DELETE FROM kb_searchterm WHERE word IN (SELECT value FROM json_each(%s)) AND NOT EXISTS
            (SELECT 1 FROM kb_searchentry_fts WHERE kb_searchentry_fts MATCH '"' || kb_searchterm.word || '"')"""
        with connection.cursor() as cursor:
            cursor.execute(sql, [json.dumps(sorted(words))])
