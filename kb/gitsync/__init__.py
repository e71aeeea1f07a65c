"""Git as the source of the documents: the `git` command line run safely (`git`: no shell, timeouts,
credentials from the environment), a sync of the repository into the database (`syncing`: what
changed since the last synced commit, renames and deletions included, a full comparison after a
force-push, a record of each run and a lock so that two never overlap), the push webhook's signatures
(`webhook`), web edits committed back to the working copy (`committing`) and links to a file at a
commit in the forge's web UI (`links`).

May import: `kb.documents` (files go in through its importer, so a synced file is saved like an
imported one), `kb.markdown` (a file's text and hash), `kb.models`, `kb.ops` (import outcomes). Imported by `kb.authoring` (a web save is
committed here), the management commands, the admin and views.
"""
