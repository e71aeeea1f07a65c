"""One command per module, each thin: read the arguments, call the area that does the work, print.

`import_docs` and `export_docs` (`kb.documents`), `reindex` (`kb.search`), `relink` (`kb.entities`),
`check_rules` and `annotate_rules` (`kb.alerting`). May import any area, never `kb.views`.
"""
