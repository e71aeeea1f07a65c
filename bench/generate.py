"""A generated knowledge base for measuring at scale: N runbooks, M post-mortems and K Alertmanager groups.

    .venv/bin/python bench/generate.py --runbooks 10000 --postmortems 2000 --incidents 100000 --out DIR

Deterministic: the same arguments and `--seed` give the same bytes. Written from a vocabulary of its own
(systems, components, metrics, hosts), in the styles the importer reads, about 4 KB a document:

- runbooks: front matter (`alert:`, `labels:`) with Meaning / Impact / Diagnosis / Mitigation; a title naming
  the alert (`# Queue consumer lag (BillingQueueLagHigh)`) whose label scope is a sentence; a file named after
  its alert with only a `title:`; and pasted ones whose newlines were lost. Most carry a Resolution History
  table naming incidents `#NNN`; some alerts have a second runbook scoped to one namespace.
- post-mortems: front matter fields; a Field/Value table of bold fields (some flattened); a date in the H1 with
  one `###` per timestamp. Each has a summary, impact, timeline, root cause, follow-ups and lessons, and
  names the alerts and incidents it is about.
- `extra/`: `--extra-runbooks` and `--extra-postmortems` more of the same, for an import into a full database.
- `alertmanager/group-NNNNN.json`: webhook bodies (version 4) of `--group-size` alerts each, `--incidents` in
  all, for the generated alerts, every alert a new incident: all resolved but three in ten of the last group.

`manifest.json` gives the counts an import should find: runbooks, post-mortems, alerts, incidents (those the
documents name `#NNN`, recorded by the import, and those of the Alertmanager groups).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SYSTEMS = [
    "Billing", "Ledger", "Checkout", "Catalog", "Search", "Payments", "Identity", "Session", "Gateway", "Ingress",
    "Mailer", "Notifier", "Scheduler", "Reporting", "Inventory", "Shipping", "Pricing", "Fraud", "Audit", "Media",
    "Thumbnail", "Export", "Import", "Webhook", "Tenant", "Quota", "Metering", "Analytics", "Feature", "Config",
    "Registry", "Artifact", "Backup", "Archive", "Ledger", "Storage", "Cache", "Queue", "Stream", "Broker",
]  # fmt: skip
SUBJECTS = [
    "Queue", "Consumer", "Producer", "Replica", "Primary", "Worker", "Api", "Job", "Cron", "Pod", "Node", "Disk",
    "Volume", "Certificate", "Connection", "Pool", "Lease", "Shard", "Index", "Partition", "Topic", "Bucket",
    "Snapshot", "Tunnel", "Endpoint", "Route", "Token", "Socket", "Thread", "Heap",
]  # fmt: skip
CONDITIONS = [
    "LagHigh", "Down", "Stuck", "ErrorsHigh", "LatencyHigh", "AlmostFull", "Flapping", "Restarting", "Saturated",
    "Expiring", "NotReady", "Throttled", "OOMKilled", "Missing", "Degraded", "Unreachable", "BacklogGrowing",
    "DropsHigh", "TimeoutsHigh", "ReconcileFailed", "SyncFailed", "QuotaExceeded", "LeakSuspected", "Unhealthy",
]  # fmt: skip
CONDITION_WORDS = {
    "LagHigh": "lag high", "Down": "down", "Stuck": "stuck", "ErrorsHigh": "errors high",
    "LatencyHigh": "latency high", "AlmostFull": "almost full", "Flapping": "flapping", "Restarting": "restarting",
    "Saturated": "saturated", "Expiring": "expiring", "NotReady": "not ready", "Throttled": "throttled",
    "OOMKilled": "OOMKilled", "Missing": "missing", "Degraded": "degraded", "Unreachable": "unreachable",
    "BacklogGrowing": "backlog growing", "DropsHigh": "drops high", "TimeoutsHigh": "timeouts high",
    "ReconcileFailed": "reconcile failed", "SyncFailed": "sync failed", "QuotaExceeded": "quota exceeded",
    "LeakSuspected": "memory leak suspected", "Unhealthy": "unhealthy",
}  # fmt: skip
NAMESPACES = [
    "billing", "ledger", "checkout", "platform", "monitoring", "ingress", "databases", "storage", "media", "search",
    "identity", "batch", "messaging", "edge", "payments", "analytics",
]  # fmt: skip
COMPONENTS = [
    "postgres", "pgbouncer", "redis", "rabbitmq", "kafka", "zookeeper", "etcd", "coredns", "traefik", "envoy",
    "nginx", "haproxy", "minio", "velero", "cert-manager", "external-dns", "argocd", "prometheus", "alertmanager",
    "loki", "promtail", "grafana", "thanos-sidecar", "node-exporter", "kube-state-metrics", "kubelet", "containerd",
    "calico", "cilium", "vault", "keycloak", "elasticsearch", "opensearch", "clickhouse", "memcached", "sidekiq",
    "celery", "gunicorn", "uwsgi", "jenkins", "gitea", "harbor", "nats", "temporal", "airflow",
]  # fmt: skip
METRICS = [
    "container_memory_working_set_bytes", "container_cpu_cfs_throttled_seconds_total", "kube_pod_container_status_restarts_total",
    "kubelet_volume_stats_available_bytes", "node_filesystem_avail_bytes", "node_load5", "http_requests_total",
    "http_request_duration_seconds_bucket", "pg_replication_lag_seconds", "pg_stat_activity_count",
    "redis_connected_clients", "rabbitmq_queue_messages_ready", "kafka_consumergroup_lag", "etcd_disk_wal_fsync_duration_seconds_bucket",
    "probe_success", "probe_ssl_earliest_cert_expiry", "node_network_receive_drop_total", "process_open_fds",
    "go_goroutines", "jvm_memory_used_bytes", "up", "kube_deployment_status_replicas_available",
    "nginx_ingress_controller_requests", "traefik_service_requests_total", "minio_cluster_capacity_usable_free_bytes",
]  # fmt: skip
DATACENTRES = ["ams1", "fra2", "lon3", "par1", "dub2", "waw1"]
HOST_ROLES = ["k8s-worker", "k8s-master", "db", "cache", "edge", "batch", "storage", "build"]
CAUSES = [
    "a connection pool sized for the old replica count",
    "a retry loop without backoff in the client library",
    "a cron job that started reindexing during peak traffic",
    "an expired intermediate certificate that nobody rotated",
    "a memory limit copied from a staging manifest",
    "a schema migration that took an exclusive lock",
    "a noisy neighbour on the same hypervisor saturating the disk",
    "a DNS record with a five-minute TTL pointing at a drained node",
    "a log level left at debug after an earlier investigation",
    "an autoscaler whose maximum was lower than the morning peak",
    "a replication slot that no consumer read any more",
    "a feature flag rolled out to every tenant at once",
    "a kernel upgrade that changed the conntrack defaults",
    "a queue consumer that acknowledged messages before processing them",
]
ACTIONS = [
    "Raise the memory limit of `{c}` and add a VPA recommendation to the dashboard",
    "Add an alert on `{m}` with a warning threshold before the critical one",
    "Document how to drain `{h}` without losing in-flight jobs",
    "Move the `{c}` maintenance window out of business hours",
    "Add a PodDisruptionBudget for `{c}` in namespace `{n}`",
    "Replace the hand-written retry loop with the shared backoff helper",
    "Test the restore of `{c}` from backup every quarter",
    "Page the owning team rather than the platform rota for `{a}`",
    "Pin the `{c}` chart version and review upgrades in a merge request",
    "Add the incident to the runbook of `{a}` with the commands that worked",
]
LESSONS = [
    "An alert that fires every night is an alert nobody reads; `{a}` needs a threshold that means action.",
    "The dashboard for `{c}` showed the cause an hour before anyone looked at it.",
    "Manual changes during the incident were undone by the next sync; commit the fix first.",
    "Capacity for N+1 replicas is cheap compared with an outage of every service behind `{c}`.",
    "The runbook was right but hard to find; linking it from the alert saved the second responder ten minutes.",
    "We lacked a metric for the queue depth per tenant, so the first hour was guesswork.",
    "Restarting `{c}` hid the symptom twice before we found the leak.",
]


@dataclass
class Alert:
    name: str
    system: str
    subject: str
    condition: str
    namespace: str
    component: str
    metric: str
    incidents: list[int] = field(default_factory=list)

    @property
    def words(self) -> str:
        return f"{self.system} {self.subject.lower()} {CONDITION_WORDS[self.condition]}"


class Generator:
    def __init__(
        self,
        *,
        seed: int,
        runbooks: int,
        postmortems: int,
        incidents: int,
        group_size: int,
        extra_runbooks: int = 0,
        extra_postmortems: int = 0,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.n_runbooks = runbooks
        self.n_postmortems = postmortems
        self.n_extra_runbooks = extra_runbooks
        self.n_extra_postmortems = extra_postmortems
        self.n_incidents = incidents
        self.group_size = group_size
        self.start = date(2021, 1, 4)
        self.next_incident = 100
        self.issued = 0
        # Nine runbooks in ten answer an alert of their own; the tenth (n % 10 == 9) a namespace of an alert
        # already covered. The extra documents (imported into the full knowledge base) come after the others.
        total = runbooks + extra_runbooks
        self.distinct_main = max(1, runbooks - runbooks // 10)
        distinct = max(1, total - total // 10)
        # A few alerts fire with no runbook at all (what insights call wanted runbooks).
        everything = self._alerts(distinct + max(1, self.distinct_main // 50))
        self.alerts, self.unwritten = everything[:distinct], everything[distinct:]
        self.fired_unwritten: set[str] = set()

    # --- vocabulary -------------------------------------------------------------------------------------------
    def _alerts(self, count: int) -> list[Alert]:
        names = [(s, j, c) for s in dict.fromkeys(SYSTEMS) for j in SUBJECTS for c in CONDITIONS]
        self.rng.shuffle(names)
        alerts = []
        for n in range(count):
            system, subject, condition = names[n % len(names)]
            suffix = "" if n < len(names) else f"V{n // len(names) + 1}"
            alerts.append(
                Alert(
                    name=f"{system}{subject}{condition}{suffix}",
                    system=system,
                    subject=subject,
                    condition=condition,
                    namespace=self.rng.choice(NAMESPACES),
                    component=self.rng.choice(COMPONENTS),
                    metric=self.rng.choice(METRICS),
                )
            )
        return alerts

    def host(self) -> str:
        return f"{self.rng.choice(HOST_ROLES)}-{self.rng.randint(1, 40):02d}.{self.rng.choice(DATACENTRES)}"

    def day(self, span_days: int = 1800) -> date:
        return self.start + timedelta(days=self.rng.randrange(span_days))

    def incident_number(self, alert: Alert) -> int:
        self.next_incident += self.rng.randint(1, 3)
        self.issued += 1
        alert.incidents.append(self.next_incident)
        return self.next_incident

    def paragraph(self, alert: Alert, sentences: int) -> str:
        r = self.rng
        pool = [
            f"The `{alert.component}` pods in namespace `{alert.namespace}` serve the {alert.system.lower()} "
            f"{alert.subject.lower()} path.",
            f"`{alert.metric}` is the first thing to look at: compare it with the same hour of the previous week.",
            f"On `{self.host()}` the symptom usually shows up a few minutes before the alert fires.",
            f"Most occurrences so far were caused by {r.choice(CAUSES)}.",
            f"If {r.choice(COMPONENTS)} is also degraded, fix that first: `{alert.component}` depends on it.",
            f"The {alert.system.lower()} team owns the service; the platform rota owns `{alert.component}` itself.",
            f"Expect about {r.randint(2, 40)} minutes before the backlog drains once the cause is fixed.",
            f"The dashboard `{alert.system} / {alert.subject}` shows `{r.choice(METRICS)}` per pod.",
            f"Do not restart every replica at once: `{alert.component}` needs {r.randint(2, 5)} healthy members.",
            f"Customers notice after about {r.randint(5, 30)} minutes, mostly as slow pages rather than errors.",
        ]
        return " ".join(r.sample(pool, k=min(sentences, len(pool))))

    def commands(self, alert: Alert) -> str:
        r = self.rng
        pod = f"{alert.component}-{r.randint(0, 4)}"
        lines = r.sample(
            [
                f"kubectl -n {alert.namespace} get pods -l app={alert.component} -o wide",
                f"kubectl -n {alert.namespace} logs {pod} --since=30m | grep -i error | tail -n 50",
                f"kubectl -n {alert.namespace} describe pod {pod}",
                f"kubectl -n {alert.namespace} top pod -l app={alert.component}",
                f"ssh {self.host()} 'df -h; free -m; uptime'",
                f"curl -s http://{alert.component}.{alert.namespace}.svc:8080/metrics | grep {alert.metric}",
                f"kubectl -n {alert.namespace} rollout restart deployment/{alert.component}",
                f"kubectl -n {alert.namespace} get events --sort-by=.lastTimestamp | tail -n 20",
            ],
            k=3,
        )
        return "```bash\n" + "\n".join(lines) + "\n```"

    def promql(self, alert: Alert) -> str:
        threshold = self.rng.choice(["0.9", "0.15", "300", "5", "1"])
        return (
            f'```promql\nsum by (pod) (rate({alert.metric}{{namespace="{alert.namespace}", '
            f'container="{alert.component}"}}[5m])) > {threshold}\n```'
        )

    def history(self, alert: Alert, rows: int) -> str:
        lines = ["| Date | Incident | Old | New | Notes |", "|------|----------|-----|-----|-------|"]
        for _ in range(rows):
            number = self.incident_number(alert)
            old = self.rng.choice(["256Mi", "2 replicas", "30s", "50Gi", "-"])
            new = self.rng.choice(["512Mi", "4 replicas", "60s", "100Gi", "-"])
            lines.append(f"| {self.day()} | #{number} | {old} | {new} | {self.rng.choice(CAUSES)} |")
        return "\n".join(lines)

    # --- runbooks ---------------------------------------------------------------------------------------------
    def runbook(self, n: int) -> tuple[str, str]:
        """(relative path, text) of runbook n."""
        style = n % 10
        covered = n - n // 10  # alerts that have a runbook before this one
        scoped = style == 9
        # A second runbook for an alert already covered is scoped to one namespace.
        alert = self.alerts[self.rng.randrange(covered)] if scoped else self.alerts[covered]
        team = alert.system.lower()
        if scoped or style < 4:
            return f"runbooks/{team}/{alert.name.lower()}-{n}.md", self.runbook_front_matter(alert, scoped, n)
        if style < 6:
            return f"runbooks/{team}/{alert.name}.md", self.runbook_titled(alert)
        if style < 8:
            return f"runbooks/{team}/alerts/{alert.name}.md", self.runbook_title_only(alert)
        return f"runbooks/{team}/pasted-{alert.name.lower()}.md", flatten(self.runbook_titled(alert))

    def runbook_front_matter(self, alert: Alert, scoped: bool, n: int) -> str:
        namespace = self.rng.choice([ns for ns in NAMESPACES if ns != alert.namespace]) if scoped else alert.namespace
        title = f"{alert.words} in {namespace}" if scoped else alert.words.capitalize()
        return "\n".join(
            [
                "---",
                "kind: runbook",
                f"alert: {alert.name}",
                f"labels: {{namespace: {namespace}}}",
                f"tags: [{alert.component}, {alert.system.lower()}, {alert.subject.lower()}]",
                "---",
                "",
                f"# {title}",
                "",
                self.paragraph(alert, 3),
                "",
                "## Meaning",
                "",
                f"`{alert.name}` fires when this expression holds for 10 minutes:",
                "",
                self.promql(alert),
                "",
                "## Impact",
                "",
                self.paragraph(alert, 4),
                "",
                "## Diagnosis",
                "",
                *self.steps(alert, 4),
                "",
                "## Mitigation",
                "",
                *self.bullets(alert, 4),
                "",
                "## Resolution History",
                "",
                self.history(alert, self.rng.randint(2, 6)),
                "",
            ]
        )

    def runbook_titled(self, alert: Alert) -> str:
        return "\n".join(
            [
                f"# {alert.system} {alert.subject.lower()} {CONDITION_WORDS[alert.condition]} ({alert.name})",
                "",
                "## Alert",
                "",
                f"`{alert.name}` — container `{alert.component}` in namespace `{alert.namespace}` on the production "
                "cluster.",
                "",
                "## Symptoms",
                "",
                *self.bullets(alert, 4),
                "",
                "## Root Cause",
                "",
                self.paragraph(alert, 5),
                "",
                "## Fix",
                "",
                *self.steps(alert, 4),
                "",
                "## Verification",
                "",
                self.paragraph(alert, 3),
                "",
                "## Resolution History",
                "",
                self.history(alert, self.rng.randint(2, 6)),
                "",
            ]
        )

    def runbook_title_only(self, alert: Alert) -> str:
        return "\n".join(
            [
                "---",
                f"title: {alert.name}",
                f"weight: {self.rng.randint(1, 100)}",
                "---",
                "",
                "## Meaning",
                "",
                f"The {alert.system.lower()} {alert.subject.lower()} is {CONDITION_WORDS[alert.condition]}. "
                + self.paragraph(alert, 3),
                "",
                self.promql(alert),
                "",
                "## Impact",
                "",
                self.paragraph(alert, 5),
                "",
                "## Diagnosis",
                "",
                *self.steps(alert, 5),
                "",
                "## Mitigation",
                "",
                self.paragraph(alert, 4),
                "",
                *self.bullets(alert, 3),
                "",
            ]
        )

    def steps(self, alert: Alert, count: int) -> list[str]:
        lines = []
        for k in range(1, count + 1):
            lines.append(f"{k}. {self.paragraph(alert, 3)}")
            if k % 2:
                lines.extend("   " + line for line in self.commands(alert).splitlines())
        return lines

    def bullets(self, alert: Alert, count: int) -> list[str]:
        return [f"- {self.paragraph(alert, 3)}" for _ in range(count)]

    # --- post-mortems -----------------------------------------------------------------------------------------
    def postmortem(self, n: int) -> tuple[str, str]:
        r = self.rng
        written = self.alerts[: self.distinct_main] if n < self.n_postmortems else self.alerts
        alerts = r.sample(written, k=min(len(written), r.randint(1, 3)))
        numbers = [self.incident_number(a) for a in alerts]
        when = self.day()
        slug = f"{alerts[0].system.lower()}-{alerts[0].subject.lower()}-{n}"
        style = n % 4
        if style == 0:
            return f"postmortems/{when}-{slug}.md", self.postmortem_front_matter(alerts, numbers, when)
        if style == 1:
            return f"postmortems/reports/{when}-{slug}.md", self.postmortem_table(alerts, numbers, when)
        if style == 2:
            return f"postmortems/incident-reports/{slug}.md", self.postmortem_dated_title(alerts, numbers, when)
        return f"postmortems/pasted/{when}-{slug}.md", flatten(self.postmortem_table(alerts, numbers, when))

    def severity(self) -> str:
        return self.rng.choice(["SEV1", "SEV2", "SEV3", "SEV4"])

    def summary(self, alerts: list[Alert], numbers: list[int], when: date) -> str:
        a = alerts[0]
        fired = ", ".join(f"`{x.name}` opened #{num}" for x, num in zip(alerts, numbers, strict=True))
        return (
            f"On {when} the {a.system.lower()} {a.subject.lower()} was {CONDITION_WORDS[a.condition]} for "
            f"{self.rng.randint(12, 300)} minutes. The cause was {self.rng.choice(CAUSES)}. {fired}. "
            + self.paragraph(a, 3)
        )

    def timeline_rows(self, alerts: list[Alert], numbers: list[int]) -> list[tuple[str, str]]:
        r = self.rng
        minute = r.randint(0, 23 * 60 - 200)
        rows = []
        events = [
            f"`{alerts[0].metric}` starts to climb on `{self.host()}`",
            *(f"`{a.name}` fires, #{num} opened" for a, num in zip(alerts, numbers, strict=True)),
            f"On-call acknowledges and opens the runbook for `{alerts[0].name}`",
            f"`{alerts[0].component}` restarted in namespace `{alerts[0].namespace}`; no improvement",
            f"Cause found: {r.choice(CAUSES)}",
            "Fix deployed through the usual pipeline",
            f"`{alerts[0].metric}` back to normal; incident resolved",
        ]
        for event in events:
            minute += r.randint(2, 25)
            rows.append((f"{minute // 60:02d}:{minute % 60:02d}", event))
        return rows

    def follow_ups(self, alerts: list[Alert], checklist: bool) -> list[str]:
        a = alerts[0]
        picked = self.rng.sample(ACTIONS, k=self.rng.randint(3, 6))
        lines = []
        for action in picked:
            text = action.format(c=a.component, m=a.metric, h=self.host(), n=a.namespace, a=a.name)
            done = self.rng.random() < 0.4
            lines.append(
                f"- [{'x' if done else ' '}] {text}" if checklist else f"- {'**Done:** ' if done else ''}{text}"
            )
        return lines

    def lessons(self, alerts: list[Alert]) -> list[str]:
        a = alerts[0]
        picked = self.rng.sample(LESSONS, k=3)
        return [f"{k}. {lesson.format(a=a.name, c=a.component)}" for k, lesson in enumerate(picked, start=1)]

    def postmortem_front_matter(self, alerts: list[Alert], numbers: list[int], when: date) -> str:
        a = alerts[0]
        rows = self.timeline_rows(alerts, numbers)
        return "\n".join(
            [
                "---",
                "kind: postmortem",
                f"date: {when}",
                f"severity: {self.severity()}",
                f"duration: {self.rng.randint(12, 300)} minutes",
                f"affected: {a.system} {a.subject.lower()} in {a.namespace}",
                "status: Resolved",
                f"tags: [{a.component}, {a.system.lower()}]",
                "---",
                "",
                f"# {a.system} {a.subject.lower()} {CONDITION_WORDS[a.condition]} after {self.rng.choice(CAUSES)}",
                "",
                "## Summary",
                "",
                self.summary(alerts, numbers, when),
                "",
                "## Impact",
                "",
                *self.bullets(a, 3),
                "",
                "## Timeline",
                "",
                "| Time (UTC) | Event |",
                "|------------|-------|",
                *(f"| {t} | {e} |" for t, e in rows),
                "",
                "## Root cause",
                "",
                self.paragraph(a, 5),
                "",
                "## Follow-ups",
                "",
                *self.follow_ups(alerts, checklist=False),
                "",
                "## Lessons",
                "",
                *self.lessons(alerts),
                "",
            ]
        )

    def postmortem_table(self, alerts: list[Alert], numbers: list[int], when: date) -> str:
        a = alerts[0]
        rows = self.timeline_rows(alerts, numbers)
        return "\n".join(
            [
                f"# Post-Mortem: {a.component} {CONDITION_WORDS[a.condition]} in {a.namespace}",
                "",
                "| Field | Value |",
                "|-------|-------|",
                f"| **Date** | {when} |",
                f"| **Duration** | {self.rng.randint(1, 9)}h {self.rng.randint(0, 59)}m |",
                f"| **Severity** | {self.severity()} |",
                f"| **Affected** | `{a.component}` in namespace `{a.namespace}` |",
                "| **Status** | Fixed |",
                "",
                "## Summary",
                "",
                self.summary(alerts, numbers, when),
                "",
                "## Timeline",
                "",
                "| Time (UTC) | Event |",
                "|------------|-------|",
                *(f"| {t} | {e} |" for t, e in rows),
                "",
                "## Contributing Factors",
                "",
                *self.bullets(a, 3),
                "",
                "## Action Items",
                "",
                *self.follow_ups(alerts, checklist=True),
                "",
                "## Lessons Learned",
                "",
                *self.lessons(alerts),
                "",
            ]
        )

    def postmortem_dated_title(self, alerts: list[Alert], numbers: list[int], when: date) -> str:
        a = alerts[0]
        rows = self.timeline_rows(alerts, numbers)
        timeline = []
        for t, e in rows:
            timeline += [f"### {t} UTC", "", e + ". " + self.paragraph(a, 1), ""]
        return "\n".join(
            [
                f"# {when}, {a.system} {a.subject.lower()} {CONDITION_WORDS[a.condition]}",
                "",
                "## Summary",
                "",
                self.summary(alerts, numbers, when),
                "",
                "## Timeline",
                "",
                *timeline,
                "## Action items",
                "",
                "### Process",
                "",
                *self.follow_ups(alerts, checklist=False)[:2],
                "",
                "### Technical",
                "",
                *self.follow_ups(alerts, checklist=False)[:3],
                "",
                "## Lessons learnt",
                "",
                *self.lessons(alerts),
                "",
            ]
        )

    # --- Alertmanager -----------------------------------------------------------------------------------------
    def group(self, number: int, size: int, *, first: datetime, firing: float = 0.3) -> dict:
        """One webhook body of `size` alerts, each a new incident (fingerprint and start time of its own)."""
        items = []
        for k in range(size):
            if self.rng.random() < 0.02:
                alert = self.rng.choice(self.unwritten)
                self.fired_unwritten.add(alert.name)
            else:
                alert = self.alerts[self.rng.randrange(self.distinct_main)]
            starts = first + timedelta(seconds=number * size * 37 + k * 37, microseconds=self.rng.randrange(10**6))
            resolved = self.rng.random() >= firing
            ends = starts + timedelta(minutes=self.rng.randint(3, 400))
            pod = f"{alert.component}-{self.rng.randint(0, 9)}"
            items.append(
                {
                    "status": "resolved" if resolved else "firing",
                    "labels": {
                        "alertname": alert.name,
                        "namespace": alert.namespace,
                        "container": alert.component,
                        "pod": pod,
                        "instance": self.host() + ":9100",
                        "severity": self.rng.choice(["warning", "critical"]),
                    },
                    "annotations": {
                        "summary": f"{alert.words} on {pod}",
                        "description": f"{alert.metric} for {alert.namespace}/{pod} crossed its threshold.",
                        "runbook_url": f"https://kb.example.org/alerts/{alert.name}/",
                    },
                    "startsAt": _am_time(starts),
                    "endsAt": _am_time(ends) if resolved else "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=up",
                    "fingerprint": f"{self.rng.getrandbits(64):016x}",
                }
            )
        return {
            "receiver": "kb",
            "status": "firing" if any(i["status"] == "firing" for i in items) else "resolved",
            "alerts": items,
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.example.org:9093",
            "version": "4",
            "groupKey": f'{{}}:{{bench="{number}"}}',
            "truncatedAlerts": 0,
        }

    # --- writing ----------------------------------------------------------------------------------------------
    def write(self, out: Path) -> dict:
        out.mkdir(parents=True, exist_ok=True)
        main = {"size": 0, "incidents": 0}
        extra = {"size": 0, "incidents": 0}
        documents = [(n >= self.n_runbooks, self.runbook, n) for n in range(self.n_runbooks + self.n_extra_runbooks)]
        documents += [
            (n >= self.n_postmortems, self.postmortem, n) for n in range(self.n_postmortems + self.n_extra_postmortems)
        ]
        for is_extra, make, n in documents:
            issued = self.issued
            relative, text = make(n)
            part = extra if is_extra else main
            path = out / "extra" / relative if is_extra else out / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            data = text.encode("utf-8")
            path.write_bytes(data)
            part["size"] += len(data)
            part["incidents"] += self.issued - issued
        groups = out / "alertmanager"
        groups.mkdir(exist_ok=True)
        first = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
        written = 0
        number = 0
        while written < self.n_incidents:
            size_now = min(self.group_size, self.n_incidents - written)
            # What still fires is recent: the last group only; every earlier alert has been resolved.
            last = written + size_now >= self.n_incidents
            body = json.dumps(self.group(number, size_now, first=first, firing=0.3 if last else 0.0), indent=1) + "\n"
            (groups / f"group-{number:05d}.json").write_text(body, encoding="utf-8")
            written += size_now
            number += 1
        manifest = {
            "seed": self.seed,
            "runbooks": self.n_runbooks,
            "postmortems": self.n_postmortems,
            "alerts_with_runbooks": self.distinct_main,
            "alerts_firing_without_runbook": len(self.fired_unwritten),
            "incidents_in_documents": main["incidents"],
            "incidents": self.n_incidents,
            "groups": number,
            "documents_bytes": main["size"],
            "document_dirs": ["runbooks", "postmortems"],
            "extra": {
                "runbooks": self.n_extra_runbooks,
                "postmortems": self.n_extra_postmortems,
                "alerts_with_runbooks": len(self.alerts) - self.distinct_main,
                "incidents_in_documents": extra["incidents"],
                "documents_bytes": extra["size"],
                "document_dirs": ["extra/runbooks", "extra/postmortems"],
            },
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        return manifest


def flatten(text: str) -> str:
    """The document as pasted through a chat tool that lost its newlines."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip()) + "\n"


def _am_time(moment: datetime) -> str:
    """Alertmanager's RFC 3339 with nanoseconds."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runbooks", type=int, default=250)
    parser.add_argument("--postmortems", type=int, default=50)
    parser.add_argument("--incidents", type=int, default=2000, help="alerts in all the Alertmanager groups")
    parser.add_argument("--group-size", type=int, default=500, help="alerts per Alertmanager group")
    parser.add_argument(
        "--extra-runbooks", type=int, default=0, help="runbooks more, under OUT/extra/ (to import into a full database)"
    )
    parser.add_argument("--extra-postmortems", type=int, default=0, help="post-mortems more, under OUT/extra/")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    counts = (args.postmortems, args.incidents, args.extra_runbooks, args.extra_postmortems)
    if args.runbooks < 1 or args.group_size < 1 or min(counts) < 0:
        parser.error("--runbooks must be at least 1, --group-size at least 1, the other counts not negative")
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"--out {args.out} is not empty: generate into a new directory")
    generator = Generator(
        seed=args.seed,
        runbooks=args.runbooks,
        postmortems=args.postmortems,
        incidents=args.incidents,
        group_size=args.group_size,
        extra_runbooks=args.extra_runbooks,
        extra_postmortems=args.extra_postmortems,
    )
    manifest = generator.write(args.out)
    print(json.dumps(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
