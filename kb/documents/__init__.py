"""Documents as records: the one save path (`saving.document_save`, with version conflicts), which
files are documents (`files`), importing folders (`importing`, in batches of saves: `batches`), exporting them back (`exporting`)
and the diff between two revisions (`diff`).

May import: `kb.markdown`, `kb.models`, and the write side of the areas a save keeps up to date
(`kb.search` to index, `kb.entities.mentions` to extract, `kb.alerting.incidents` to write the
incidents a document names). Not views, forms or the web editor.
"""
