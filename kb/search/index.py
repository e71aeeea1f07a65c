"""Writes the search index: one ranked row per document or incident, one row per section, and the vocabulary.

The database indexes these rows itself (see SearchEntry); this module only decides what text goes
into which weighted column. `kb.documents.saving.document_save` calls `search_index_update` for every
document it writes. `search_index_incidents` has one caller, `kb.alerting.incidents`, the write path
every incident goes through (the incident form, the admin, the Alertmanager webhook and the
incidents a document names).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.constants import OnConflict

from kb.markdown.html_parts import split_sections
from kb.markdown.parsing import Section as ParsedSection
from kb.models import Document, Incident, Runbook, SearchEntry, SearchKind, SearchScope, SearchTerm, Section
from kb.models.rows import NewRow, rows_insert
from kb.search.engines import current_engine
from kb.search.text import (
    SECTION_BODY_MARK,
    SECTION_MARK,
    SECTION_TERMS_MARK,
    html_text,
    identifier_terms,
    identifiers,
    vocabulary,
)

# The columns whose words spelling corrections know.
WORD_SOURCES = ("title_terms", "heading_terms", "body", "body_terms")
# tsvector positions stop at 16383 and a tsvector at 1 MB: longer bodies are cut for matching only.
MAX_BODY = 200_000
WORDS_BATCH = 500


@dataclass(frozen=True)
class SearchTexts:
    """What a document's search rows hold that its HTML alone decides: the whole row's text and its
    identifiers, each section's by its heading's anchor (with its number among the whole row's sections), the words
    of the whole row's text, and each section's identifiers in the whole row. Pure (no database): an import's parsing
    process computes them ahead (kb.documents.batches.Ahead), a tenth of what the importing process did a file."""

    body: str
    body_terms: str
    body_words: frozenset[str]
    sections: dict[str, tuple[str, str, int]]  # anchor: (text, identifiers, number)
    section_terms: str = ""

    @classmethod
    def of(cls, html: str) -> SearchTexts:
        # A section's text is cut from the same HTML as the whole document's, where its heading's id is; the
        # whole's text is its parts' joined (a tag ends each part and starts the next, and is a space in the text),
        # each section's marked where it begins and where its heading ends (kb.search.text.SECTION_MARK), and so are
        # its identifiers, found once in each part.
        pieces, found, by_anchor, marked = [], [], {}, []
        for part in split_sections(html):
            heading, body = html_text(part.heading_html), html_text(part.body_html)
            heading_found, body_found = identifiers(heading), identifiers(body)
            found += [heading_found, body_found]
            if not part.anchor:
                pieces += [heading, body]
                continue
            text = body[:MAX_BODY]
            text_terms = identifier_terms(text, body_found if len(body) <= MAX_BODY else None)
            by_anchor[part.anchor] = text, text_terms, len(marked) + 1
            # The section's identifiers in the whole row: its heading's and its text's, as its own row's vector held.
            marked.append(" ".join(terms for terms in (identifier_terms(heading, heading_found), text_terms) if terms))
            pieces += [SECTION_MARK, heading, SECTION_BODY_MARK, body]
        joined = " ".join(piece for piece in pieces if piece)
        whole = joined[:MAX_BODY]
        kept = len(joined) <= MAX_BODY
        terms = identifier_terms(whole, [token for tokens in found for token in tokens] if kept else None)
        # Never stripped: Python's `str.strip` takes the marks for spaces.
        section_terms = (
            " ".join(f"{SECTION_TERMS_MARK} {t}" if t else SECTION_TERMS_MARK for t in marked) if kept else ""
        )
        return cls(
            body=whole,
            # Marked where they begin, where the whole text's last section ends.
            body_terms=f"{SECTION_TERMS_MARK} {terms}" if terms and section_terms else terms,
            body_words=frozenset(vocabulary(whole, terms=terms)),
            sections=by_anchor,
            section_terms=section_terms,
        )

    def __reduce__(self):
        # Its words pickled as one string (none holds a space): a few hundred strings, each its own opcodes to
        # unpickle, cost the importing process more than splitting one (`SaveBatch` receives these from its
        # parsing process).
        return _search_texts, (self.body, self.body_terms, " ".join(self.body_words), self.sections, self.section_terms)


def _search_texts(
    body: str, body_terms: str, words: str, sections: dict[str, tuple[str, str, int]], section_terms: str
) -> SearchTexts:
    return SearchTexts(body, body_terms, frozenset(words.split()), sections, section_terms)


class SearchWords:
    """The words of many documents' rows added to the vocabulary at once (`write`), for a batch of saves
    (an import): one read of the known ones and one insert a batch, not two queries a document. Words
    already known or added during the import are remembered and never asked for again."""

    def __init__(self) -> None:
        self.pending: set[str] = set()
        self.known: set[str] = set()

    def add(self, words: set[str]) -> None:
        self.pending |= words - self.known

    def forget(self, words: set[str]) -> None:
        """Before the index forgets `words`: those pending are written first, so that it keeps those the
        rows of another document of the batch hold (a document saved twice in one batch)."""
        if words & self.pending:
            self.write()
        self.known -= words

    def write(self) -> None:
        ordered = sorted(self.pending)
        for start in range(0, len(ordered), WORDS_BATCH):
            _add_words(set(ordered[start : start + WORDS_BATCH]), read_known=True)
        self.known |= self.pending
        self.pending = set()


def search_index_update(
    *,
    document: Document,
    sections: Sequence[ParsedSection | Section],
    created: bool = False,
    words: SearchWords | None = None,
    rows: list | None = None,
    texts: SearchTexts | None = None,
) -> None:
    """Replaces the rows of a document document_save has just written (and so un-archived);
    `sections` are the ones it wrote, not read back. An incident's rows hold none of its text.
    `created`: the document was just inserted, so it has no rows to replace. `words`: its words go
    there, for the batch's caller to add to the vocabulary, rather than now; `rows`: its new rows
    go there, for the batch's caller to insert with those of the other documents. `texts`: those of
    its HTML, when computed already (`SearchTexts.of`)."""
    texts = texts or SearchTexts.of(document.html)
    entries = _document_entries(document, alert=_alert_name(document), sections=sections, texts=texts)
    whole = entries[0].values
    _replace(
        None if created else SearchEntry.objects.filter(document=document),
        entries,
        read_known=True,
        words=words,
        rows=rows,
        after=vocabulary(whole["title_terms"], whole["heading_terms"]) | texts.body_words,
    )


def search_index_incidents(
    *, incidents: list[Incident], created: Collection[int] = (), compacted_later: bool = False
) -> None:
    """Replaces the rows of these incidents in a fixed number of queries (the Alertmanager webhook writes many at
    once), then lets the engine keep its index compact (SQLite: a bounded merge of FTS5's segments), unless the
    caller compacts it afterwards anyway (`compacted_later`: an import's batches, `search_index_compact`).
    `created`: the ids of those just inserted, which have no rows yet to read and delete (an import's batch names
    hundreds of new incidents: the read and the delete of rows they cannot have were two statements a batch, each
    with an id a parameter)."""
    if not incidents:
        return
    stored = [incident for incident in incidents if incident.pk not in created]
    _replace(
        SearchEntry.objects.filter(incident__in=stored) if stored else None,
        [_incident_entry(incident) for incident in incidents],
    )
    if not compacted_later:
        current_engine().incidents_written(incidents=len(incidents))


def search_documents_naming(*, names: list[str]) -> set[int]:
    """The ids of the documents whose indexed text names one of `names`: an index lookup, whatever the
    size of the knowledge base (for re-reading the documents that name an alert first seen)."""
    return current_engine().documents_naming(names) if names else set()


@transaction.atomic
def search_index_rebuild() -> int:
    """Every row again from the documents and incidents; returns how many rows were written. Written
    `REBUILT_AT_ONCE` documents (or ten times as many incidents) at a time, only their words kept: holding every
    row until the end took 0.9 GB at 13,000 documents and 144,000 incidents. One transaction: an interrupted
    rebuild leaves the index as it was."""
    SearchEntry.objects.all().delete()
    SearchTerm.objects.all().delete()
    written, documents, words = 0, 0, set()
    stored = (
        Document.objects.filter(archived=False)
        .select_related("runbook__alert")
        .prefetch_related("sections")
        .order_by("pk")
    )
    entries: list[NewRow] = []
    for document in stored.iterator(chunk_size=REBUILT_AT_ONCE):
        runbook = getattr(document, "runbook", None)
        entries += _document_entries(
            document,
            alert=_alert_name(runbook) if runbook else "",
            sections=list(document.sections.all()),
            texts=SearchTexts.of(document.html),
        )
        documents += 1
        if documents % REBUILT_AT_ONCE == 0:
            written, entries = written + _rebuilt(entries, words), []
    incidents = Incident.objects.select_related("alert").order_by("pk")
    for incident in incidents.iterator(chunk_size=REBUILT_AT_ONCE * 10):
        entries.append(_incident_entry(incident))
        if len(entries) >= REBUILT_AT_ONCE * 10:
            written, entries = written + _rebuilt(entries, words), []
    written += _rebuilt(entries, words)
    _add_words(words)
    search_index_compact(documents=documents)
    return written


REBUILT_AT_ONCE = 200


def _rebuilt(entries: list[NewRow], words: set[str]) -> int:
    """`entries` inserted, their words added to `words`; how many they were."""
    rows_insert(entries)
    words |= _words_of(entries)
    return len(entries)


def search_index_compact(*, documents: int) -> None:
    """After an import that wrote `documents`: the index nearer the shape that searches it fastest, for
    work in proportion to what the import wrote, not to the knowledge base."""
    current_engine().compact(documents=documents)


def _replace(
    old: QuerySet[SearchEntry] | None,
    entries: list[NewRow],
    *,
    read_known: bool = False,
    words: SearchWords | None = None,
    rows: list | None = None,
    after: set[str] | None = None,
) -> None:
    """Writes `entries` (or leaves them to `rows`) in place of the rows `old` (None: there are none), and
    keeps the vocabulary to the words the index holds: a typo "corrected" to a word of replaced text
    would find nothing. `after`: the words of `entries`, when known already."""
    before: set[str] = set()
    if old is not None:
        # The whole rows are picked here, not by the query: SQLite (without statistics) answered "these
        # incidents' whole rows" from the index on scope, reading every whole row of the knowledge base.
        before = vocabulary(
            *(
                text
                for scope, *texts in old.values_list("scope", *WORD_SOURCES)
                if scope == SearchScope.WHOLE
                for text in texts
            )
        )
        old.delete()
    if rows is not None:
        rows.extend(entries)
    else:
        rows_insert(entries)
    after = _words_of(entries) if after is None else after
    if words is None:
        _add_words(after - before, read_known=read_known)
    else:
        words.add(after - before)
    if before - after:
        if words is not None:
            words.forget(before - after)
        current_engine().forget_words(before - after)  # unless other rows hold them


def _words_of(entries: list[NewRow]) -> set[str]:
    # A whole row holds every word of its sections' rows.
    return vocabulary(
        *(
            e.values.get(source, "")
            for e in entries
            if e.values["scope"] == SearchScope.WHOLE
            for source in WORD_SOURCES
        )
    )


def _add_words(words: set[str], *, read_known: bool = False) -> None:
    """Inserts the words the vocabulary lacks. With `read_known` (a document's words, most of them
    known already) the known ones are read first: that costs less than building an insert (a model
    instance a word) that ignores them. Incidents' few words, and many at once (a webhook's thousand
    incidents), are inserted without that read."""
    if read_known and words and len(words) <= WORDS_BATCH:
        words = words - current_engine().known_words(words)
    if not words:
        return
    # The statements `bulk_create(ignore_conflicts=True)` runs (WORDS_BATCH rows each), without a model
    # instance a word and the ORM compiling a parameter for each.
    field, ops = SearchTerm._meta.get_field("word"), connection.ops
    ordered = sorted(words)
    with connection.cursor() as cursor:
        for start in range(0, len(ordered), WORDS_BATCH):
            chunk = ordered[start : start + WORDS_BATCH]
            cursor.execute(
                f"{ops.insert_statement(on_conflict=OnConflict.IGNORE)} {ops.quote_name(SearchTerm._meta.db_table)} "
                f"({ops.quote_name(field.column)}) VALUES {', '.join(['(%s)'] * len(chunk))} "
                + (ops.on_conflict_suffix_sql([field], OnConflict.IGNORE, None, None) or ""),
                chunk,
            )


def _alert_name(document: Document) -> str:
    return document.alert.name if isinstance(document, Runbook) and document.alert else ""


def _document_entries(
    document: Document, *, alert: str, sections: Sequence[ParsedSection | Section], texts: SearchTexts
) -> list[NewRow]:
    """The document's rows as values (an import inserts them with its batch's other rows), not instances;
    the whole row first."""
    url = document.get_absolute_url()
    headings = " ".join(s.heading for s in sections)
    common = {"kind": document.kind, "document_id": document.pk, "title": document.title[:500], "alert": alert}
    whole = NewRow(
        SearchEntry,
        {
            **common,
            "scope": SearchScope.WHOLE,
            "url": url,
            "title_terms": _with_identifiers(f"{document.title} {alert}"),
            "heading_terms": _with_identifiers(headings),
            "body": texts.body,
            "body_terms": texts.body_terms,
            "section_terms": texts.section_terms,
        },
    )
    parts = []
    for section in sections:
        text, terms, number = texts.sections.get(section.anchor, ("", "", None))
        parts.append(
            NewRow(
                SearchEntry,
                {
                    **common,
                    "scope": SearchScope.SECTION,
                    "url": f"{url}#{section.anchor}" if section.anchor else url,
                    "heading": section.heading[:500],
                    "heading_terms": _with_identifiers(section.heading),
                    "body": text,
                    "body_terms": terms,
                    "part": number,
                },
            )
        )
    return [whole, *parts]


def _incident_entry(incident: Incident) -> NewRow:
    alert = incident.alert.name if incident.alert else ""
    title = incident.title or incident.reference or f"Incident {incident.pk}"
    details = [
        alert,
        *(str(v) for v in incident.labels.values()),
        *(str(v) for v in incident.annotations.values()),
        incident.notes,
        incident.fix,  # what fixed it, as its documents tell
    ]
    body = " ".join(d for d in details if d)[:MAX_BODY]
    return NewRow(
        SearchEntry,
        {
            "kind": SearchKind.INCIDENT,
            "scope": SearchScope.WHOLE,
            "incident_id": incident.pk,
            "url": incident.get_absolute_url(),
            "title": title[:500],
            "alert": alert,
            # The alert goes with the body: an incident must not outrank the runbook of its own alert.
            "title_terms": _with_identifiers(f"{incident.reference} {incident.title}"),
            "body": body,
            "body_terms": identifier_terms(body),
        },
    )


def _with_identifiers(text: str) -> str:
    return f"{text} {identifier_terms(text)}".strip()
