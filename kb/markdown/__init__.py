"""Markdown as the knowledge base understands it: text in, plain dataclasses out. Pure, no database.

Owns the shared conventions of the documents teams write (`syntax`: front matter, fences, headings,
tables, lists, checkboxes, done markers, field names, alert names; `kinds`: the words that tell a
post-mortem, a runbook and an operations note apart; `references`: when a `#236` is an incident),
a file's bytes as text (`reading`), reading one document (`parsing`, which decides its kind, then
`runbooks` for a runbook's fields and the runbook of each alert of a file with many, or
`postmortems` with `followups` for a post-mortem's follow-ups and lessons; `errors` for what
reading can fail with), rendering it to sanitised HTML with its outline in the same Python-Markdown
pass (`rendering`), rebuilding files whose newlines were lost (`unflatten`), the dates people write
(`dates`), the identifier grammar (`identifiers`), what fixed an incident and a runbook's next step
(`fixes`) and cutting rendered HTML into sections
(`html_parts`).

May import: the standard library, Python-Markdown, nh3, PyYAML, Pygments. Never Django's models or
any other `kb` package: everything else builds on this one.
"""
