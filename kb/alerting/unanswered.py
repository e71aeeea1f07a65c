"""An alert that no runbook answers for its labels is not a dead end: what the knowledge base knows
about it anyway (its runbooks for other labels, the post-mortems that implicate it, its incidents, its
entity page, alert names close to it) and where to write the runbook it lacks.

A fixed number of queries, each bounded: at most six, whatever the number of documents and incidents; the
names of the alerts with runbooks, compared for suggestions, are read once per document write and kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Max
from rapidfuzz import fuzz, process

from kb.alerting.history import IncidentHistory, incident_history, postmortems_implicating_latest
from kb.markdown.syntax import ALERT_NAME
from kb.models import Alert, Document, Entity, PostMortem, Runbook, entities_named

POSTMORTEMS_SHOWN = 5
SUGGESTIONS = 5
# How alike a name must be to be suggested: the share of characters two names have in common, in order (0-100).
SUGGESTED_FROM = 60
# The names of alerts with runbooks change only with a document written, archived or restored.
NAMES_SECONDS = 3600


@dataclass
class UnansweredAlert:
    name: str
    alert: Alert | None  # None: no alert of this name is known
    labels: dict[str, str]
    others: list[Runbook]  # the alert's runbooks, for other labels
    postmortems: list[PostMortem]  # the latest that implicate it
    incident_history: IncidentHistory | None
    entity: Entity | None  # its entity page, when documents mention it
    suggestions: list[str]  # names of alerts with runbooks close to this one

    @property
    def draft_url(self) -> str:
        """The runbook editor pre-filled for this alert, with the labels as its scope; '' for a name that is
        not an alert name (the editor would not take it)."""
        if not ALERT_NAME.match(self.name):
            return ""
        return "/runbooks/new/?" + urlencode({"alert": self.name, **self.labels})


def unanswered_alert(
    *, name: str, alert: Alert | None, labels: dict[str, str], others: list[Runbook]
) -> UnansweredAlert:
    """What to show for `name` (`alert` when known), which none of its runbooks (`others`) fits."""
    name = alert.name if alert else name
    entities = list(entities_named(name).only("name"))  # two at most, by name
    entity = entities[0] if entities else None
    return UnansweredAlert(
        name=name,
        alert=alert,
        labels=labels,
        others=others,
        postmortems=postmortems_implicating_latest(
            alert_id=alert.pk if alert else None,
            # An alert's mentions under any of its names (postmortems_implicating); else those of the entity linked.
            entity_ids=[e.pk for e in entities] if alert else [entity.pk] if entity else [],
            shown=POSTMORTEMS_SHOWN,
        ),
        incident_history=incident_history(alert=alert) if alert else None,
        entity=entity,
        suggestions=[] if others else _close_names(name),
    )


def _close_names(name: str) -> list[str]:
    """Names of alerts with runbooks close to `name` (a slip of the finger, a sibling alert), closest first.
    The names are kept under the newest document write (one index read), not read for every page, and compared
    by rapidfuzz: at 9,000 alerts with runbooks, reading them took 20 ms and difflib's comparisons 50-280 ms."""
    names, lowered = _runbook_alert_names()
    asked = name.lower()
    found = process.extract(asked, lowered, scorer=fuzz.ratio, score_cutoff=SUGGESTED_FROM, limit=SUGGESTIONS + 1)
    return [names[index] for key, _score, index in found if key != asked][:SUGGESTIONS]


def _runbook_alert_names() -> tuple[list[str], list[str]]:
    """The names of alerts with runbooks, and the same lower-cased."""
    newest = Document.objects.aggregate(newest=Max("updated_at"))["newest"]

    def read() -> tuple[list[str], list[str]]:
        names = sorted(Alert.objects.filter(runbooks__archived=False).values_list("name", flat=True).distinct())
        return names, [n.lower() for n in names]

    return cache.get_or_set(f"alerts:names-with-runbooks:{newest.timestamp() if newest else 0}", read, NAMES_SECONDS)
