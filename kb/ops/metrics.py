"""The knowledge base's Prometheus metrics: what other areas count, what is read at scrape time, and
the exposition.

Counters and histograms live in the process that counts. Under gunicorn each worker is a process:
with PROMETHEUS_MULTIPROC_DIR set (an empty directory, before the workers start) they write their
values there and a scrape of any worker adds up all of them. Gauges that describe the database
(documents, incidents firing, the last Git sync) are not kept in memory at all: they are read when
scraped, so every worker reports the same.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator

from django.db import DatabaseError
from django.db.models import Count
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from kb.models import Document, DocumentKind, GitSync, GitSyncAction, GitSyncOutcome, Incident, IncidentStatus

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "kb_http_requests",
    "HTTP requests answered, by view (its URL name), method and status code.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "kb_http_request_duration_seconds",
    "Time to answer an HTTP request, by view (its URL name).",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WEBHOOK_DELIVERIES = Counter(
    "kb_alertmanager_deliveries", "Alertmanager webhook deliveries, by the HTTP status answered.", ["status"]
)
WEBHOOK_ALERTS = Counter(
    "kb_alertmanager_alerts", "Alerts received in accepted webhook deliveries, by their status.", ["status"]
)
IMPORTED_FILES = Counter(
    "kb_import_files",
    "Files seen by imports, by outcome (created, updated, unchanged, skipped, failed, archived).",
    ["outcome"],
)
UNRESOLVED_VIEW = "<unresolved>"  # a path no URL matches: one series for all of them, whatever was asked


def request_observe(*, view: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(view=view, method=method, status=str(status)).inc()
    REQUEST_SECONDS.labels(view=view).observe(seconds)


def webhook_delivery_observe(*, status: int, alert_statuses: Iterable[str] = ()) -> None:
    WEBHOOK_DELIVERIES.labels(status=str(status)).inc()
    for alert_status in alert_statuses:
        WEBHOOK_ALERTS.labels(status=alert_status).inc()


def import_outcomes_observe(outcomes: Iterable[str]) -> None:
    for outcome in outcomes:
        IMPORTED_FILES.labels(outcome=outcome).inc()


def git_sync_state() -> tuple[float, bool]:
    """When the last Git sync finished (Unix time) and whether it succeeded; (0, False) before the first.

    Read at scrape time, like the database gauges, so that every gunicorn worker reports the same
    state, whichever process (a CronJob's `sync_git`, the push webhook) ran the sync.
    """
    last = (
        GitSync.objects.filter(action=GitSyncAction.SYNC, outcome__in=[GitSyncOutcome.SUCCEEDED, GitSyncOutcome.FAILED])
        .order_by("-finished_at")
        .values_list("finished_at", "outcome")
        .first()
    )
    if last is None or last[0] is None:
        return 0.0, False
    return last[0].timestamp(), last[1] == GitSyncOutcome.SUCCEEDED


class DatabaseCollector(Collector):
    """Gauges counted in the database when scraped: three small queries."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Registering asks for the names; without this it would run the queries at import time.
        yield GaugeMetricFamily("kb_documents", "Documents not archived, by kind.", labels=["kind"])
        yield GaugeMetricFamily("kb_incidents_firing", "Incidents firing now.")
        yield from _git_sync_families(0.0, False)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            by_kind = dict(
                Document.objects.filter(archived=False).values_list("kind").annotate(n=Count("id")).order_by()
            )
            firing = Incident.objects.filter(status=IncidentStatus.FIRING).count()
            git_sync = git_sync_state()
        except DatabaseError as exc:
            logger.warning("metrics: the database gauges are left out of this scrape: %s", exc)
            return
        documents = GaugeMetricFamily("kb_documents", "Documents not archived, by kind.", labels=["kind"])
        for kind in sorted(set(DocumentKind.values) | set(by_kind)):
            documents.add_metric([kind], by_kind.get(kind, 0))
        yield documents
        yield GaugeMetricFamily("kb_incidents_firing", "Incidents firing now.", value=firing)
        yield from _git_sync_families(*git_sync)


def _git_sync_families(finished_at: float, succeeded: bool) -> Iterator[GaugeMetricFamily]:
    yield GaugeMetricFamily(
        "kb_git_sync_last_timestamp_seconds",
        "When the last Git sync finished (Unix time); 0 before the first.",
        value=finished_at,
    )
    yield GaugeMetricFamily(
        "kb_git_sync_last_success",
        "1 when the last Git sync succeeded, 0 when it failed or none ran yet.",
        value=1 if succeeded else 0,
    )


_database_collector = DatabaseCollector()
REGISTRY.register(_database_collector)


def metrics_exposition() -> tuple[bytes, str]:
    """The text a scrape answers, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_database_collector)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
