"""Alerts and incidents: the Alertmanager webhook (`webhook`), the one write path of incidents and
what pages show about them (`incidents`), alert links as Alertmanager fills them (`links`), command
placeholders filled from labels (`placeholders`), resolution trends (`trends`), alerting rules
(`rules`) and the runbook coverage of those rules (`coverage`).

May import: `kb.markdown`, `kb.models`, `kb.search` (an incident is indexed when written),
`kb.entities.mentions` (an alert name first seen links the documents that name it).
"""
