"""Search, whichever database is underneath: `search()` reads (`search_warm`, what a worker thread's start pays
for its first searches), and the index writer keeps the rows it
reads up to date (`search_index_update` for a document, `search_index_incidents` for
`kb.alerting.incidents`, the write path of incidents, and `search_index_rebuild`; `SearchTexts`, what a
document's HTML alone decides of its rows), and answers which documents name a word
(`search_documents_naming`, for the mentions of a name first seen).

Inside: `ranking` (the query understood once, scores combined), `engines` (PostgreSQL full-text and
SQLite FTS5 asked the same questions), `answers` (their answers, read the same way), `index` (what
text goes in which weighted column), `query` and `text`. Nothing outside this package imports those
modules: this file is its whole interface.

May import: `kb.markdown`, `kb.models`.
"""

from kb.search.index import (
    SearchTexts,
    SearchWords,
    search_documents_naming,
    search_index_compact,
    search_index_incidents,
    search_index_rebuild,
    search_index_update,
)
from kb.search.ranking import MAX_LIMIT, SearchHit, SearchResults, search, search_warm

__all__ = [
    "MAX_LIMIT",
    "SearchHit",
    "SearchResults",
    "SearchTexts",
    "SearchWords",
    "search",
    "search_documents_naming",
    "search_index_compact",
    "search_index_incidents",
    "search_index_rebuild",
    "search_index_update",
    "search_warm",
]
