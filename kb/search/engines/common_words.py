"""Which words PostgreSQL's statistics call common, read without counting their rows (kb.search.engines.postgres)."""

from __future__ import annotations

from functools import lru_cache

# A word in this many times Engine.COMMON_ROWS whole rows by the statistics of whole rows' words (the most common
# elements ANALYZE samples, migration 0023; autovacuum keeps them) is common without counting: a margin for the
# sample's error and for rows gone since (a word the sample places in 600 of 157,000 whole rows, ~80 of its
# ~20,000, is not in 300: 4 standard deviations off). Their sample holds 1,000 words at most, the rarest of which
# were in ~590 whole rows at 12,000 documents. Owner only: another role reads none, and every word is counted.
SURELY_COMMON = 2
STATISTICS_SECONDS = 300
COMMON_WORDS_KEY = "search:postgresql-common-words"
# The words the statistics place in SURELY_COMMON times Engine.COMMON_ROWS whole rows or more (frequencies are of
# the rows the expression is not NULL in: the whole rows).
COMMON_WORDS_SQL = """
    WITH common AS MATERIALIZED (SELECT (
        SELECT array_agg(u.word) FROM pg_stats_ext_exprs s,
            unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) u (word, frequency)
        WHERE s.statistics_schemaname = current_schema() AND s.statistics_name = 'kb_searchentry_whole_words'
          AND u.word IS NOT NULL
          AND u.frequency * (1 - s.null_frac) * (
              SELECT reltuples FROM pg_class WHERE oid = 'kb_searchentry'::regclass
          ) >= %s
    ) AS words)"""


@lru_cache(maxsize=1)
def common_words(kept: str | None) -> frozenset[str] | None:
    """The common words kept (the text of a PostgreSQL array), as a set; None when none are kept, or when the text
    has quoted elements (never seen: stems of the search configuration are plain words), which a caller then
    leaves to PostgreSQL to read."""
    if kept is None or '"' in kept or "\\" in kept:
        return None
    inner = kept[1:-1]
    return frozenset(inner.split(",")) if inner else frozenset()
