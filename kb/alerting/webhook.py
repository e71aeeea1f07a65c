"""Alertmanager's webhook (payload version 4): a body read into plain dataclasses, then stored as incidents.

`parse_webhook` is pure: bytes in, a `WebhookPayload` or a `PayloadError` naming the field out.
`webhook_store` writes one group of alerts in a fixed number of queries, whatever its size, through
`kb.alerting.incidents.incidents_save` like every incident write.

What a body means, per alert (the group's own `status` says nothing about each alert):
- an incident is one alert instance from one start: the key is (fingerprint, startsAt), so the
  same alert firing again later is a new incident;
- `endsAt` of year 1 means "not ended"; timestamps carry nanoseconds, stored to the microsecond;
- Alertmanager redelivers failed notifications and repeats groups, so storing is idempotent, and a
  resolved incident stays resolved: a late or repeated "firing" for the same start cannot reopen it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from kb.alerting.incidents import incidents_save
from kb.entities.mentions import mentions_refresh
from kb.models import Alert, Incident, IncidentOrigin, IncidentStatus, Runbook, named_any_case
from kb.search import search_documents_naming

SUPPORTED_VERSION = "4"
MAX_ALERT_NAME = Alert._meta.get_field("name").max_length
MAX_FINGERPRINT = Incident._meta.get_field("fingerprint").max_length
MAX_TITLE = Incident._meta.get_field("title").max_length
# What a later notification may change of a stored incident (see `_apply`).
APPLIED_FIELDS = ("status", "resolved_at", "title", "annotations", "runbook", "generator_url", "updated_at")


class PayloadError(ValueError):
    """The body is not an Alertmanager webhook payload; the message names the field."""


@dataclass(frozen=True)
class ReceivedAlert:
    fingerprint: str
    status: str  # firing or resolved, the alert's own
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None  # None: not ended
    generator_url: str

    @property
    def name(self) -> str:
        return self.labels["alertname"]

    @property
    def key(self) -> tuple[str, datetime]:
        return (self.fingerprint, self.starts_at)

    @property
    def title(self) -> str:
        return (self.annotations.get("summary") or self.name)[:MAX_TITLE]


@dataclass(frozen=True)
class WebhookPayload:
    # Only what is stored or reported is read: a receiver, group status, groupKey or externalURL
    # of an unexpected shape does not cost the delivery.
    truncated_alerts: int  # alerts Alertmanager left out of this group (the receiver's max_alerts)
    alerts: list[ReceivedAlert]


@dataclass(frozen=True)
class StoreResult:
    created: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def parse_webhook(body: bytes) -> WebhookPayload:
    try:
        data = json.loads(body.decode("utf-8"))  # JSON on the wire is UTF-8; json.loads(bytes) would guess
    except UnicodeDecodeError as exc:
        raise PayloadError(f"the body is not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise PayloadError(f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise PayloadError(f"the body is a JSON {type(data).__name__}, not an Alertmanager webhook object")
    version = data.get("version")
    if version is None:
        raise PayloadError("`version` is missing: not an Alertmanager webhook payload")
    if version != SUPPORTED_VERSION:
        raise PayloadError(
            f"`version` is {version!r}: only Alertmanager's webhook version {SUPPORTED_VERSION!r} is understood"
        )
    alerts = data.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("`alerts` must be a list")
    truncated = data.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise PayloadError("`truncatedAlerts` must be a whole number")
    return WebhookPayload(
        truncated_alerts=truncated,
        alerts=[_alert(item, f"alerts[{n}]") for n, item in enumerate(alerts)],
    )


def _alert(item, where: str) -> ReceivedAlert:
    if not isinstance(item, dict):
        raise PayloadError(f"{where} must be an object")
    status = item.get("status")
    if status not in (IncidentStatus.FIRING, IncidentStatus.RESOLVED):
        raise PayloadError(f"{where}.status is {status!r}: expected 'firing' or 'resolved'")
    fingerprint = item.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint.strip():
        raise PayloadError(f"{where}.fingerprint is missing")
    if len(fingerprint) > MAX_FINGERPRINT:
        raise PayloadError(f"{where}.fingerprint is longer than {MAX_FINGERPRINT} characters")
    labels = _string_map(item.get("labels"), f"{where}.labels")
    name = labels.get("alertname", "")
    if not name.strip():
        raise PayloadError(f"{where}.labels.alertname is missing")
    if len(name) > MAX_ALERT_NAME:
        raise PayloadError(f"{where}.labels.alertname is longer than {MAX_ALERT_NAME} characters")
    starts_at = parse_time(item.get("startsAt"), f"{where}.startsAt")
    if starts_at is None:
        raise PayloadError(f"{where}.startsAt is missing")
    ends_at = parse_time(item.get("endsAt"), f"{where}.endsAt")
    if status == IncidentStatus.RESOLVED and ends_at is None:
        raise PayloadError(f"{where} is resolved but its endsAt is not set")
    generator_url = _text(item, "generatorURL", f"{where}.generatorURL")
    return ReceivedAlert(
        fingerprint=fingerprint.strip(),
        status=status,
        labels=labels,
        annotations=_string_map(item.get("annotations", {}), f"{where}.annotations"),
        starts_at=starts_at,
        ends_at=ends_at if status == IncidentStatus.RESOLVED else None,
        generator_url=generator_url if urlsplit(generator_url).scheme in ("http", "https") else "",
    )


def parse_time(value, where: str) -> datetime | None:
    """An RFC 3339 time in UTC, nanoseconds cut to microseconds; None for absent or year 1 ("not ended")."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{where} must be a string such as 2026-11-21T07:11:12Z")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise PayloadError(f"{where} is {value!r}, not an RFC 3339 time") from exc
    if moment.tzinfo is None:
        raise PayloadError(f"{where} is {value!r}, without a time zone")
    if moment.year <= 1:
        return None
    return moment.astimezone(UTC)


def _string_map(value, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object of strings")
    for key, item in value.items():
        if not isinstance(item, str):
            raise PayloadError(f"{where}.{key} must be a string")
    return dict(value)


def _text(data: dict, key: str, where: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise PayloadError(f"`{where}` must be a string")
    return value


@transaction.atomic
def webhook_store(*, payload: WebhookPayload) -> StoreResult:
    """Creates or updates one incident per alert; a redelivered body changes nothing."""
    received = _one_per_key(payload.alerts)
    if not received:
        return StoreResult(created=0, updated=0, unchanged=0)
    alerts = alerts_named(names={r.name for r in received})
    existing = {
        (incident.fingerprint, incident.started_at): incident
        for incident in Incident.objects.select_for_update().received({r.key for r in received})
    }
    created: list[Incident] = []
    changed: list[Incident] = []
    now = timezone.now()
    for alert_received in received:
        alert = alerts[alert_received.name]
        incident = existing.get(alert_received.key)
        if incident is None:
            created.append(_new_incident(alert_received, alert))
        elif _apply(incident, alert_received, alert):
            incident.updated_at = now
            changed.append(incident)
    incidents_save(
        created=created,
        updated=changed,
        fields=APPLIED_FIELDS,
    )
    return StoreResult(
        created=len(created), updated=len(changed), unchanged=len(received) - len(created) - len(changed)
    )


def _one_per_key(alerts: list[ReceivedAlert]) -> list[ReceivedAlert]:
    """The alerts of a body, one per incident key; a resolved copy wins over a firing one."""
    chosen: dict[tuple[str, datetime], ReceivedAlert] = {}
    for alert in alerts:
        if alert.key not in chosen or alert.status == IncidentStatus.RESOLVED:
            chosen[alert.key] = alert
    return list(chosen.values())


# What choosing an alert's runbook reads (Alert.runbook_choice): not the runbooks' texts and HTML, which for
# a 1,000-alert group of alerts with runbooks were megabytes read and thrown away.
CHOICE_FIELDS = ("alert_id", "title", "archived", "labels", "stub_of")


def alerts_named(*, names: set[str]) -> dict[str, Alert]:
    """The Alert of each name, created when new, with its live runbooks prefetched: a few queries for any number."""
    wanted = {name.lower(): name for name in names}

    def fetch() -> dict[str, Alert]:
        alerts = named_any_case(Alert.objects, *wanted.values()).prefetch_related(
            Prefetch("runbooks", queryset=Runbook.objects.filter(archived=False).only(*CHOICE_FIELDS))
        )
        return {alert.name.lower(): alert for alert in alerts}

    found = fetch()
    if len(found) < len(wanted):
        Alert.objects.bulk_create([Alert(name=wanted[k]) for k in wanted if k not in found], ignore_conflicts=True)
        # Documents written before the alert first fired name it as plain text: link them now, as a new runbook does.
        mentions_refresh(names=[wanted[k] for k in wanted if k not in found], naming=_documents_naming)
        found = fetch()
    # The database's LOWER() may fold a non-ASCII name differently from Python: look those up one by one.
    return {name: found.get(name.lower()) or Alert.objects.for_name(name) for name in names}


def _new_incident(received: ReceivedAlert, alert: Alert) -> Incident:
    incident = Incident(
        title=received.title,
        alert=alert,
        status=IncidentStatus.FIRING,
        origin=IncidentOrigin.ALERTMANAGER,
        started_at=received.starts_at,
        fingerprint=received.fingerprint,
        labels=received.labels,
        annotations=received.annotations,
        runbook=alert.best_runbook(received.labels),
        generator_url=received.generator_url,
    )
    if received.ends_at is not None:
        incident.resolve(at=received.ends_at)
    return incident


def _apply(incident: Incident, received: ReceivedAlert, alert: Alert) -> bool:
    """Brings a stored incident up to date with a later notification; True when anything changed."""
    changed = False
    if received.status == IncidentStatus.RESOLVED:
        changed |= incident.resolve(at=received.ends_at)
    elif incident.status == IncidentStatus.FIRING and (
        incident.annotations != received.annotations or incident.generator_url != received.generator_url
    ):
        # Annotations are templates of the current value; they may change while the alert fires.
        incident.annotations = received.annotations
        incident.title = received.title
        incident.generator_url = received.generator_url
        changed = True
    if incident.runbook_id is None:
        runbook = alert.best_runbook(received.labels)
        if runbook is not None:
            incident.runbook = runbook
            changed = True
    return changed


def silence_url(*, alertmanager_url: str, labels: dict[str, str], comment: str = "") -> str:
    """Alertmanager's new-silence form, its matchers filled with every label (so it silences this alert only)."""
    matchers = ",".join(f'{key}="{_matcher_value(value)}"' for key, value in sorted(labels.items()))
    url = f"{alertmanager_url.rstrip('/')}/#/silences/new?filter={quote('{' + matchers + '}', safe='')}"
    return url + (f"&comment={quote(comment, safe='')}" if comment else "")


def _matcher_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _documents_naming(names: list[str]) -> set[int]:
    """The documents naming a new alert, found by the search index rather than a scan of every text."""
    return search_documents_naming(names=names)
