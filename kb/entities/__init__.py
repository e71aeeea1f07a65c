"""What documents mention and what it adds up to: extraction from a parsed document (`extraction`,
pure, over the name shapes of `grammar`, the words that only look like names (`lookalikes`) and the
evidence found in each passage, `evidence`), the mentions written for each saved document
(`mentions`), curators' decisions (`curation`), links from a shown document to entity pages
(`links`), and entity pages, related documents and insights read from the mentions (`insights`).

May import: `kb.markdown`, `kb.models`. Not `kb.documents` (which calls `mentions` on every save),
not search internals, not views.
"""
