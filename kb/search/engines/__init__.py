"""The two full-text engines behind kb.search.ranking (`sqlite`, `postgres`; what they share is in `base`; where a
query's words are in PostgreSQL's vectors, in `positions`; which words its statistics call common, in
`common_words`), asked the same four questions:

- `term_counts(query)`: how many rows each term matches, counted up to a bound (`Engine.COMMON_ROWS`);
- `candidates(query, window, total)`: the best rows of documents and incidents, each with its score per
  query term (the database's own ranking, weighted by column), how many rows each term matched, and
  the runbooks of an alert the query names exactly: one query after `term_counts` (on PostgreSQL
  the two in one statement cost 4 ms more a search at 12,000 documents), the window LIMITed in the database, and never more rows ranked than
  a few times the bound, however large the knowledge base;
- `snippets(query, ranked)`: for each ranked row, its best matching section (url with anchor,
  heading) and a highlighted snippet, one query for all (PostgreSQL: one more before it, each document's best
  section read from its whole row);
- `near_words(words)`: for each misspelt word, the known words similar to it or starting with it,
  one query for all.

`statements_compiled()` compiles, on the connection, the statements whose text changes with a query's shape,
where the engine keeps them compiled (SQLite; at a worker thread's start). `index_stamp(words, terms)` reads what changes whenever an answer could, with which of `words` the vocabulary
knows (`known_words`) and, where the engine can tell without counting, `term_counts` of `terms`: the one query of an answer kept. Writes are theirs too: `forget_words(words)`: it drops from the vocabulary those of `words` that
searching would no longer find, which only the engine can tell (each tokenises and stems its own way); and
`compact(documents)` after an import, `incidents_written(incidents)` after a write of incidents: SQLite merges
FTS5's segments there, PostgreSQL has nothing to do.
"""

from django.db import connection

from kb.search.engines.base import Engine
from kb.search.engines.postgres import Postgres
from kb.search.engines.sqlite import Sqlite

__all__ = ["Engine", "Postgres", "Sqlite", "current_engine"]


def current_engine() -> type[Engine]:
    return Postgres if connection.vendor == "postgresql" else Sqlite
