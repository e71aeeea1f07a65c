"""Runbook coverage of alerting rules: which alerts have a runbook here, where their runbook_url points,
and which runbooks are for alerts no rule defines. Shared by `check_rules` and the /coverage/ page."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from kb.alerting.rules import RuleAlert, RuleFileError, expand_paths, read_rule_file, runbook_url_kind
from kb.models import Runbook


@dataclass
class AlertCoverage:
    rule: RuleAlert
    runbooks: list[Runbook]
    runbook_url_kind: str  # missing, here or elsewhere

    @property
    def has_runbook(self) -> bool:
        return bool(self.runbooks)


@dataclass
class Coverage:
    files: list[str]
    alerts: list[AlertCoverage]  # one per rule, in file order
    runbooks_without_rules: list[Runbook]
    errors: list[str] = field(default_factory=list)  # files that could not be read

    @property
    def alert_names(self) -> list[str]:
        return list(dict.fromkeys(a.rule.name for a in self.alerts))

    @property
    def names_without_runbook(self) -> list[str]:
        return list(dict.fromkeys(a.rule.name for a in self.alerts if not a.has_runbook))

    def runbook_url_counts(self) -> dict[str, int]:
        counts = {"missing": 0, "here": 0, "elsewhere": 0}
        for alert in self.alerts:
            counts[alert.runbook_url_kind] += 1
        return counts


def read_rules(*, paths: list[str]) -> tuple[list[str], list[RuleAlert], list[str]]:
    """The files (patterns expanded), their alerting rules and the errors of the files that failed."""
    files = expand_paths(paths)
    rules: list[RuleAlert] = []
    errors: list[str] = []
    for path in files:
        try:
            rules.extend(_read_unless_unchanged(path))
        except RuleFileError as exc:
            errors.append(str(exc))
    return files, rules, errors


def _read_unless_unchanged(path: str) -> list[RuleAlert]:
    """A file's rules, read again only when its size or modification time changed (the page reads them often)."""
    try:
        stat = os.stat(path)
    except OSError:
        return read_rule_file(path)  # fails with the file's name and the reason
    return _read_version(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _read_version(path: str, mtime_ns: int, size: int) -> list[RuleAlert]:
    return read_rule_file(path)


def live_runbooks_by_alert() -> dict[str, list[Runbook]]:
    """Every live runbook that names an alert, by lower-cased alert name: one query."""
    by_alert: dict[str, list[Runbook]] = {}
    for runbook in (
        Runbook.objects.filter(archived=False, alert__isnull=False).select_related("alert").order_by("title")
    ):
        by_alert.setdefault(runbook.alert.name.lower(), []).append(runbook)
    return by_alert


def rules_coverage(*, files: list[str], rules: list[RuleAlert], base_url: str, errors: list[str] = ()) -> Coverage:
    """Coverage of the given rules by the runbooks stored here: one query."""
    by_alert = live_runbooks_by_alert()
    names = {rule.name.lower() for rule in rules}
    return Coverage(
        files=files,
        alerts=[
            AlertCoverage(
                rule, by_alert.get(rule.name.lower(), []), runbook_url_kind(rule.runbook_url, base_url=base_url)
            )
            for rule in rules
        ],
        runbooks_without_rules=sorted(
            (runbook for name, runbooks in by_alert.items() if name not in names for runbook in runbooks),
            key=lambda r: (r.alert.name.lower(), r.title),
        ),
        errors=list(errors),
    )


def scope_labels_by_alert() -> dict[str, set[str]]:
    """The label keys the live runbooks of each alert are scoped by, by lower-cased alert name: one query."""
    return {
        name: {key for runbook in runbooks for key in runbook.labels}
        for name, runbooks in live_runbooks_by_alert().items()
    }
