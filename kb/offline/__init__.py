"""The offline copy: every runbook, post-mortem, note, incident and entity page written as a static
site (`site`: the pages rendered through the site's own URLs and templates, links made relative, the
static files copied, a Pagefind search index built), for when the cluster that hosts the knowledge
base is the thing that is down.

May import: `kb.models`. It asks for pages through Django's test client, never a view directly.
"""
