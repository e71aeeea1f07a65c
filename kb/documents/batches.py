"""Many document saves as one unit (an import's batch of files): each save writes its document, parts,
links and rows as usual, and leaves to `SaveBatch.write` the work that is the same done once for all
of them: what the documents say about the incidents they name and those incidents' search rows, the
search vocabulary, the entities' counts and kinds, and the documents to re-read for the alerts first
seen. What is stored once `write` has run is what saving the documents one by one stores.

The batch also keeps, from one batch to the next, what the import has read already: entities by
name and the words the search vocabulary holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kb.alerting.incidents import IncidentFacts
from kb.entities.extraction import Evidence, Vocabulary
from kb.entities.mentions import MentionsLater
from kb.search import SearchWords, search_documents_naming


class SaveBatch:
    def __init__(self) -> None:
        self.incidents = IncidentFacts()
        self.words = SearchWords()
        self.mentions = MentionsLater()

    @contextmanager
    def one(self, found: dict[int, Evidence] | None = None) -> Iterator[None]:
        """Around one file's saves (inside their savepoint): when they fail, what they left to the
        batch goes with them. `found`: the entity evidence of its parsed documents, by their id()."""
        incidents = set(self.incidents.ids), dict(self.incidents.new)
        words = set(self.words.pending)
        mentions = self.mentions.snapshot()
        self.mentions.found = found or {}
        try:
            yield
        except BaseException:
            self.incidents.ids, self.incidents.new = incidents
            self.words.pending, self.words.known = words, set()
            self.mentions.restore(mentions)
            raise
        finally:
            # Keyed by id(): once the file is saved, another object may have the same id.
            self.mentions.found = {}

    def write(self, *, vocabulary: Vocabulary) -> None:
        """The batch's deferred work, inside the transaction of its saves; `vocabulary` knows their alerts."""
        self.words.write()
        self.incidents.write()
        self.mentions.write(vocabulary=vocabulary, naming=_documents_naming)


def _documents_naming(names: list[str]) -> set[int]:
    return search_documents_naming(names=names)
