"""Writing documents from the web. Forms give drafts or text; this turns them into markdown, parses
it with the importer's parser and saves it through `kb.documents.saving.document_save`, so a document
written on the web is stored, linked and searched exactly like an imported file.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.utils.html import format_html
from django.utils.text import slugify

from kb.authoring import edits
from kb.authoring.from_markdown import postmortem_draft, postmortem_unshown
from kb.authoring.to_markdown import (
    PostMortemDraft,
    draft_mismatches,
    normalise_text,
    postmortem_markdown,
    postmortem_template,
)
from kb.documents.files import skip_reason
from kb.documents.saving import VersionConflict, document_save
from kb.entities.links import parsed_html_linked
from kb.gitsync.committing import git_commit_edit
from kb.markdown.parsing import NotADocument, ParsedDocument, ParseError, parse_document
from kb.markdown.syntax import ALERT_NAME, SCOPE_LABELS
from kb.models import Document, DocumentKind, Incident, PostMortem, Revision, Runbook

WEB_EDIT = "edited on the web"
# Slugs that would be shadowed by the pages' own URLs (/postmortems/new/, …).
RESERVED_SLUGS = {"new", "preview"}


class DraftProblems(Exception):
    """The text would not read back as the form says; `problems` maps form fields to messages."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


def preview_html(text: str, parsed: ParsedDocument | None = None) -> str:
    """What a document page would show for `text`: the importer's sanitised HTML, with the entities
    the knowledge base already has linked as the page links them; or why it would not import.
    A caller that has just parsed `text` passes that parse along."""
    if parsed is None:
        try:
            parsed = parse_document(text)
        except (ParseError, NotADocument) as exc:
            return format_html('<p class="error" role="alert">This would not import: {}</p>', str(exc))
    return parsed_html_linked(parsed)


# --- post-mortems ----------------------------------------------------------------------------


def postmortem_new_draft(*, incident: Incident | None = None) -> PostMortemDraft:
    """A blank post-mortem in the seed's structure, pre-filled from the incident it is about."""
    if incident is None:
        return postmortem_template()
    alert = incident.alert.name if incident.alert else ""
    scope = ", ".join(f"{k}={v}" for k, v in sorted(incident.labels.items()) if k in SCOPE_LABELS and k != "severity")
    affected = f"{alert} ({scope})" if alert and scope else alert or scope
    reference = incident.reference or f"[{incident}]({incident.get_absolute_url()})"
    draft = postmortem_template(
        date=incident.started_at.date() if incident.started_at else None,
        affected=affected,
        other_fields=[("Incident", reference)],
    )
    draft.title = incident.title
    return draft


def postmortem_stored_draft(postmortem: PostMortem) -> PostMortemDraft:
    return postmortem_draft(postmortem.source_text, postmortem.file_path)


def postmortem_text(draft: PostMortemDraft, *, postmortem: PostMortem | None) -> tuple[str, str, ParsedDocument]:
    """(path, markdown, parse) of the draft, carrying what the form does not show from the stored text."""
    if postmortem is not None:
        path = postmortem.file_path
        draft.front_matter, draft.references, draft.heading = postmortem_unshown(postmortem.source_text, path)
    else:
        path = _new_identity(DocumentKind.POSTMORTEM, draft.title)
    text, parsed = postmortem_markdown(draft, path=path)
    return path, text, parsed


def postmortem_save(
    *,
    draft: PostMortemDraft,
    postmortem: PostMortem | None,
    expected_version: int,
    author,
    reason: str = "",
    incident: Incident | None = None,
) -> PostMortem:
    """Saves the form's draft; raises DraftProblems or VersionConflict and then writes nothing."""
    path, text, parsed = postmortem_text(draft, postmortem=postmortem)
    problems = draft_mismatches(draft, parsed)
    if problems:
        raise DraftProblems(problems)
    document = _web_save(
        parsed, text, document=postmortem, path=path, reason=reason, author=author, expected_version=expected_version
    )
    if incident is not None and incident.postmortem_id is None:
        incident.postmortem = document
        incident.save(update_fields=["postmortem", "updated_at"])
    return document


def follow_up_status_change(*, postmortem: PostMortem, position: int, text: str, status: str, author) -> PostMortem:
    """Marks a follow-up open or done in the markdown, on the latest version of the post-mortem.

    `text` is the follow-up as the user saw it, so a post-mortem edited meanwhile still changes the
    right one; when it is gone, EditError says so.
    """

    def edit(current: PostMortem) -> tuple[str, ParsedDocument]:
        texts = list(current.follow_ups.order_by("position").values_list("text", flat=True))
        if position < len(texts) and texts[position] == text:
            index = position
        elif text in texts:
            index = texts.index(text)
        else:
            raise edits.EditError("this follow-up was changed or removed meanwhile: reload the page")
        return edits.follow_up_status_set(current.source_text, index=index, status=status, path=current.file_path)

    reason = f"follow-up {position + 1} marked {status}"
    return _edit_latest(PostMortem, postmortem, edit, author=author, reason=reason)


# --- runbooks ----------------------------------------------------------------------------------


def runbook_save(*, text: str, runbook: Runbook | None, expected_version: int, author, reason: str = "") -> Runbook:
    """Saves a runbook's markdown as typed; raises DraftProblems (on "text") or VersionConflict."""
    text = normalise_text(text)
    try:
        if runbook is not None:
            path = runbook.file_path
        else:
            first = parse_document(text)
            name = first.alert if first.alert and ALERT_NAME.match(first.alert) else first.title
            path = _new_identity(DocumentKind.RUNBOOK, name, keep_case=name == first.alert)
        parsed = parse_document(text, path)
    except (ParseError, NotADocument) as exc:
        raise DraftProblems({"text": str(exc)}) from None
    if parsed.kind != DocumentKind.RUNBOOK:
        raise DraftProblems(
            {"text": "this reads as a post-mortem; add front matter `kind: runbook` to keep it a runbook"}
        )
    if runbook is None and parsed.identity:
        taken = Document.objects.filter(identity=f"id:{parsed.identity}").first()
        if taken is not None:
            raise DraftProblems(
                {"text": f"front matter id: {parsed.identity} is already the id of “{taken}”; choose another"}
            )
    try:
        return _web_save(
            parsed, text, document=runbook, path=path, reason=reason, author=author, expected_version=expected_version
        )
    except ParseError as exc:  # it was another kind of document before
        raise DraftProblems({"text": str(exc)}) from None


def resolution_add(*, runbook: Runbook, entry: edits.ResolutionDraft, author) -> Runbook:
    """Appends a row to the runbook's Resolution History, on its latest version."""

    def edit(current: Runbook) -> tuple[str, ParsedDocument]:
        return edits.resolution_row_append(current.source_text, entry=entry, path=current.file_path)

    return _edit_latest(Runbook, runbook, edit, author=author, reason=f"resolution of {entry.date.isoformat()} added")


# --- any document ----------------------------------------------------------------------------------


def revision_restore(*, document: Document, revision: Revision, expected_version: int, author) -> Document:
    """Makes an old revision's text current again, as a new revision."""
    parsed = parse_document(revision.source_text, document.file_path)
    return _web_save(
        parsed,
        revision.source_text,
        document=document,
        reason=f"restored revision {revision.number}",
        author=author,
        expected_version=expected_version,
    )


def _web_save(
    parsed, text: str, *, document: Document | None, path: str = "", reason: str, author, expected_version: int
):
    """document_save for a web edit of `document` (None: a new document, identified by its `path`).

    A VersionConflict it raises carries the text that was not saved as `yours`."""
    if document is not None:
        identity = document.identity
    else:  # named as an import of the file would name it
        identity = f"id:{parsed.identity}" if parsed.identity else path
    try:
        saved, outcome = document_save(
            parsed,
            identity=identity,
            source_path=document.source_path if document else "",
            source_text=text,
            reason=reason or WEB_EDIT,
            author=author,
            edited_on_web=True,
            expected_version=expected_version,
        )
    except VersionConflict as exc:
        exc.yours = text  # what this save tried to write: the conflict page shows it, not a rebuild of it
        raise
    if outcome != "unchanged":
        git_commit_edit(document=saved, author=author)  # opt-in (KB_GIT_COMMIT): the repository stays the source
    return saved


def _edit_latest(model, document: Document, edit, *, author, reason: str):
    """Applies `edit` (current document → new text and its parse) to the latest version; retried once
    if a save slips in between reading and writing, since the edit is then simply made on the newer text."""
    for attempt in range(2):
        current = model.objects.get(pk=document.pk)
        text, parsed = edit(current)
        try:
            return _web_save(
                parsed, text, document=current, reason=reason, author=author, expected_version=current.version
            )
        except VersionConflict:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _new_identity(kind: str, name: str, *, keep_case: bool = False) -> str:
    """`postmortems/<slug>.md` (or `runbooks/…`) for a new document, with a slug no document has and a
    file name `import_docs` reads, so an export imports it back ("README" is no readme.md).

    A runbook named after its alert keeps the alert's case in the file name, as runbook folders do,
    so the parser's file-name rule agrees with its title.
    """
    folder = f"{kind}s"
    base = (slugify(name)[:180] or kind) if not keep_case else re.sub(r"[^A-Za-z0-9_:.-]", "", name)[:180]
    if slugify(base) in RESERVED_SLUGS:
        base = f"{base}-{kind}"
    # "readme", "template-engine-outage" would be skipped: the kind after or before it makes them names.
    base = next(
        b
        for b in (base, f"{base}-{kind}", f"{kind}-{base}", f"{kind}-{base}-{kind}")
        if not skip_reason(Path(f"{b}.md"))
    )
    candidate, n = base, 1
    while (
        Document.objects.filter(kind=kind, slug=slugify(candidate)).exists()
        or Document.objects.filter(identity=f"{folder}/{candidate}.md").exists()
    ):
        n += 1
        candidate = f"{base}-{n}"
    return f"{folder}/{candidate}.md"
