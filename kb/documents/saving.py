"""The one write path of a document: every import, web save, restore, in-place edit and rendering again
(`manage.py reindex`) ends in `document_save`, which writes the document, its parts, its incidents, its search
rows, its mentions and a revision in one transaction.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from kb.alerting.incidents import document_incidents_save
from kb.documents.batches import SaveBatch
from kb.documents.files import WEB_PAGE_SUFFIX
from kb.documents.prefixes import in_sql, starting_with, starting_with_sql
from kb.entities.extraction import Vocabulary
from kb.entities.mentions import mentions_write
from kb.markdown.parsing import ParsedDocument, ParseError, content_hash
from kb.models import (
    Alert,
    Document,
    DocumentKind,
    FollowUp,
    Lesson,
    Note,
    PostMortem,
    ResolutionEntry,
    Revision,
    Runbook,
    Section,
)
from kb.models.constraints import names_inserted
from kb.models.rows import NewRow, instance_inserted, rows_insert
from kb.search import search_documents_naming, search_index_update


class VersionConflict(Exception):
    """Someone saved the document after the version this write started from; nothing was written."""

    def __init__(self, document: Document | None, expected_version: int):
        self.document = document
        self.expected_version = expected_version
        current = document.version if document is not None else "deleted"
        super().__init__(
            f"the document is now at version {current}, not {expected_version}: someone saved it meanwhile"
        )


def document_save(
    parsed: ParsedDocument,
    *,
    identity: str,
    source_path: str,
    source_text: str,
    reason: str,
    author=None,
    edited_on_web: bool = False,
    expected_version: int | None = None,
    vocabulary: Vocabulary | None = None,
    batch: SaveBatch | None = None,
    rendered_again: bool = False,
) -> tuple[Document, str]:
    """Creates or updates the document for `identity`; returns it with created/updated/unchanged.

    With `expected_version` (0: the document must not exist yet) the write is a compare-and-set:
    when the stored version differs, `VersionConflict` is raised and nothing changes.
    `vocabulary` is what the knowledge base knows for extracting entities (read when not given).
    `batch`: one of many saves (an import) whose shared work its caller does once (`SaveBatch.write`).
    `rendered_again`: the stored text, saved again for what today's code makes of it (`documents_rendered_again`):
    a new version (pages cached by version are made again), no new revision, nothing else about it changed.
    """
    # In a batch, the savepoint of the file (kb.documents.importing) is the one a failure rolls back
    # to: a second one would cost two more queries a document.
    with transaction.atomic(savepoint=batch is None):
        return _document_save(
            parsed,
            identity=identity,
            source_path=source_path,
            source_text=source_text,
            reason=reason,
            author=author,
            edited_on_web=edited_on_web,
            expected_version=expected_version,
            vocabulary=vocabulary,
            batch=batch,
            rendered_again=rendered_again,
        )


def _document_save(
    parsed: ParsedDocument,
    *,
    identity: str,
    source_path: str,
    source_text: str,
    reason: str,
    author,
    edited_on_web: bool,
    expected_version: int | None,
    vocabulary: Vocabulary | None,
    batch: SaveBatch | None,
    rendered_again: bool = False,
) -> tuple[Document, str]:
    digest = content_hash(source_text)
    model = {DocumentKind.RUNBOOK: Runbook, DocumentKind.POSTMORTEM: PostMortem, DocumentKind.NOTE: Note}[parsed.kind]
    if batch is not None and batch.is_new(identity):
        existing = None
    else:
        if batch is not None and batch.is_pending(identity):
            batch.flush()  # a file named twice in a batch: its first save is what the second updates
        existing = Document.objects.select_for_update().filter(identity=identity).first()
    if expected_version is not None:
        # The row is locked until commit (SQLite locks the whole database for the write), so the
        # version cannot move between this check and the save below. Saving the very text that is
        # stored loses nothing, whatever version the writer started from.
        current = existing.version if existing is not None else 0
        same_text = existing is not None and existing.content_hash == digest and not existing.archived
        if current != expected_version and not same_text:
            raise VersionConflict(existing, expected_version)
    if rendered_again and (existing is None or existing.archived):
        return existing, "unchanged"  # deleted or archived since it was read: saved again when imported again
    if existing is not None:
        if existing.kind != parsed.kind:
            raise ParseError(
                f"was imported as a {existing.get_kind_display()} and now reads as a "
                f"{DocumentKind(parsed.kind).label}; set `kind:` in its front matter to keep it one kind"
            )
        if existing.content_hash == digest and not existing.archived and not rendered_again:
            return existing, "unchanged"
        if batch is not None:
            # Its own rows are read and replaced below: those the batch still holds go in first.
            batch.flush()
        document = model.objects.get(pk=existing.pk)
        document.version += 1
        outcome = "updated"
    else:
        document = model(identity=identity, kind=parsed.kind, slug=_free_slug(parsed, identity, batch))
        outcome = "created"

    document.title = parsed.title[:500]
    document.source_path = source_path
    document.source_text = source_text
    document.content_hash = digest
    document.metadata = parsed.front_matter | ({"fields": parsed.metadata} if parsed.metadata else {})
    document.html = parsed.html
    document.warnings = parsed.warnings
    document.outline = _outline(parsed)
    document.archived = False
    document.edited_on_web = existing.edited_on_web if rendered_again else edited_on_web
    document.updated_at = timezone.now()
    if isinstance(document, Runbook):
        document.alert = _alert_for(parsed.alert, vocabulary if batch is not None else None, batch)
        document.labels = parsed.labels
        document.last_reviewed_on = parsed.last_reviewed_on
        document.review_in = parsed.review_in[:100]
        document.stub_of = parsed.stub_of[:500]
        document.part_anchor = str(parsed.front_matter.get("part_of") or "").rpartition("#")[2][:200]
    elif isinstance(document, PostMortem):
        document.date = parsed.date
        document.date_source = parsed.date_source if parsed.date else ""
        document.duration = parsed.duration[:500]
        document.severity = parsed.severity[:100]
        document.affected = parsed.affected
        document.status = parsed.status
        document.summary = parsed.summary
    document.list_key = document.list_place()  # a new document of an import is inserted without `save`
    if existing is None and batch is not None:
        batch.document_new(document)
    elif existing is None:
        instance_inserted(document)
    else:
        document.save()
    if batch is not None:
        batch.stored.add(identity)

    # A new document has no rows yet to read or delete: each writer skips those queries (an import
    # creates thousands).
    created = existing is None
    rows: list = batch.rows if batch is not None else []
    _replace_parts(document, parsed, created=created, rows=rows)
    if batch is None:
        rows_insert(rows)  # the facts of its incidents, just below, read its history rows and sections
    _link_incidents(document, parsed, created=created, batch=batch)
    ahead = batch.ahead.get(id(parsed)) if batch is not None else None
    search_index_update(
        document=document,
        sections=parsed.sections,
        created=created,
        words=batch.words if batch else None,
        rows=batch.rows if batch else None,
        texts=ahead.search_texts if ahead is not None else None,
    )
    mentions_write(
        document=document,
        parsed=parsed,
        vocabulary=vocabulary,
        naming=_documents_naming,
        counted_before=existing is not None and not existing.archived,
        created=created,
        later=batch.mentions if batch else None,
    )
    if rendered_again:
        return document, outcome
    last = 0 if created else document.revisions.aggregate(n=Max("number"))["n"] or 0
    revision = Revision(
        document=document,
        number=last + 1,
        source_text=source_text,
        content_hash=digest,
        author=author,
        reason=reason[:200],
    )
    if batch is not None:
        batch.rows.append(revision)
    else:
        revision.save()
    return document, outcome


def document_identity(parsed: ParsedDocument, path: str) -> str:
    """What a file's document is found by on a re-import: front matter `id`, else its path."""
    return f"id:{parsed.identity}" if parsed.identity else path


def saves_ahead(batch: SaveBatch, files: list[tuple[str, ParsedDocument]], vocabulary: Vocabulary) -> None:
    """What the saves of a batch's files (an import's: path identity and parsed) would each read: which of them
    and of their alert sections' runbooks (`<identity>#<alert>`) are stored, archived or not, and the
    slugs a new one may want; the ids of the new ones, and the new alerts of their runbooks (`vocabulary`: what
    the import knows). Three queries a batch, four with new alerts: saving a new file reads nothing to know it is
    new or to name itself, and writes nothing until the batch's rows are inserted."""
    files = [(document_identity(parsed, path), parsed) for path, parsed in files]
    identities = [identity for identity, _ in files]
    batch.files, batch.stored, batch.slugs = set(identities), set(), set()
    batch.slugs_asked, batch.prefixes_asked = set(), set()
    batch.ids.clear()
    batch.alerts = {}
    if not files:
        return
    for identity, parsed in files:
        for document, its_identity in [
            (parsed, identity),
            *((p.parsed, f"{identity}#{p.alert}") for p in parsed.parts),
        ]:
            options = slug_options(document, its_identity)
            batch.slugs_asked.update(options)
            batch.prefixes_asked.add(options[-1])
    # Written as SQL: the ORM compiling these two queries' fifty filters was 2.8 of the 64 CPU seconds of an
    # import of 12,000 documents (py-spy).
    quote = connection.ops.quote_name
    table, identity, kind, slug = map(quote, (Document._meta.db_table, "identity", "kind", "slug"))
    wanted = [in_sql(identity, identities), *(starting_with_sql(identity, f"{its}#") for its in identities)]
    # The slugs: one index lookup each, in one query: with an OR of them SQLite read every slug of the knowledge base.
    slugs = [
        in_sql(slug, sorted(batch.slugs_asked)),
        *(starting_with_sql(slug, f"{prefix}-") for prefix in sorted(batch.prefixes_asked)),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {identity} FROM {table} WHERE " + " OR ".join(f"({sql})" for sql, _ in wanted),
            [param for _, params in wanted for param in params],
        )
        batch.stored = {its for (its,) in cursor.fetchall()}
        cursor.execute(
            " UNION ALL ".join(f"SELECT {kind}, {slug} FROM {table} WHERE {sql}" for sql, _ in slugs),
            [param for _, params in slugs for param in params],
        )
        batch.slugs = set(map(tuple, cursor.fetchall()))
    batch.new_ahead(files, known=vocabulary.known)


def _alert_for(name: str | None, vocabulary: Vocabulary | None, batch: SaveBatch | None = None) -> Alert | None:
    """The alert of that name, created when new. A name an import's vocabulary (every alert stored when
    it began, and those of its runbooks) does not know is most likely new: inserted without a read, with
    those of its batch's other new runbooks (`saves_ahead`)."""
    if name and batch is not None and (alert := batch.alerts.get(name.lower())) is not None:
        return alert
    if name and vocabulary is not None and name.lower() not in vocabulary.known:
        if inserted := names_inserted([Alert(name=name)]):
            return inserted[name.lower()]
    return Alert.objects.for_name(name)


def _documents_naming(names: list[str]) -> set[int]:
    return search_documents_naming(names=names)


def _free_slug(parsed: ParsedDocument, identity: str, batch: SaveBatch | None = None) -> str:
    """The file name, made unique by its folders and then by a number when another document has it.
    In a batch whose slugs were read at its start (`SaveBatch.slugs_read`), nothing is read."""
    options = slug_options(parsed, identity)
    if batch is not None and batch.slugs_cover(options):
        taken = {s for k, s in batch.slugs if k == parsed.kind and (s in options or s.startswith(f"{options[-1]}-"))}
    else:
        same_kind = Document.objects.filter(kind=parsed.kind).order_by()
        # Two index lookups: with an OR of them, SQLite read every slug of the kind, for every document saved.
        taken = set(
            same_kind.filter(slug__in=options)
            .values_list("slug", flat=True)
            .union(same_kind.filter(starting_with("slug", f"{options[-1]}-")).values_list("slug", flat=True))
        )
    slug = _first_free(options, taken)
    if batch is not None:
        batch.slugs.add((parsed.kind, slug))
    return slug


def _first_free(options: list[str], taken: set[str]) -> str:
    for option in options:
        if option not in taken:
            return option
    n = 2
    while f"{options[-1]}-{n}" in taken:
        n += 1
    return f"{options[-1]}-{n}"


def slug_options(parsed: ParsedDocument, identity: str) -> list[str]:
    """The slugs a new document may take, best first; the last one numbered when all are taken."""
    if parsed.slug_hint or parsed.identity:
        options = [slugify(parsed.slug_hint or parsed.identity)]
    else:
        parts = identity.rsplit(".", 1)[0].split("/") if "." in identity.rsplit("/", 1)[-1] else identity.split("/")
        # `disk-full.html.md` (Middleman, Jekyll): the page's own extension is not part of its name.
        parts[-1] = WEB_PAGE_SUFFIX.sub("", parts[-1]) or parts[-1]
        options = [slugify("-".join(parts[-n:])) for n in range(1, len(parts) + 1)]
    return [o[:180] for o in options if o] or ["document"]


def _outline(parsed: ParsedDocument) -> list[dict]:
    """The document's sections' headings as their rows hold them (Document.outline, and each Section's)."""
    return [{"heading": s.heading[:500], "level": s.level, "anchor": s.anchor[:200]} for s in parsed.sections]


def _replace_parts(document: Document, parsed: ParsedDocument, *, created: bool, rows: list) -> None:
    """Deletes the document's sections, history rows, follow-ups and lessons; their new rows go to `rows`."""
    if not created:
        document.sections.all().delete()
    rows.extend(
        NewRow(Section, {"document_id": document.pk, "position": i, **heading, "markdown": s.markdown})
        for i, (s, heading) in enumerate(zip(parsed.sections, document.outline, strict=True))
    )
    if isinstance(document, Runbook):
        if not created:
            document.resolution_entries.all().delete()
        rows.extend(
            NewRow(
                ResolutionEntry,
                {
                    "runbook_id": document.pk,
                    "position": i,
                    "date": r.date,
                    "incidents": r.incidents,
                    "old": r.old[:500],
                    "new": r.new[:500],
                    "notes": r.notes,
                    "cells": r.cells,
                },
            )
            for i, r in enumerate(parsed.resolution_history)
        )
    elif isinstance(document, PostMortem):
        if not created:
            document.follow_ups.all().delete()
            document.lessons.all().delete()
        rows.extend(
            NewRow(
                FollowUp,
                {
                    "postmortem_id": document.pk,
                    "position": i,
                    "text": f.text,
                    "status": f.status,
                    "owner": f.owner[:200],
                    "due": f.due,
                },
            )
            for i, f in enumerate(parsed.follow_ups)
        )
        rows.extend(
            NewRow(Lesson, {"postmortem_id": document.pk, "position": i, "text": text})
            for i, text in enumerate(parsed.lessons)
        )


def _link_incidents(document: Document, parsed: ParsedDocument, *, created: bool, batch: SaveBatch | None) -> None:
    """Links the incidents the document names; they take what it says about them (kb.alerting.facts)."""
    references = list(
        dict.fromkeys(parsed.incidents + [ref for row in parsed.resolution_history for ref in row.incidents])
    )
    document_incidents_save(
        document=document, references=references, created=created, later=batch.incidents if batch else None
    )
