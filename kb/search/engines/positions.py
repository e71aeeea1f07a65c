"""Where a query's words are in a PostgreSQL vector (kb.search.engines.postgres): the weights ts_rank gives its
positions, and the section of a document's whole row that holds them best, read from the marks of its sections
(kb.search.text.SECTION_MARK). Pure: the vector's text in, no database."""

from __future__ import annotations

import math
import re
from bisect import bisect_right

from kb.search.text import SECTION_WORDS

# D (body), C (each section's identifiers: nothing ranked, migration 0029), B (headings), A (title and alert). The C
# positions come after all others in a vector, so that ts_rank, which weighs a word's nth position by 1/n², ranks
# as it did without them.
POSTGRES_WEIGHTS = [0.2, 0.0, 0.5, 1.0]

# A lexeme of a vector's text and its positions: `'pod':2A,5A`.
VECTOR_ENTRY = re.compile(r"'((?:[^']|'')*)':([0-9A-D,]+)")
# to_tsvector writes every position past this one as this one: where in the text such a word is, is not known.
LAST_POSITION = 16383
HEADING_WEIGHT, TEXT_WEIGHT = POSTGRES_WEIGHTS[2], POSTGRES_WEIGHTS[0]  # B and D, as a section's own vector had them
# ts_rank's bound of a word's positions' sum (1/n² summed over n), which it divides each word's score by.
POSITIONS_BOUND = math.pi**2 / 6


def best_section(vector: str, sections: set[int]) -> int | None:
    """The number of the section whose words `vector` (the text of a whole row's vector kept to the query's words and
    the marks, `Postgres.best_sections`) holds best, by ts_rank's sum for a query of words or'ed (calc_rank_or) over
    the positions in the section: its heading's at weight B, its text's and its identifiers' at D. The first of the
    best; None where no section holds one."""
    places: dict[str, list[int]] = {}
    for lexeme, positions in VECTOR_ENTRY.findall(vector):
        places[lexeme.replace("''", "'")] = [int(p.rstrip("ABCD")) for p in positions.split(",")]
    starts, bodies, terms = (places.pop(SECTION_WORDS[mark], []) for mark in SECTION_WORDS)
    if not starts or len(bodies) != len(starts) or len(terms) not in (len(starts), len(starts) + 1):
        return None  # a text cut at its length, or positions past LAST_POSITION
    # Where each region begins: (position, section, weight); a region ends where the next begins. Before the first
    # section's mark, and in the identifiers of the text before the first section, none.
    regions = sorted(
        [
            *((start, n, HEADING_WEIGHT) for n, start in enumerate(starts, 1)),
            *((body, n, TEXT_WEIGHT) for n, body in enumerate(bodies, 1)),
            *((start, n, TEXT_WEIGHT) for n, start in enumerate(terms[-len(starts) :], 1)),
            # The whole text's identifiers, marked where they begin when it has some (`SearchTexts`): in no section.
            *([(terms[0], None, TEXT_WEIGHT)] if len(terms) == len(starts) + 1 else []),
        ]
    )
    begins = [position for position, _, _ in regions]
    scores: dict[int, float] = {}
    for positions in places.values():
        weights: dict[int, list[float]] = {}
        for position in positions:
            at = bisect_right(begins, position) - 1
            if at >= 0 and position < LAST_POSITION and regions[at][1] in sections:
                weights.setdefault(regions[at][1], []).append(regions[at][2])
        for n, found in weights.items():
            top = max(found)
            first = found.index(top)
            total = sum(weight / (j + 1) ** 2 for j, weight in enumerate(found))
            scores[n] = scores.get(n, 0.0) + (top + total - top / (first + 1) ** 2) / POSITIONS_BOUND
    return min(scores, key=lambda n: (-scores[n], n)) if scores else None
