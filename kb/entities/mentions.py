"""Writes what kb.entities.extraction finds into entities and mentions, one document at a time.

`mentions_write` runs inside `document_save`, so every import and every web save rewrites that
document's mentions and nothing else. What the knowledge base already knows (alert names,
curated entities and their aliases, ignored names) steers extraction through a `Vocabulary`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Protocol

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Lower

from kb.entities import extraction, grammar
from kb.entities.counts import Contribution, contribution, counts_shift, entities_recount
from kb.entities.extraction import Finding, Vocabulary
from kb.entities.links import documents_relink, links_store
from kb.markdown.parsing import ParsedDocument, ParseError, parse_document
from kb.models import Alert, Document, Entity, Mention, named_any_case
from kb.models.constraints import lower_forms, names_inserted
from kb.models.rows import NewRow

if TYPE_CHECKING:
    from kb.entities.batch import MentionsLater


def vocabulary_load() -> Vocabulary:
    """Alert names, then curated entities and every alias (a curator's word wins), and ignored names."""
    known: dict[str, tuple[str, str]] = {
        name.lower(): (name, grammar.ALERT) for name in Alert.objects.values_list("name", flat=True)
    }
    ignored: set[str] = set()
    steered = Entity.objects.filter(Q(curated=True) | Q(ignored=True)).prefetch_related("aliases")
    for entity in steered:
        for name in entity.names:
            if entity.ignored:
                ignored.add(name.lower())
                known.pop(name.lower(), None)
            else:
                known[name.lower()] = (entity.name, entity.kind)
    return Vocabulary(known=known, ignored=frozenset(ignored))


# Which documents name one of these words: the search index's answer (kb.search), which this area may not import.
Naming = Callable[[list[str]], set[int]]


@dataclass(slots=True)
class KnownEntity:
    """A stored entity as a save reads it: its id, name, kind and whether it is ignored (then never linked). An
    import keeps each one it reads or creates for its whole length (kb.entities.batch); kept as a model instance, each
    cost some 450 bytes more: at 12,000 documents, ~47,000 entities and 15 MiB of the importing process's growth
    (BENCHMARKS.md, "Round 26")."""

    pk: int
    name: str
    kind: str
    ignored: bool


def entities_by_name(keys: Iterable[str]) -> dict[str, KnownEntity]:
    """The stored entities of these lower-cased names, by lower-cased name: the unique index on LOWER(name) answers
    (`lower_forms`). Where the database keeps two names that Python lower-cases alike (SQLite: "Über", "über"), the
    first stored."""
    rows = (
        Entity.objects.annotate(key=Lower("name"))
        .filter(key__in=lower_forms(keys))
        .order_by("pk")
        .values_list("pk", "name", "kind", "ignored")
    )
    found: dict[str, KnownEntity] = {}
    for row in rows:
        found.setdefault(row[1].lower(), KnownEntity(*row))
    return found


class Computed(Protocol):
    """What an import computed beforehand for one document (kb.documents.batches.Ahead, which this area may not
    import), as its mentions' save reads it."""

    commands_html: str  # its HTML with the commands marked (kb.markdown.commands)
    findings: list[Finding] | None  # extracted with the vocabulary whose mark is `vocabulary_mark`
    vocabulary_mark: bytes

    def found(self) -> extraction.Evidence: ...


def mentions_write(
    *,
    document: Document,
    parsed: ParsedDocument,
    vocabulary: Vocabulary | None = None,
    refresh_others: bool = True,
    naming: Naming | None = None,
    counted_before: bool | None = None,
    created: bool = False,
    later: MentionsLater | None = None,
) -> int:
    """Rewrites the mentions of one document from its parsed outline (returns how many); other documents
    are left alone.

    When a runbook names an alert that other documents contain as plain text (written before the
    knowledge base knew the name), those documents are re-read too, so the order of imports
    never changes what is linked; `naming` finds them (see `mentions_refresh`).

    The entities' counts (`kb.entities.counts`) move by the difference; `counted_before` says whether
    the mentions being replaced counted (they did unless the document was archived, the default).
    `created`: the document was just inserted, so it has no mentions to read or replace.
    `later`: a batch of saves (an import: `kb.entities.batch.MentionsLater`), which reads entities once and
    leaves counts, kinds and the documents to re-read to its `write`.
    """
    subject = extraction.document_subject(parsed)
    vocabulary = (vocabulary or vocabulary_load()).of_document(parsed)
    computed = later.computed.get(id(parsed)) if later is not None else None
    if computed is not None and computed.findings is not None and computed.vocabulary_mark == vocabulary.mark:
        findings = computed.findings  # extracted ahead with this vocabulary: the import went as it was read
    else:
        found = computed.found() if computed is not None else None
        findings = extraction.extract_parsed(parsed, vocabulary=vocabulary, found=found)
    resolved_subject = vocabulary.resolve(subject, grammar.ALERT) if subject else None
    if resolved_subject and not any(f.name.lower() == resolved_subject[0].lower() for f in findings):
        # Named only in front matter or the file name: the runbook is still for it.
        findings.append(Finding(resolved_subject[0], resolved_subject[1], 0, "", "", subject, parsed.title, 0))

    named = _entities_named(findings, later=later)
    old_rows = [] if created else list(document.mentions.values_list("entity_id", "subject"))
    previous = {entity_id for entity_id, _ in old_rows}
    subject_entity = named.get(resolved_subject[0].lower()) if resolved_subject else None
    # Only a runbook's first save can make its alert newly known: later saves need no refresh.
    refresh_others = refresh_others and subject_entity is not None and subject_entity.pk not in previous
    if not created:
        document.mentions.all().delete()
    # Each mention's values, not a model instance: an import's batch inserts them as rows (kb.models.rows).
    mentions = [
        {
            "entity_id": named[f.name.lower()].pk,
            "document_id": document.pk,
            "kind": f.kind,
            "position": f.section,
            "heading": f.heading[:500],
            "anchor": f.anchor[:200],
            "surface": f.surface[:300],
            "snippet": f.snippet,
            "count": f.count,
            "subject": bool(resolved_subject) and f.name.lower() == resolved_subject[0].lower(),
        }
        for f in findings
    ]
    if later is not None:
        later.rows.extend(NewRow(Mention, values) for values in mentions)
    else:
        Mention.objects.bulk_create(Mention(**values) for values in mentions)
    counted_before = not document.archived if counted_before is None else counted_before
    links_store(
        document=document,
        mentions=[(named[f.name.lower()], values) for f, values in zip(findings, mentions)],
        later=later.linked if later is not None else None,
        commands_html=computed.commands_html if computed is not None else None,
    )
    before = _contributions(document.kind, old_rows) if counted_before else {}
    after = (
        {} if document.archived else _contributions(document.kind, [(m["entity_id"], m["subject"]) for m in mentions])
    )
    touched = {e.pk for e in named.values()}
    dropped = previous - touched
    # A vote for the kind an entity already has cannot change it: only disagreements and dropped votes can.
    disputed = {named[f.name.lower()].pk for f in findings if named[f.name.lower()].kind != f.kind}
    if later is not None:
        later.shift(before, after)
        later.revote |= disputed | dropped
        later.dropped |= dropped
        if refresh_others:
            later.new_alerts.setdefault(subject, None)
        return len(mentions)
    counts_shift(before=before, after=after)
    entities_revote(entity_ids=disputed | dropped)
    if dropped:
        Entity.objects.filter(pk__in=dropped, curated=False, ignored=False, mentions__isnull=True).delete()
    if refresh_others:
        mentions_refresh(names=[subject], vocabulary=vocabulary, exclude=document, naming=naming)
    return len(mentions)


def _contributions(kind: str, rows: Iterable[tuple[int, bool]]) -> dict[int, Contribution]:
    """What one document counts for, per entity it mentions (in one section or several)."""
    subjects: dict[int, bool] = {}
    for entity_id, subject in rows:
        subjects[entity_id] = subjects.get(entity_id, False) or subject
    return {entity_id: contribution(kind=kind, subject=subject) for entity_id, subject in subjects.items()}


def _entities_named(findings: list[Finding], *, later: MentionsLater | None = None) -> dict[str, Entity | KnownEntity]:
    """The entities of these findings by lower-cased name, created when missing. In a batch (`later`): those
    it knows (`entities`) are not read again, and those read are added to them; those it read as not stored
    (`absent`) are not read, and the new ones are inserted with the batch's rows (`named_later`)."""
    wanted = {f.name.lower(): f for f in findings}
    known = {} if later is None else later.entities
    unknown = [key for key in wanted if key not in known]
    if unknown:
        unread = [key for key in unknown if later is None or key not in later.absent]
        found: dict[str, Entity | KnownEntity] = entities_by_name(unread) if unread else {}
        missing = [Entity(name=wanted[key].name, kind=wanted[key].kind) for key in unknown if key not in found]
        if missing and later is not None:
            found |= later.named_later(missing)
        elif missing:
            found |= names_inserted(missing)
            # Names another writer inserted meanwhile, or all of them where no id comes back from an insert.
            keys = [e.name.lower() for e in missing if e.name.lower() not in found]
            if keys:
                found |= entities_by_name(keys)
        known.update(found)
    return {key: known[key] for key in wanted if key in known}


def entities_revote(*, entity_ids: Iterable[int]) -> list[Entity]:
    """Each entity takes the kind most documents give it, unless a curator chose one; returns those changed."""
    ids = set(entity_ids)
    if not ids:
        return []
    votes: dict[int, Counter] = defaultdict(Counter)
    for row in (
        Mention.objects.filter(entity_id__in=ids)
        .order_by()  # the mentions' ordering is by document: it joined every mention to its document
        .values("entity_id", "kind")
        .annotate(n=Count("document_id", distinct=True))
    ):
        votes[row["entity_id"]][row["kind"]] = row["n"]
    changed = []
    for entity in Entity.objects.filter(pk__in=votes, kind_curated=False):
        kind = max(votes[entity.pk].items(), key=lambda kv: (kv[1], -grammar.KINDS.index(kv[0])))[0]
        if entity.kind != kind:
            entity.kind = kind
            changed.append(entity)
    Entity.objects.bulk_update(changed, ["kind"])
    if changed:
        # A link's title says the entity's kind (and a post-mortem reference links elsewhere).
        documents_relink(document_ids=Mention.objects.filter(entity__in=changed).values_list("document_id", flat=True))
    return changed


def reparse(document: Document) -> ParsedDocument:
    """The stored text read again, as the importer read it (the path gives file-name fallbacks)."""
    return parse_document(document.source_text, document.file_path)


def mentions_refresh(
    *,
    names: list[str],
    vocabulary: Vocabulary | None = None,
    exclude: Document | None = None,
    naming: Naming | None = None,
) -> int:
    """Re-reads the documents whose text contains one of `names` but have no mention of it yet.

    `naming` (the search index's `search_documents_naming`) finds them by an index lookup; without
    it every stored text is scanned, which only a curator's rare change can afford: an import
    that did it for each new alert would slow down with every document already stored.
    """
    names = [n for n in names if n and len(n) >= 2]
    if not names:
        return 0
    if len(names) > 1 and naming is not None and exclude is None:
        # Several names (the webhook's new alerts): a document lacking any one of them is re-read.
        return mentions_refresh_many(names=names, vocabulary=vocabulary or vocabulary_load(), naming=naming)
    if naming is not None:
        candidates = Document.objects.filter(pk__in=naming(names))
    else:
        candidates = Document.objects.filter(reduce(or_, (Q(source_text__icontains=n) for n in names)))
    candidates = candidates.exclude(mentions__entity__in=named_any_case(Entity.objects.order_by(), *names).values("pk"))
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    return mentions_reread(documents=candidates, vocabulary=vocabulary)


def mentions_refresh_many(*, names: list[str], vocabulary: Vocabulary, naming: Naming) -> int:
    """`mentions_refresh` for many names at once (the alerts first seen in an import's batch), in a
    fixed number of queries: a document is re-read when its text contains one of the names and it has
    no mention of that one."""
    keys = {n.lower() for n in names if n and len(n) >= 2}
    candidates = naming(sorted(keys)) if keys else set()
    if not candidates:
        return 0
    entity_of = {key: entity.pk for key, entity in entities_by_name(keys).items()}
    mentioned: dict[int, set[int]] = defaultdict(set)
    for document_id, entity_id in Mention.objects.filter(
        document_id__in=candidates, entity_id__in=entity_of.values()
    ).values_list("document_id", "entity_id"):
        mentioned[document_id].add(entity_id)
    # A name with no entity yet is mentioned by no document.
    lacking = {pk for pk in candidates if len(entity_of) < len(keys) or not set(entity_of.values()) <= mentioned[pk]}
    if not lacking:
        return 0
    stale = []
    for pk, text in Document.objects.filter(pk__in=lacking).values_list("pk", "source_text"):
        # Lower-cased once a document, not once a name: an import's batch brings ~20 new alerts, and this was
        # a second of 12,000 documents.
        lowered = text.lower()
        if any(entity_of.get(key) not in mentioned[pk] and key in lowered for key in keys):
            stale.append(pk)
    return mentions_reread(documents=Document.objects.filter(pk__in=stale), vocabulary=vocabulary) if stale else 0


def mentions_reread(*, documents: QuerySet[Document], vocabulary: Vocabulary | None = None) -> int:
    """Re-extracts the mentions of these documents (after a curation changed what a name means)."""
    # By primary key: the caller's query may join mentions and repeat a document. The keys are read
    # first: as a subquery, PostgreSQL re-ran the caller's text scan for every document (minutes on the corpus).
    pks = set(documents.values_list("pk", flat=True))
    documents = list(
        Document.objects.filter(pk__in=pks).only(
            "pk", "identity", "source_path", "source_text", "kind", "archived", "html"
        )
    )
    if documents:
        vocabulary = vocabulary or vocabulary_load()
    for document in documents:
        try:
            parsed = reparse(document)
        except ParseError:
            continue  # stored text that no longer parses keeps the mentions it had
        mentions_write(document=document, parsed=parsed, vocabulary=vocabulary, refresh_others=False)
    return len(documents)


@dataclass
class RelinkReport:
    documents: int = 0
    mentions: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source path, why)


def relink_all(*, progress: Callable[[int, int, Document], None] | None = None) -> RelinkReport:
    """Re-extracts every document with today's vocabulary (after a curation, or a better extractor)."""
    vocabulary = vocabulary_load()
    report = RelinkReport()
    documents = list(
        Document.objects.only(
            "pk", "identity", "source_path", "source_text", "kind", "title", "archived", "html"
        ).order_by("pk")
    )
    for n, document in enumerate(documents, start=1):
        try:
            parsed = reparse(document)
        except ParseError as exc:
            report.failed.append((document.source_path or document.identity, str(exc)))
            continue
        with transaction.atomic():
            report.mentions += mentions_write(
                document=document, parsed=parsed, vocabulary=vocabulary, refresh_others=False
            )
        report.documents += 1
        if progress:
            progress(n, len(documents), document)
    Entity.objects.filter(curated=False, ignored=False, mentions__isnull=True).delete()
    entities_recount()
    return report
