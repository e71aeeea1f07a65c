"""Many document saves as one unit (an import's batch of files): each save writes its document and
its links as usual, and leaves to `SaveBatch.write` the work that is the same done once for all of
them: the rows each document owns (sections, history rows, follow-ups, lessons, search rows,
mentions, links to the incidents it names, its revision) inserted per table, the linked HTML of each, what the documents say about
the incidents they name and those incidents' search rows, the search vocabulary, the entities'
counts and kinds, and the documents to re-read for the alerts first seen. What is stored once
`write` has run is what saving the documents one by one stores.

The batch also keeps, from one batch to the next, what the import has read already: entities by
name and the words the search vocabulary holds.
"""

from __future__ import annotations

import pickle
from collections import deque
from collections.abc import Container, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db.models import Model

from kb.alerting.incidents import IncidentFacts
from kb.entities.batch import MentionsLater
from kb.entities.extraction import Evidence, Finding, Vocabulary, document_subject, evidence_of, extract_parsed
from kb.entities.links import linked_html_write
from kb.markdown.commands import mark_commands
from kb.markdown.parsing import ParsedDocument
from kb.models.alerting import Alert
from kb.models.constraints import named_any_case, names_inserted
from kb.models.documents import Document, DocumentKind
from kb.models.rows import NewRow, ids_reserved, instance_keyed, rows_insert
from kb.search import SearchTexts, SearchWords, search_documents_naming


@dataclass
class Ahead:
    """What one document's save computes from the document alone, computed beforehand by an import's
    parsing process (kb.documents.importing): the entity evidence, the HTML with its commands marked
    (kb.markdown.commands) and its search rows' texts (unpickled in a fifteenth of the time they take to
    compute: BENCHMARKS.md, "Import speed: the importing process (issue #12, round 6)")."""

    evidence: Evidence | None  # None once its findings are extracted: `evidence_pickled` holds it then
    commands_html: str
    search_texts: SearchTexts
    # Its findings, extracted with the vocabulary its save is expected to have (`extracted`), and that
    # vocabulary's mark: the save uses them when its own vocabulary has that mark (kb.entities.mentions).
    findings: list[Finding] | None = None
    vocabulary_mark: bytes = b""
    # The evidence, pickled on its own once the findings are extracted: only a save whose vocabulary's mark differs
    # reads it, and the importing process unpickled every document's to use almost none (a reading's unpickling,
    # 1,200 generated documents: 0.200 -> 0.114 ms a document; 3,000 into PostgreSQL: its CPU 10.2-10.4 -> 8.9-9.8 s).
    evidence_pickled: bytes = b""

    @classmethod
    def of(cls, parsed: ParsedDocument) -> Ahead:
        """Pure: no database."""
        return cls(evidence_of(parsed), mark_commands(parsed.html), SearchTexts.of(parsed.html))

    def extracted(self, parsed: ParsedDocument, vocabulary: Vocabulary) -> None:
        """`parsed`'s findings as its save would extract them with `vocabulary`, from the evidence already found.
        Pure: no database."""
        vocabulary = vocabulary.of_document(parsed)
        self.findings = extract_parsed(parsed, vocabulary=vocabulary, found=self.evidence)
        self.vocabulary_mark = vocabulary.mark
        self.evidence_pickled, self.evidence = pickle.dumps(self.evidence, pickle.HIGHEST_PROTOCOL), None

    def found(self) -> Evidence:
        """Its evidence (kb.entities.mentions reads it where it extracts again)."""
        return self.evidence if self.evidence is not None else pickle.loads(self.evidence_pickled)

    def names(self) -> Iterator[str]:
        """The names its save will look up as entities: its findings', when extracted, or most of them, those
        its evidence holds."""
        if self.findings is not None:
            yield from (finding.name for finding in self.findings)
            return
        found = self.evidence
        yield from (hit.name for _, hit in found.references)
        yield from (hit.name for hits in found.hits for hit, _ in hits)
        yield from (name for pairs in found.pairs for pair in pairs for name, _, _ in pair)


class SaveBatch:
    def __init__(self) -> None:
        # Rows of the batch's documents, inserted at `flush`: a bulk insert per table, not one a document.
        self.rows: list[Model | NewRow] = []
        # The batch's new documents, each given its id (from `ids`, reserved for those it holds: `new_ahead`),
        # inserted at `flush` before the rows naming them: two statements a document were a tenth of an import's
        # time on PostgreSQL, each a turn of the server's and this process's.
        self.documents: list[Document] = []
        self.ids: deque[int] = deque()
        # The alerts its new runbooks name that the import did not know, inserted at its start (`saves_ahead`).
        self.alerts: dict[str, Alert] = {}
        self.incidents = IncidentFacts(rows=self.rows)
        self.words = SearchWords()
        self.mentions = MentionsLater(rows=self.rows)
        # The identities of the batch's files, and those stored among them and their alert sections'
        # (`<identity>#<alert>`), read once a batch (kb.documents.importing); each document saved joins them.
        self.files: set[str] = set()
        self.stored: set[str] = set()
        # The (kind, slug) stored that the batch's new documents may want, read at its start with the
        # options and prefixes asked (kb.documents.saving.slug_options); each slug given joins them.
        self.slugs: set[tuple[str, str]] = set()
        self.slugs_asked: set[str] = set()
        self.prefixes_asked: set[str] = set()
        # What was computed beforehand for the documents being saved (`Ahead`), by id(): set by `one`.
        self.ahead: dict[int, Ahead] = {}

    def entities_ahead(self, files: list[tuple[ParsedDocument, list[Ahead]]]) -> None:
        """The entities the batch's documents may name (their subject, labels and evidence), read at once.
        `files`: each file's parse and what was computed ahead for it and for each of its alert sections."""
        documents = [
            pair for parsed, ahead in files for pair in zip([parsed, *(part.parsed for part in parsed.parts)], ahead)
        ]
        self.mentions.entities_read(
            name
            for parsed, done in documents
            for name in (*filter(None, [document_subject(parsed)]), *map(str, parsed.labels.values()), *done.names())
        )

    def new_ahead(self, files: list[tuple[str, ParsedDocument]], *, known: Container[str]) -> None:
        """For the batch's files (identity and parsed) that are new, and their alert sections: their documents'
        ids, and the alerts their runbooks name that are not `known`, inserted (a statement a runbook before).
        The alert of a new file whose save then fails stays, as one an Alertmanager sent first would: none of
        their saves can fail but for a bug (a stored file changing kind fails). The alerts the import knows that
        any of the batch's runbooks name are read, in one statement (one a runbook before: 2% of an import of
        1,000 documents into 13,000, whose alerts were mostly stored)."""
        documents = [
            (document, its)
            for identity, parsed in files
            for document, its in [(parsed, identity), *((p.parsed, f"{identity}#{p.alert}") for p in parsed.parts)]
        ]
        new = [(document, its) for document, its in documents if self.is_new(its)]
        self.ids = deque(ids_reserved(Document, len({its for _, its in new})))
        names: dict[str, str] = {}  # the alerts the batch's runbooks name, each as first written
        for document, _ in documents:
            if document.kind == DocumentKind.RUNBOOK and document.alert:
                names.setdefault(document.alert.lower(), document.alert)
        of_new = {document.alert.lower() for document, _ in new if document.alert}
        self.alerts = names_inserted(
            [Alert(name=name) for key, name in names.items() if key in of_new and key not in known]
        )
        if stored := [name for key, name in names.items() if key in known]:
            self.alerts |= {alert.name.lower(): alert for alert in named_any_case(Alert.objects.all(), *stored)}

    def document_new(self, document: Document) -> None:
        """A new document of the batch, given its id now and inserted at `flush` with the batch's rows. One was
        reserved for each identity new at the batch's start (`new_ahead`), and an identity saved is no longer new
        (`is_new`): a second save of it, a file named twice, updates the first (`is_pending`)."""
        instance_keyed(document, self.ids.popleft())
        self.documents.append(document)

    def is_pending(self, identity: str) -> bool:
        """Whether a document of this identity was saved in the batch and is not inserted yet (`flush`)."""
        return any(document.identity == identity for document in self.documents)

    def is_new(self, identity: str) -> bool:
        """The identity of a batch's file or alert section that is not stored: no read needed."""
        return identity.partition("#")[0] in self.files and identity not in self.stored

    def slugs_cover(self, options: list[str]) -> bool:
        """Whether the slugs read at the batch's start answer which of these options are taken."""
        return options[-1] in self.prefixes_asked and all(o in self.slugs_asked for o in options)

    def has_parts(self, identity: str) -> bool:
        """Whether a runbook of one of that file's alert sections may be stored (archived or not)."""
        return identity not in self.files or any(s.startswith(f"{identity}#") for s in self.stored)

    @contextmanager
    def one(self, ahead: dict[int, Ahead] | None = None) -> Iterator[None]:
        """Around one file's saves (inside their savepoint): when they fail, what they left to the
        batch goes with them. `ahead`: what was computed beforehand for its parsed documents, by their id()."""
        incidents = set(self.incidents.ids), dict(self.incidents.new), list(self.incidents.naming)
        words = set(self.words.pending)
        mentions = self.mentions.snapshot()
        slugs = set(self.slugs)
        rows, documents, linked = list(self.rows), list(self.documents), dict(self.mentions.linked)
        self.ahead = self.mentions.computed = ahead or {}
        try:
            yield
        except BaseException:
            self.incidents.ids, self.incidents.new, self.incidents.naming = incidents
            self.words.pending, self.words.known = words, set()
            self.mentions.restore(mentions)
            # Rows flushed during this file (it updated a document) went with its savepoint: pending again.
            self.rows[:], self.documents[:] = rows, documents
            self.mentions.linked = linked
            self.slugs = slugs
            raise
        finally:
            # Keyed by id(): once the file is saved, another object may have the same id.
            self.ahead = self.mentions.computed = {}

    def flush(self) -> None:
        """Inserts the new documents and the rows left so far and stores the linked HTML: before a save reads or
        replaces a document's own rows (an update), and before the batch's work that reads them. The incidents
        its new documents name first (`IncidentFacts.link`): their links are rows too."""
        # A new document's linked HTML goes in with it (`links_store` set it on the instance): stored again by an
        # UPDATE, each row was written twice, with ten index entries each time on PostgreSQL (BENCHMARKS.md,
        # "Round 15").
        inserted = {document.pk for document in self.documents}
        rows_insert(self.documents, keyed=True)
        self.documents.clear()
        self.incidents.link()
        self.mentions.pending_insert()
        rows_insert(self.rows)
        self.rows.clear()
        linked_html_write({pk: html for pk, html in self.mentions.linked.items() if pk not in inserted})
        self.mentions.linked = {}

    def write(self, *, vocabulary: Vocabulary) -> None:
        """The batch's deferred work, inside the transaction of its saves; `vocabulary` knows their alerts."""
        # The new incidents inserted with their facts (`IncidentFacts.write`): nothing reads them before.
        self.incidents.link(unsaved=True)
        self.flush()
        self.words.write()
        self.incidents.write()
        self.mentions.write(vocabulary=vocabulary, naming=_documents_naming)


def _documents_naming(names: list[str]) -> set[int]:
    return search_documents_naming(names=names)
