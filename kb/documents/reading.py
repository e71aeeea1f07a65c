"""An import's files read and parsed, the next ones in a second process while the importing process writes
(kb.documents.forked): the parsing needs nothing of the database, and what a file's saves compute from it alone
(`Ahead`) is computed there too, or by the importing process when the parsing one is the slower
(`SHARED_BELOW_BATCHES`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kb.documents.batches import Ahead
from kb.documents.files import skip_reason
from kb.documents.forked import mapped_in_process
from kb.entities.extraction import Vocabulary
from kb.markdown.parsing import NotADocument, ParsedDocument, ParseError, content_hash, decode, parse_document
from kb.markdown.rendering import Block
from kb.models import Document


@dataclass
class Candidate:
    path: Path
    identity: str
    root: Path | None  # the directory it was found in, for --prune


@dataclass
class Reading:
    """A file read and parsed, or why it is skipped or failed: nothing written yet."""

    outcome: str = ""  # skipped or failed; blank when parsed
    message: str = ""
    text: str = ""
    parsed: ParsedDocument | None = None
    # What its saves compute from `parsed` and each of its parts alone, when read ahead (`_read_ahead`).
    ahead: list[Ahead] = field(default_factory=list)

    def documents(self) -> list[ParsedDocument]:
        """Its parsed documents in the order they are saved: the file's, then its alert sections'."""
        return [self.parsed, *(part.parsed for part in self.parsed.parts)] if self.parsed else []

    def ahead_by_document(self) -> dict[int, Ahead]:
        """`ahead` by each parsed document's id(), for the saves of this file (`SaveBatch.one`)."""
        return {id(document): done for document, done in zip(self.documents(), self.ahead)}


def read_candidate(candidate: Candidate) -> Reading:
    """Pure (no database), so that an import runs it for the next files in another process."""
    reason = skip_reason(candidate.path)
    if reason:
        return Reading("skipped", reason)
    try:
        text = decode(candidate.path.read_bytes())
        return Reading(text=text, parsed=parse_document(text, candidate.identity))
    except NotADocument as exc:
        return Reading("skipped", str(exc))
    except (ParseError, OSError) as exc:
        return Reading("failed", str(exc))


def _read_ahead(candidate: Candidate, stored: frozenset[str] = frozenset()) -> Reading:
    """`read_candidate`, and for what changed what its saves would compute from it alone: the entity
    evidence (most of extraction's work, which needs nothing the knowledge base knows) and the HTML with
    its commands marked (for its linked HTML). `stored`: the content hashes of the stored documents: a
    file with one of them is most likely unchanged, and its evidence would not be used."""
    return _with_ahead(read_candidate(candidate), stored)


def _with_ahead(reading: Reading, stored: frozenset[str]) -> Reading:
    """The reading, with what `_read_ahead` adds to it when it has not got it yet."""
    if reading.parsed is not None and not reading.ahead and content_hash(reading.text) not in stored:
        documents = reading.documents()
        reading.ahead = [Ahead.of(document) for document in documents]
        for document in documents:
            # Read into its evidence: of its blocks, only their headings are read again (where extraction files
            # what the evidence shows), and the rest is not pickled for the importing process.
            document.outline = [Block(block.heading, block.level, block.anchor) for block in document.outline]
    return reading


# From this many files on, an import parses the next files in a second process while the importing process writes
# (parsing was a third of an import's time, and a second core sat idle).
READ_AHEAD_FROM = 50
# Batches (`importing.BATCH_FILES` files each) parsed ahead at most: a batch begins with all its files parsed, so
# one batch ahead left each process waiting for the other wherever a batch was heavier on one side than the next,
# and fewer files ahead than a batch made the two take turns (100 files a batch, 50 ahead: 79-82 s). 12,000
# documents into SQLite, 50 files a batch: 62.8-64.1 s one batch ahead, 60.8-64.6 s two, 60.0-61.0 s three, the
# same CPU and peak RSS (BENCHMARKS.md, "Import speed, round 12"). What waits is pickled, ~42 KB a file, in the
# parsing process.
READ_AHEAD_BATCHES = 3
# While fewer files than this many batches' wait parsed for the importing process, the parsing process leaves it
# what `_read_ahead` adds to reading a file (computed there as a batch takes it): where parsing is the slower side
# (SQLite), the work is shared out, and where writing is (PostgreSQL), the parsing process soon runs a batch ahead
# and does all of it. 12,000 documents into SQLite, in turn with the code before: 55.8-56.9 s -> 54.1-54.6 s, a
# tenth of the files' work left so; into PostgreSQL, the first two batches' (BENCHMARKS.md, "Import speed, round
# 13").
SHARED_BELOW_BATCHES = 1


def hashes_stored(identities: list[str]) -> frozenset[str]:
    """The content hashes stored for these identities (an import's files' paths), read by the unique index
    500 at a time: as many as the files imported, not the whole table (32 ms at 13,000 documents, for any
    import). A file with an `id:` in its front matter is not found so: an import takes it for changed."""
    stored: set[str] = set()
    for start in range(0, len(identities), 500):
        chunk = identities[start : start + 500]
        stored.update(Document.objects.filter(identity__in=chunk).order_by().values_list("content_hash", flat=True))
    return frozenset(stored)


def is_long(candidates: list[Candidate]) -> bool:
    """Whether an import of these is a long one: its files parsed ahead (`readings`)."""
    return len(candidates) >= READ_AHEAD_FROM


class _ReadAhead:
    """`_read_ahead` over an import's files in their order, in its parsing process, each changed document's
    findings extracted too (`Ahead.extracted`) with the vocabulary the importing process will have at its save: the
    one it began with, and the alert of each runbook read before, which the import adds as it saves them. Where the
    import goes otherwise (a save fails), the marks differ and the saves extract again (kb.entities.mentions).
    Extracting was a seventh of the importing process's CPU, the slower side on PostgreSQL while the parsing
    process waited for room a sixth of the time (BENCHMARKS.md, "Round 20")."""

    def __init__(self, stored: frozenset[str], vocabulary: Vocabulary) -> None:
        self.stored, self.vocabulary = stored, vocabulary

    def __call__(self, candidate: Candidate) -> Reading:
        reading = _read_ahead(candidate, self.stored)
        for document, ahead in zip(reading.documents(), reading.ahead):
            ahead.extracted(document, self.vocabulary)
        return self._read(reading)

    def lighter(self, candidate: Candidate) -> Reading:
        """`read_candidate`: the rest is left to the importing process (`SHARED_BELOW_BATCHES`)."""
        return self._read(read_candidate(candidate))

    def _read(self, reading: Reading) -> Reading:
        for document in reading.documents():
            self.vocabulary = self.vocabulary.of_document(document)
        return reading


@contextmanager
def readings(
    candidates: list[Candidate], *, batch_files: int, vocabulary: Vocabulary, dry_run: bool = False
) -> Iterator[Iterator[Reading]]:
    """The candidates' readings in order; a long import's are parsed ahead by one other process,
    `READ_AHEAD_BATCHES` batches of `batch_files` at most (a whole collection parsed ahead would wait in memory).
    `vocabulary`: the import's at its start."""
    if not is_long(candidates):
        yield map(read_candidate, candidates)
        return
    stored = frozenset() if dry_run else hashes_stored([candidate.identity for candidate in candidates])
    ahead = None if dry_run else _ReadAhead(stored, vocabulary)
    # Forked: parsing needs nothing of the database connection this process holds, and never touches it.
    with mapped_in_process(
        ahead or read_candidate,
        candidates,
        ahead=READ_AHEAD_BATCHES * batch_files,
        lighter=ahead.lighter if ahead else None,
        lighter_below=0 if dry_run else SHARED_BELOW_BATCHES * batch_files,
    ) as read_ahead:
        # What the parsing process left to this one, computed as a batch takes its files: before the batch reads
        # the entities its files' evidence names, at once.
        yield read_ahead if dry_run else (_with_ahead(reading, stored) for reading in read_ahead)
