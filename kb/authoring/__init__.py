"""The web editor's round trip: forms (`forms`) give drafts; drafts become markdown in the canonical
layout (`to_markdown`) and stored markdown becomes drafts again (`from_markdown`); small edits are
made in place in an author's own text (`edits`); `saving` parses what was written with the
importer's parser and saves it through `kb.documents.saving.document_save`, like any import.

May import: `kb.markdown`, `kb.documents`, `kb.models`, `kb.entities.links` (the preview links
entities like the page). The incident form is `kb.alerting.forms`.
"""
