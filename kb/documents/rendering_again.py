"""Stored documents rendered again by today's code (`manage.py reindex`, after an upgrade): a document is saved
from its stored text only when what that text renders to now differs from what is stored, so the page, its
sections' anchors, its search rows and its mentions agree with one another again."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from kb.documents.saving import document_save
from kb.entities.mentions import vocabulary_load
from kb.markdown.parsing import ParseError, parse_document
from kb.models import Document

# Documents read at once, by their ids.
READ_AT_ONCE = 200


@dataclass
class RenderedAgain:
    documents: int = 0  # read
    changed: int = 0  # saved again, an alert section's runbook counted apart
    failed: list[tuple[str, str]] = field(default_factory=list)  # (source path, why)


def documents_rendered_again() -> RenderedAgain:
    """Every stored file's document (an alert section's runbook with its file's), archived ones left to their next
    import. Read a few hundred at a time, each saved in a transaction of its own; one that cannot be saved again (it
    now reads as another kind) is reported, and the others go on."""
    vocabulary = vocabulary_load()
    report = RenderedAgain()
    files = Document.objects.filter(archived=False).exclude(Q(runbook__isnull=False) & ~Q(runbook__part_anchor=""))
    ids = list(files.order_by("pk").values_list("pk", flat=True))
    # Read by their ids, not through a cursor kept open over the table its saves write.
    for document in (
        document
        for start in range(0, len(ids), READ_AT_ONCE)
        for document in Document.objects.filter(pk__in=ids[start : start + READ_AT_ONCE])
        .only("pk", "identity", "source_path", "source_text", "html")
        .order_by("pk")
    ):
        report.documents += 1
        try:
            parsed = parse_document(document.source_text, document.file_path)
        except ParseError as exc:
            report.failed.append((document.source_path or document.identity, str(exc)))
            continue
        saves = [(parsed, document.identity, document.source_text, document.html)]
        if parsed.parts:
            parts = {f"{document.identity}#{part.alert}": part for part in parsed.parts}
            stored = dict(Document.objects.filter(identity__in=parts).values_list("identity", "html"))
            saves += [(part.parsed, identity, part.text, stored.get(identity)) for identity, part in parts.items()]
        for parsed_now, identity, text, html in saves:
            if html is None or parsed_now.html == html:
                continue  # not stored (its file's next import saves it), or rendered as it is stored
            try:
                _, outcome = document_save(
                    parsed_now,
                    identity=identity,
                    source_path=document.source_path,
                    source_text=text,
                    reason="rendered again",
                    vocabulary=vocabulary,
                    rendered_again=True,
                )
            except ParseError as exc:
                report.failed.append((document.source_path or identity, str(exc)))
                continue
            report.changed += outcome == "updated"
    return report
