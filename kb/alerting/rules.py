"""Prometheus alerting rules: read from rule files and PrometheusRule manifests, and annotated with runbook URLs.

Pure: text in, dataclasses or text out, no database. One YAML library (ruamel.yaml, round-trip) both
reads, with the line of every rule, and writes, keeping comments, quoting and layout of what it does not change.
"""

from __future__ import annotations

import glob
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError

KB_ALERT_PATH = "/alerts/{{ $labels.alertname }}/"
# (mapping indent, sequence indent, sequence dash offset): the layouts people write, tried in turn on writing.
LAYOUTS = [(mapping, offset + dash, offset) for offset in (0, 2, 4) for dash in (2, 4) for mapping in (dash, 6 - dash)]


class RuleFileError(ValueError):
    """A rule file that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class RuleAlert:
    name: str
    path: str
    line: int
    group: str
    labels: dict[str, str]
    annotations: dict[str, str]

    @property
    def runbook_url(self) -> str:
        return self.annotations.get("runbook_url", "")

    @property
    def file_name(self) -> str:
        return Path(self.path).name


def expand_paths(patterns: Iterable[str]) -> list[str]:
    """File names and glob patterns to files, in order; a pattern matching nothing stays, to fail by name."""
    found: list[str] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        found.extend(matches or [pattern])
    return list(dict.fromkeys(found))


def read_rule_file(path: str | Path) -> list[RuleAlert]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RuleFileError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise RuleFileError(f"{path}: {exc.strerror or exc}") from exc
    return read_rule_text(text, path=str(path))


def read_rule_text(text: str, *, path: str) -> list[RuleAlert]:
    """Every alerting rule of a file, in order; recording rules and other Kubernetes objects are left out."""
    alerts: list[RuleAlert] = []
    found_groups = False
    for document in _documents(text, path):
        groups = _groups_of(document, path)
        if groups is None:
            continue
        found_groups = True
        for group in groups:
            alerts.extend(_alerts_of_group(group, path))
    if not found_groups:
        raise RuleFileError(
            f"{path}: no rule groups: expected `groups:` (a Prometheus rule file) or a PrometheusRule with `spec.groups`"
        )
    return alerts


def _documents(text: str, path: str) -> list:
    try:
        return [document for document in _yaml().load_all(text) if document is not None]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else path
        raise RuleFileError(f"{where}: not valid YAML: {exc.problem or exc.context}") from exc
    except YAMLError as exc:
        raise RuleFileError(f"{path}: not valid YAML: {exc}") from exc


def _groups_of(document, path: str) -> list | None:
    """The rule groups of one YAML document; None for a document that is another kind of object."""
    if not isinstance(document, dict):
        what = "list" if isinstance(document, list) else "single value"
        raise RuleFileError(f"{path}:{_line(document)}: a {what} where a rule file or a manifest was expected")
    if "groups" in document and "kind" not in document:
        groups, where = document["groups"], "groups"
    elif document.get("kind") == "PrometheusRule":
        spec = document.get("spec")
        if not isinstance(spec, dict) or "groups" not in spec:
            raise RuleFileError(f"{path}:{_line(document)}: a PrometheusRule without `spec.groups`")
        groups, where = spec["groups"], "spec.groups"
    else:
        return None
    if groups is None:
        return []
    if not isinstance(groups, list):
        raise RuleFileError(f"{path}:{_line(document, 'groups')}: `{where}` must be a list of groups")
    return groups


def _alerts_of_group(group, path: str) -> list[RuleAlert]:
    if not isinstance(group, dict):
        raise RuleFileError(f"{path}:{_line(group)}: a rule group must be a mapping with `name` and `rules`")
    name = str(group.get("name", ""))
    rules = group.get("rules") or []
    if not isinstance(rules, list):
        raise RuleFileError(f"{path}:{_line(group, 'rules')}: group {name!r}: `rules` must be a list")
    alerts = []
    for rule in rules:
        if not isinstance(rule, dict):
            raise RuleFileError(f"{path}:{_line(rule)}: group {name!r}: a rule must be a mapping")
        if "alert" not in rule:
            continue  # a recording rule
        alert = rule["alert"]
        if not isinstance(alert, str) or not alert.strip():
            raise RuleFileError(f"{path}:{_line(rule, 'alert')}: group {name!r}: `alert` must be a non-empty name")
        alerts.append(
            RuleAlert(
                name=alert.strip(),
                path=path,
                line=_line(rule, "alert"),
                group=name,
                labels=_string_map(rule.get("labels"), path, rule, "labels"),
                annotations=_string_map(rule.get("annotations"), path, rule, "annotations"),
            )
        )
    return alerts


def _string_map(value, path: str, rule: dict, key: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RuleFileError(f"{path}:{_line(rule, key)}: alert {rule['alert']!r}: `{key}` must be a mapping")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _line(node, key: str | None = None) -> int | str:
    """The 1-based line of a node (or of one of its keys) as read; '?' when the node carries none."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return "?"
    if key is not None and isinstance(node, dict) and key in node:
        return lc.key(key)[0] + 1
    return lc.line + 1


def runbook_url_kind(url: str, *, base_url: str) -> str:
    """Where a runbook_url annotation points: missing, here (this knowledge base) or elsewhere."""
    if not url.strip():
        return "missing"
    return "here" if url.strip().startswith(base_url.rstrip("/") + "/") else "elsewhere"


def runbook_url_for(*, base_url: str, scope_labels: Iterable[str] = ()) -> str:
    """The runbook_url template that leads to the alert's page here, carrying the labels runbooks are scoped by."""
    query = "&".join(f"{key}={{{{ $labels.{key} | urlquery }}}}" for key in sorted(scope_labels))
    return base_url.rstrip("/") + KB_ALERT_PATH + (f"?{query}" if query else "")


def annotate_rule_text(text: str, *, path: str, base_url: str, scope_labels: dict[str, set[str]]) -> tuple[str, int]:
    """The file with every alert's runbook_url pointing here; the number of alerts annotated.

    `scope_labels` maps a lower-cased alert name to the label keys its runbooks are scoped by.
    """
    read_rule_text(text, path=path)  # the same errors, with lines, as check_rules
    yaml = _yaml()
    documents = list(yaml.load_all(text))
    _keep_layout(yaml, text, documents)
    count = 0
    for document in documents:
        groups = _groups_of(document, path) if document is not None else None
        for group in groups or []:
            for rule in group.get("rules") or []:
                if "alert" not in rule:
                    continue
                if not isinstance(rule.get("annotations"), dict):
                    rule["annotations"] = CommentedMap()
                url = runbook_url_for(
                    base_url=base_url, scope_labels=scope_labels.get(rule["alert"].strip().lower(), ())
                )
                rule["annotations"]["runbook_url"] = url
                count += 1
    return _dump(yaml, documents, explicit_start=text.lstrip().startswith("---")), count


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: safe (plain data only), keeps comments, key order and quoting
    yaml.preserve_quotes = True
    yaml.width = 100_000  # never fold a long expression onto new lines
    return yaml


def _keep_layout(yaml: YAML, text: str, documents: list) -> None:
    """Chooses the indentation that writes the unchanged documents back as they were read, or the closest."""
    explicit_start = text.lstrip().startswith("---")
    original = text.splitlines()

    def lines_changed(layout: tuple[int, int, int]) -> int:
        mapping, sequence, offset = layout
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        written = _dump(yaml, documents, explicit_start=explicit_start).splitlines()
        return sum(a != b for a, b in zip(original, written)) + abs(len(original) - len(written))

    scored = []
    for layout in LAYOUTS:
        scored.append((lines_changed(layout), layout))
        if scored[-1][0] == 0:
            break
    _, (mapping, sequence, offset) = min(scored)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)


def _dump(yaml: YAML, documents: list, *, explicit_start: bool) -> str:
    yaml.explicit_start = explicit_start or len(documents) > 1
    out = io.StringIO()
    yaml.dump_all(documents, out)
    return out.getvalue()
