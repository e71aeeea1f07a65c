"""Alerts and incidents: the one write path of incidents (`incidents`: every incident written, by
the form, the admin, the webhook or the importer, is saved and indexed for search there), the form of
an incident written by hand (`forms`), the Alertmanager webhook (`webhook`), what an incident takes
from the documents that name it (`facts`), what pages show about incidents (`history`) and what a
runbook page leads with (`last_time`), whether a runbook helped and when it is stale (`feedback`, the
one write path of an answer), what an alert link that no runbook fits shows (`unanswered`), alert links
as Alertmanager fills them (`links`), command placeholders filled
from labels (`placeholders`), resolution trends (`trends`), alerting rules (`rules`) and the runbook
coverage of those rules (`coverage`).

May import: `kb.markdown`, `kb.models`, `kb.search` (an incident is indexed when written, by
`incidents` only; the webhook asks it which documents name a new alert), `kb.entities.mentions` (an alert name first seen links the documents that name it).
Not `kb.documents`: a document's save writes the incidents it names through `incidents`.
"""
