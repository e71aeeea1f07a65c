"""Which alerts of Prometheus rule files have a runbook here: for the CI of a rules repository."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from kb.alerting.coverage import Coverage, read_rules, rules_coverage


class Command(BaseCommand):
    help = (
        "Reports, for every alerting rule in the files (Prometheus rule files or PrometheusRule manifests), "
        "whether a runbook for it is in the knowledge base and where its runbook_url annotation points; "
        "lists runbooks whose alert is in no file. Exit status 1 when an alert has no runbook, 2 when a file "
        "cannot be read."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, files, format, **options):
        files, rules, errors = read_rules(paths=files)
        if errors:
            raise CommandError("\n".join(errors), returncode=2)
        coverage = rules_coverage(files=files, rules=rules, base_url=settings.KB_BASE_URL)
        if format == "json":
            self.stdout.write(json.dumps(as_json(coverage), indent=2))
        else:
            self.write_text(coverage)
        missing = coverage.names_without_runbook
        if missing:
            raise CommandError(
                f"{len(missing)} of {len(coverage.alert_names)} alerts have no runbook in the knowledge base: "
                + ", ".join(missing),
                returncode=1,
            )

    def write_text(self, coverage: Coverage) -> None:
        width = max((len(a.rule.name) for a in coverage.alerts), default=0)
        current = None
        for alert in coverage.alerts:
            if alert.rule.path != current:
                current = alert.rule.path
                self.stdout.write(current)
            runbook = ", ".join(r.get_absolute_url() for r in alert.runbooks) if alert.runbooks else "NO RUNBOOK"
            url = alert.runbook_url_kind + (
                f" {alert.rule.runbook_url}" if alert.runbook_url_kind == "elsewhere" else ""
            )
            self.stdout.write(f"  {alert.rule.line:>5}  {alert.rule.name:<{width}}  {runbook}  runbook_url: {url}")
        if coverage.runbooks_without_rules:
            self.stdout.write("Runbooks whose alert is in no rule file:")
            for runbook in coverage.runbooks_without_rules:
                self.stdout.write(f"  {runbook.alert.name:<{width}}  {runbook.get_absolute_url()}  {runbook.title}")
        counts = coverage.runbook_url_counts()
        names = coverage.alert_names
        self.stdout.write(
            f"{len(coverage.alerts)} rules, {len(names)} alerts in {len(coverage.files)} file{pluralize(len(coverage.files))}: "
            f"{len(names) - len(coverage.names_without_runbook)} with a runbook, "
            f"{len(coverage.names_without_runbook)} without; runbook_url missing {counts['missing']}, "
            f"here {counts['here']}, elsewhere {counts['elsewhere']}; "
            f"{len(coverage.runbooks_without_rules)} runbooks for alerts in no rule file"
        )


def as_json(coverage: Coverage) -> dict:
    base = settings.KB_BASE_URL

    def runbook(r) -> dict:
        return {"slug": r.slug, "title": r.title, "url": base + r.get_absolute_url(), "alert": r.alert.name}

    return {
        "files": coverage.files,
        "alerts": [
            {
                "alert": a.rule.name,
                "file": a.rule.path,
                "line": a.rule.line,
                "group": a.rule.group,
                "has_runbook": a.has_runbook,
                "runbooks": [runbook(r) for r in a.runbooks],
                "runbook_url": a.rule.runbook_url,
                "runbook_url_points": a.runbook_url_kind,
            }
            for a in coverage.alerts
        ],
        "without_runbook": coverage.names_without_runbook,
        "runbooks_without_rules": [runbook(r) for r in coverage.runbooks_without_rules],
        "summary": {
            "rules": len(coverage.alerts),
            "alerts": len(coverage.alert_names),
            "without_runbook": len(coverage.names_without_runbook),
            "runbook_url": coverage.runbook_url_counts(),
        },
    }
