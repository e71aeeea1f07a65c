"""The words that tell a post-mortem, a runbook and an operations note apart: title, file-name and
folder vocabulary, the sections and bold labels of the common templates with their weights, and the
file extensions a document's name may stack. `kb.markdown.parsing` scores a document with them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb.markdown.syntax import heading_key

# The extensions of a document's file, stacked as site generators stack them: `vpn-down.html.md.erb`.
DOCUMENT_EXTENSIONS = ("md", "markdown", "mdx", "txt", "erb", "html")
# A recorded HTTP request or response (`POST /hook HTTP/1.1`, `HTTP/1.1 200 OK`) saved as text: data, not a document.
HTTP_MESSAGE = re.compile(r"\A\s*(?:[A-Z]{3,7} \S+ HTTP/\d(?:\.\d)?|HTTP/\d(?:\.\d)? \d{3}\b)")
# What front matter `kind:` (or `type:`) may say, and the kind each one means.
DECLARED_KINDS = {
    **dict.fromkeys(("runbook", "playbook", "sop", "alert"), "runbook"),
    **dict.fromkeys(
        ("postmortem", "post-mortem", "incident", "incident-review", "incident-report", "retrospective", "pir", "rca"),
        "postmortem",
    ),
    **dict.fromkeys(("note", "page", "procedure", "howto", "how-to", "guide", "index", "doc"), "note"),
}
# Words of a title or file name. "Incident on 2022-07-11", "PM2019-009", "Outage report", "Alert: DiskFull".
POSTMORTEM_WORDS = re.compile(
    r"post[-_ ]?mortem|incident|outage|retrospective|\bpir\b|\brca\b|root[-_ ]cause[-_ ]analysis|"
    r"\bdowntime\b|disruption|\bPM(?=[-_ ]?\d)",
    re.I,
)
RUNBOOK_WORDS = re.compile(r"run[-_ ]?books?|play[-_ ]?books?|\bsop\b|\balert(?:s|ing)?\b", re.I)
NOTE_WORDS = re.compile(r"^(?:_?index|contents|toc|overview|how[-_ ]to\b.*|guide|procedures?)$", re.I)
# Folders a team keeps each kind in ("docs/post-mortems/", "manual/alerts/").
POSTMORTEM_FOLDER = re.compile(r"post[-_ ]?mortems?|incidents?|incident[-_ ]reports?|retrospectives?|outages?", re.I)
RUNBOOK_FOLDER = re.compile(r"run[-_ ]?books?|play[-_ ]?books?|alerts?", re.I)
# A date as a title or file name starts with it, or as "Incident on 2022-07-11" names it.
DATE_IN_NAME = re.compile(r"\b(?:19|20)\d\d[-_./]\d\d?[-_./]\d\d?\b|\b(?:19|20)\d{6}\b")
# A lead paragraph that says what fires.
ALERT_SENTENCE = re.compile(r"\b(?:this|the) alert\b|\balert (?:fires|is firing|triggers)\b|\bfires when\b", re.I)

# The sections (and bold labels, "- **Key events**") of the common templates, by weight: PagerDuty,
# Google SRE book, Atlassian, Etsy and "Issue Summary" post-mortems; Prometheus-style runbooks.
# Keys are as `kind_key` spells them; a heading counts for the longest key it starts with.
POSTMORTEM_SECTIONS = {
    **dict.fromkeys(("summary", "impact", "resolution", "recovery", "status", "severity", "date"), 1),
    **dict.fromkeys(("stats", "why hard to spot", "insights", "next steps", "trigger", "identified"), 1),
    **dict.fromkeys(("detection", "executive summary", "incident summary", "customer impact", "user impact"), 2),
    **dict.fromkeys(("attendees", "participants", "responders", "takeaways", "what happened", "duration"), 2),
    **dict.fromkeys(("contributing items", "time to resolve", "time to recovery", "lessons"), 2),
    **dict.fromkeys(("issue summary", "root cause", "root causes", "contributing factors", "timeline"), 3),
    **dict.fromkeys(("incident timeline", "resolution and recovery", "action items", "follow ups", "followups"), 3),
    **dict.fromkeys(("corrective actions", "corrective and preventative measures", "preventative measures"), 3),
    **dict.fromkeys(("corrective and preventive measures", "preventive measures", "lessons learned"), 3),
    **dict.fromkeys(("lessons learnt", "what went well", "what went wrong", "where we got lucky", "key events"), 3),
    **dict.fromkeys(("time to repair", "review actions", "five whys", "5 whys", "supporting information"), 3),
}
RUNBOOK_SECTIONS = {
    **dict.fromkeys(("impact", "resolution", "remediation", "verification", "checks", "description"), 1),
    **dict.fromkeys(("alert", "alert name", "alerts", "symptoms", "investigation", "troubleshooting"), 2),
    **dict.fromkeys(("fix", "how to fix", "escalation", "possible causes", "resolution history"), 2),
    **dict.fromkeys(("meaning", "diagnosis", "mitigation", "runbook", "alert details", "when this alert fires"), 3),
}
NOTE_SECTIONS = {
    **dict.fromkeys(("prerequisites", "steps", "procedure", "usage", "installation", "setup", "contents"), 1),
    **dict.fromkeys(("see also", "further reading", "references", "background", "overview", "introduction"), 1),
}
# An index page: list items that are nothing but a link, or a table-of-contents directive (Sphinx,
# MyST, Hugo) that lists the pages of a folder.
LINK_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[[^\]]+\]\([^)]*\)\s*$")
TOC_DIRECTIVE = re.compile(r"^\s*(?:[`:~]{3,}\s*\{toctree\}|\.\. toctree::|\{\{<\s*(?:children|toc)\b)", re.M)
# A bold label opening a line or a list item: "- **Time to repair**: 6h", "**Impact**".
LABEL_LINE = re.compile(r"^ {0,3}(?:[-*+]\s+)?\*\*([^*\n]{2,60}?)\*\*")


def kind_key(heading: str) -> str:
    """A heading or label as the kind vocabulary spells it: numbering, punctuation and case dropped."""
    text = heading_key(heading).replace("&", " and ")
    text = re.sub(r"^(?:\d+(?:\.\d+)*[.)]?|[ivx]+[.)])\s+", "", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def section_weight(vocabulary: dict[str, int], heading: str) -> int:
    """What a heading weighs in `vocabulary`: the weight of the longest key it starts with, word for word."""
    key = kind_key(heading)
    best = ""
    for known in vocabulary:
        if (key == known or key.startswith(known + " ")) and len(known) > len(best):
            best = known
    return vocabulary[best] if best else 0


# The same headings and labels ("Impact", "Diagnosis") in every document of an import: each weighed once a process.
@lru_cache(maxsize=4096)
def section_weights(heading: str) -> tuple[int, int, int]:
    """What a heading weighs as a post-mortem's, a runbook's and a note's section (`section_weight`)."""
    return (
        section_weight(POSTMORTEM_SECTIONS, heading),
        section_weight(RUNBOOK_SECTIONS, heading),
        section_weight(NOTE_SECTIONS, heading),
    )
