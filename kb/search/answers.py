"""What the two engines' queries answer (kb.search.engines), read the same way whichever engine:
the candidates and the runbooks of an alert named exactly, the near words of misspelt ones, the best
part of each hit for its snippet."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection

from kb.models import SearchScope
from kb.search.query import LEAD_CHARS, Query

ROW_FIELDS = ("id", "kind", "title", "alert", "url", "document_id", "incident_id")
# rows with "term_scores", matches per term, rows in all, runbooks of an alert named exactly
Candidates = tuple[list[dict], dict[int, int], int, list[dict]]
Owners = dict[tuple[int, int], int]  # (document id or 0, incident id or 0) to the id of its ranked row
# document id, incident id, scope, url, heading, snippet, rank: a row of either engine's snippet_rows
SnippetRow = tuple[int | None, int | None, str, str, str, str, float]


def exact_alert_sql(
    query: Query, *, any_of: Callable[[list[str]], tuple[str, object]], indexed_by: str = ""
) -> tuple[str, list]:
    """`UNION ALL` the runbooks of the alerts the query names exactly (search_entry_runbook_alert, an index
    of lower(alert) on the runbooks' ranked rows, answers it), in the candidates' columns; or nothing.
    `any_of(names)`: the engine's test of a value against a list given as one parameter, so that the statement's
    text does not change with the number of names (each new text is compiled, or parsed, again)."""
    if not query.alert_names:
        return "", []
    names_sql, names = any_of(sorted(query.alert_names))
    sql = f"""
        UNION ALL
        SELECT e.id, e.kind, e.title, e.alert, e.url, e.document_id, e.incident_id, substr(e.body, 1, {LEAD_CHARS}),
               NULL, NULL, 1
        FROM kb_searchentry e {indexed_by} LEFT JOIN kb_document d ON d.id = e.document_id
        WHERE e.scope = 'whole' AND e.kind = 'runbook' AND lower(e.alert) {names_sql}
          AND (d.id IS NULL OR NOT d.archived)"""
    return sql, [names]


def read_candidates(fetched, read_matches) -> Candidates:
    """The rows of either engine's candidates query: ranked ones with their matches, then the exact ones."""
    rows, frequencies, total, exact = [], {}, 0, []
    for *fields, matches, row_total, is_exact in fetched:
        row = dict(zip([*ROW_FIELDS, "lead"], fields))
        if is_exact:
            exact.append(row)
            continue
        total = row_total
        row["term_scores"] = {}
        for term, frequency, score in read_matches(matches):
            row["term_scores"][term] = score
            frequencies[term] = frequency
        rows.append(row)
    return rows, frequencies, total, sorted(exact, key=lambda r: r["title"])


def read_near_words(sql: str, params: list) -> dict[str, list[str]]:
    """Runs either engine's near-words query: (misspelt word, known word) rows, by misspelt word."""
    near: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for word, known in cursor.fetchall():
            near.setdefault(word, []).append(known)
    return near


def owners_of(ranked: list[dict]) -> Owners:
    return {(r["document_id"] or 0, r["incident_id"] or 0): r["id"] for r in ranked}


def best_parts(rows: list[SnippetRow], owners: Owners) -> dict[int, tuple[str, str, str]]:
    """Per ranked row: its best matching section, else its whole body, as (url, heading, snippet)."""
    sections: dict[int, tuple[str, str, str]] = {}
    wholes: dict[int, tuple[str, str, str]] = {}
    for document_id, incident_id, scope, url, heading, snippet, _rank in rows:
        entry = owners.get((document_id or 0, incident_id or 0))
        if entry is not None:
            (sections if scope == SearchScope.SECTION else wholes).setdefault(entry, (url, heading, snippet))
    return wholes | sections
