"""An alert that no runbook answers for its labels is not a dead end: what the knowledge base knows
about it anyway (its runbooks for other labels, the post-mortems that implicate it, its incidents, its
entity page, alert names close to it) and where to write the runbook it lacks.

A fixed number of queries, each bounded: at most six, whatever the number of documents and incidents.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from urllib.parse import urlencode

from kb.alerting.history import IncidentHistory, incident_history, postmortems_implicating_latest
from kb.markdown.syntax import ALERT_NAME
from kb.models import Alert, Entity, PostMortem, Runbook, entities_named

POSTMORTEMS_SHOWN = 5
SUGGESTIONS = 5


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
    names = Alert.objects.filter(runbooks__archived=False).values_list("name", flat=True).distinct()
    known = {n.lower(): n for n in names}
    close = difflib.get_close_matches(name.lower(), list(known), n=SUGGESTIONS, cutoff=0.6)
    return [known[c] for c in close if known[c].lower() != name.lower()]
