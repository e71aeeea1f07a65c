"""The grammar of names in incident documents: what each kind of entity looks like, and which
neighbours vouch for a name. Pure: regular expressions and predicates over strings, no passages,
no documents, no database.

The kinds (`KINDS`, most telling first); the shapes no ordinary word has (IPv4 addresses, paths and
file names, Prometheus metrics, alert-style CamelCase; the words that only look like them are
kb.entities.lookalikes); the context patterns (a noun or a flag
before or after a name, kubectl, systemctl and argocd commands, PromQL selectors, "X fires"); the
references to a post-mortem by its day, with or without the year. Names already known are found by
kb.entities.names.

kb.entities.evidence applies these to passages (kb.entities.narrowing searching each only where it
can match); kb.entities.extraction decides what they add up to.
"""

from __future__ import annotations

import re
from datetime import date

from kb.entities.lookalikes import KIND_ENDING, is_vocabulary_word
from kb.markdown import dates
from kb.markdown.identifiers import identifier_parts
from kb.markdown.syntax import ALERT_NAME, is_alert_like

ALERT, METRIC, COMPONENT, NAMESPACE, HOST, FILE, INCIDENT, POSTMORTEM = (
    "alert",
    "metric",
    "component",
    "namespace",
    "host",
    "file",
    "incident",
    "postmortem",
)
# Most telling first: when one document's evidence disagrees, the earlier kind wins a tie.
KINDS = (ALERT, METRIC, INCIDENT, POSTMORTEM, FILE, HOST, NAMESPACE, COMPONENT)


def postmortem_reference(day: date) -> str:
    """The entity name of a reference to the post-mortem of a day ("the 2026-05-16 PM")."""
    return f"post-mortem {day.isoformat()}"


def reference_date(name: str) -> date | None:
    """The day a post-mortem reference names, or None for any other name."""
    match = re.fullmatch(r"post-mortem (\d{4}-\d{2}-\d{2})", name)
    try:
        return date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


# --- shapes -----------------------------------------------------------------------------

QUOTE = r"[\"'‘’“”]?"
K8S_NAME = r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?"
TOKEN = r"[A-Za-z0-9][\w.-]*[A-Za-z0-9]|[A-Za-z0-9]"
VERSION = re.compile(r"^v?\d+(\.\d+)+([.-]\w+)?$")
OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"(?<![\w.]){OCTET}(?:\.{OCTET}){{3}}(?![\w]|\.\d|/\d)")
NOT_HOSTS = re.compile(r"^(0\.0\.0\.0|255\.255\.255\.255|127\.\d+\.\d+\.\d+|(?:x+\.){3}x+)$", re.I)

EXTENSIONS = (
    "tf|tfvars|hcl|ya?ml|json|jsonnet|libsonnet|md|txt|log|sh|bash|py|go|rs|rb|php|java|conf|cfg|ini|"
    "toml|env|service|timer|socket|sql|xml|csv|pem|crt|j2|tpl|lock|nix|properties|rules|gz|tgz|zip|tar"
)
PATH_CHAR = r"[\w.@+-]"
ABSOLUTE_PATH = re.compile(rf"(?<![\w.~:/@$-])(/{PATH_CHAR}+(?:/{PATH_CHAR}+)+/?)")
RELATIVE_PATH = re.compile(rf"(?<![\w.~:/@$-])((?:\.{{1,2}}/|~/)?{PATH_CHAR}+(?:/{PATH_CHAR}+)+/?)")
BARE_FILE = re.compile(rf"(?<![\w./@$-])([\w@+-][\w.@+-]*\.(?:{EXTENSIONS.replace('|go|', '|')}))(?![\w/-])", re.I)
KNOWN_EXTENSION = re.compile(rf"\.(?:{EXTENSIONS}|js|ts)$", re.I)
DOMAIN = re.compile(r"^[\w-]+(\.[\w-]+)*\.(io|com|org|net|dev|local|internal|cloud|sh|co|de|uk|eu)$", re.I)

METRIC_NAME = r"[a-z][a-z0-9_:]*[a-z0-9](?:_\*)?"
# With an underscore: a token without one is no metric by its shape, and a passage with an underscore holds
# many such words (the lookahead finds the same tokens with one as before: no token begins inside another).
METRIC_TOKEN = re.compile(rf"(?<![\w:.$/@-])(?=[a-z0-9:]*_)({METRIC_NAME})(?![\w:/-])")
METRIC_SUFFIX = re.compile(
    r"_(total|bytes|seconds|bucket|info|ratio|celsius|percent|milliseconds|created|count|sum)(_\*)?$"
)
STRONG_SUFFIX = re.compile(r"_(total|bytes|seconds|bucket|info)$")
EXPORTER_PREFIX = re.compile(
    r"^(kube|kubelet|node|container|apiserver|etcd|process|go|prometheus|alertmanager|coredns|scheduler|"
    r"workqueue|rest_client|storage_operation|volume_manager|machine|cadvisor|nginx|traefik|probe|"
    r"grafana|loki|thanos|up|http|grpc)_"
)
SELECTOR_AFTER = re.compile(r"\s*(?:\{\s*(?:[A-Za-z_]\w*\s*(?:=~|!~|!=|=)|\})|\[\d+[smhdwy])")
PROMQL_FUNCTION_BEFORE = re.compile(
    r"\b(?:rate|irate|increase|delta|idelta|deriv|predict_linear|sum|avg|min|max|count|stddev|absent|changes|"
    r"resets|\w+_over_time|abs|ceil|floor|round|sort|sort_desc|timestamp)\s*(?:(?:by|without)\s*\([^)]*\)\s*)?\(\s*$"
)
COMPARISON_AFTER = re.compile(r"\s*(?:==|!=|>=|<=|>|<)\s*-?\d")

CAMEL_TOKEN = re.compile(r"(?<![\w.$/@-])([A-Za-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*)(?![\w/-])")


def looks_like_alert(name: str) -> bool:
    """An alert-style name by shape alone: CamelCase of three or more parts, no Kubernetes word."""
    return (
        bool(ALERT_NAME.match(name))
        and name[0].isupper()
        and is_alert_like(name)
        and sum(1 for part in identifier_parts(name) if len(part) >= 2 and part.isalpha()) >= 3
        and not is_vocabulary_word(name)
        and not KIND_ENDING.search(name)
    )


def is_metric_shaped(name: str) -> bool:
    """A Prometheus metric by its name: exporter prefix or unit suffix, snake_case."""
    underscores = name.count("_")
    if underscores >= 2 and (METRIC_SUFFIX.search(name) or EXPORTER_PREFIX.match(name)):
        return True
    return underscores >= 1 and bool(STRONG_SUFFIX.search(name)) and not name.startswith("_")


def is_plain_word(name: str) -> bool:
    """A name an ordinary word could be ("velero", "Watchdog"): it counts only where evidence is."""
    return bool(re.fullmatch(r"[A-Za-z][a-z]*", name))


def file_name(candidate: str, *, in_span: bool, in_code: bool) -> str | None:
    path = candidate.rstrip(".,;:")
    if "<" in path or "$" in path or "*" in path.split("/")[0]:
        return None
    if not all(re.search(r"[A-Za-z]", part) for part in path.strip("/").split("/") if part not in (".", "..", "~")):
        return None
    if path.startswith("/"):
        if path.startswith(("/dev/", "/proc/", "/sys/")):
            return None
        segments = [part for part in path.split("/") if part]
        return path if len(segments) >= 2 or KNOWN_EXTENSION.search(path) else None
    first = path.split("/", 1)[0]
    if "/" in path and (DOMAIN.match(first) or ("." in first and not first.startswith("."))):
        return None
    if not re.search(r"[A-Za-z]", path.rsplit("/", 1)[-1] or path):
        return None
    if path.startswith(("./", "../", "~/")) or KNOWN_EXTENSION.search(path.rstrip("/")):
        return path
    if in_span and path.count("/") >= 1 and not VERSION.match(path.rsplit("/", 1)[-1]):
        parts = path.strip("/").split("/")
        if (
            all(re.fullmatch(r"[a-z][\w.-]*", p) for p in parts)
            and (len(parts) >= 3 or path.endswith("/"))  # "stop/killed", "read/write": two words, not a path
            and not re.fullmatch(r"v\d\w*", parts[-1])
        ):
            return path
    return None


COMPONENT_NOUNS = (
    r"pods?|containers?|deployments?|deploy|daemon ?sets?|statefulsets?|replicasets?|services?|svc|apps?|"
    r"applications?|jobs?|cron ?jobs?|sidecars?|operators?|controllers?|binar(?:y|ies)|processes"
)
# After a name, only the singular: "non-system namespaces" and "kubectl-heavy pods" describe, they do not name.
COMPONENT_NOUN = r"pod|container|deployment|deploy|daemon ?set|statefulset|replicaset|service|svc|app|application|job|cron ?job|sidecar|operator|controller|binary"
HOST_NOUNS_BEFORE = r"nodes?|hosts?|hostname|machines?|vms?|servers?"
HOST_NOUNS_AFTER = r"nodes?|hosts?|machines?|vms?"
X = rf"{QUOTE}({TOKEN}){QUOTE}"
# A name first (`X\s+namespace`): a token tried from inside a token finds no name that the token
# tried from its first character does not (the rest of it can follow), so only that one is tried.
X_FIRST = rf"{QUOTE}(?<![A-Za-z0-9])({TOKEN}){QUOTE}"
# (kind, pattern, strong): a strong neighbour (a flag, a label matcher) vouches for any name; a
# weak one (a noun) only for a code span, or a lower-case name with a hyphen or a digit.
CONTEXT_RULES: list[tuple[str, re.Pattern, bool]] = [
    (NAMESPACE, re.compile(rf"\bnamespaces?\s+(?:called\s+|named\s+)?{X}", re.I), False),
    (NAMESPACE, re.compile(rf"{X_FIRST}\s+namespace\b", re.I), False),
    (NAMESPACE, re.compile(rf"(?:^|\s)(?:-n|--namespace)(?:=|\s+){X}"), True),
    (NAMESPACE, re.compile(r"\b(?i:namespace)[ \t]*(?:=|!=|:)[ \t]*[\"']?(" + K8S_NAME + r")"), True),
    (HOST, re.compile(rf"\b(?:{HOST_NOUNS_BEFORE})\s+{X}", re.I), False),
    (HOST, re.compile(rf"{X_FIRST}\s+(?:{HOST_NOUNS_AFTER})\b", re.I), False),
    (
        HOST,
        re.compile(rf"\b(?:pods?|containers?|running|runs|ran|scheduled|landed|stuck)\s+on\s+(?:node\s+)?{X}", re.I),
        False,
    ),
    (HOST, re.compile(rf"\bssh(?:ed)?\s+(?:into\s+|to\s+)?{X}", re.I), False),
    (HOST, re.compile(r"\b(?:node|instance|hostname|host)[ \t]*(?:=|!=|:)[ \t]*[\"']?([a-z0-9][\w.-]*[a-z0-9])"), True),
    (COMPONENT, re.compile(rf"\b(?:{COMPONENT_NOUNS})\s+{X}", re.I), False),
    (COMPONENT, re.compile(rf"{X_FIRST}\s+(?:{COMPONENT_NOUN})\b", re.I), False),
    (
        COMPONENT,
        re.compile(
            r"\b(?:container|pod|deployment|daemonset|statefulset|app|job|service)[ \t]*(?:=|!=|:)[ \t]*[\"']?("
            + K8S_NAME
            + r")"
        ),
        True,
    ),
    (COMPONENT, re.compile(r"\bapp\.kubernetes\.io/(?:name|instance)\s*=\s*[\"']?(" + K8S_NAME + r")"), True),
]
KUBECTL_TYPES = {
    "pod": COMPONENT,
    "pods": COMPONENT,
    "po": COMPONENT,
    "deploy": COMPONENT,
    "deployment": COMPONENT,
    "deployments": COMPONENT,
    "ds": COMPONENT,
    "daemonset": COMPONENT,
    "daemonsets": COMPONENT,
    "sts": COMPONENT,
    "statefulset": COMPONENT,
    "statefulsets": COMPONENT,
    "svc": COMPONENT,
    "service": COMPONENT,
    "services": COMPONENT,
    "job": COMPONENT,
    "jobs": COMPONENT,
    "cronjob": COMPONENT,
    "cronjobs": COMPONENT,
    "cj": COMPONENT,
    "rs": COMPONENT,
    "replicaset": COMPONENT,
    "node": HOST,
    "nodes": HOST,
    "no": HOST,
    "ns": NAMESPACE,
    "namespace": NAMESPACE,
    "namespaces": NAMESPACE,
}
KUBECTL_TARGET = re.compile(
    r"\b(?:get|describe|delete|edit|patch|scale|label|annotate|logs|exec|top|rollout\s+(?:restart|status|undo|history))"
    r"[ \t]+(?:(?:-\S+|--\S+)[ \t]+)*("
    + "|".join(sorted(KUBECTL_TYPES, key=len, reverse=True))
    + r")(?:/|[ \t]+)("
    + K8S_NAME
    + r")(?![\w$<>{}*-])"
)
KUBECTL_SLASHED = re.compile(
    r"(?<![\w/.-])(" + "|".join(sorted(KUBECTL_TYPES, key=len, reverse=True)) + r")/(" + K8S_NAME + r")(?![\w$<>{}*/-])"
)
NODE_COMMAND = re.compile(r"\b(?:cordon|uncordon|drain)[ \t]+(?:(?:-\S+)[ \t]+)*(" + K8S_NAME + r")(?![\w$<>{}*-])")
SERVICE_COMMAND = re.compile(
    r"\b(?:systemctl\s+(?:restart|status|stop|start|reload)|journalctl\s+-u)\s+("
    + K8S_NAME
    + r")(?:\.service)?(?![\w$<>{}*-])"
)
KUBECTL_POD = re.compile(
    r"\bkubectl\b[^\n|;]*?\s(?:exec|logs|port-forward|attach|cp)\s+(?:(?:-\S+)\s+)*(" + K8S_NAME + r")(?![\w$<>{}*/:-])"
)
KUBECTL_CONTAINER = re.compile(r"\bkubectl\b[^\n|;]*?\s(?:-c|--container)(?:=|\s+)(" + K8S_NAME + r")(?![\w$<>{}*-])")
ARGOCD_APP = re.compile(r"\bargocd\s+app\s+(?:sync|get|diff|rollback|history)\s+(" + K8S_NAME + r")(?![\w$<>{}*-])")

ALERT_BEFORE = re.compile(
    r"\balert(?:s|name)?(?:\s*(?:=~?|:)\s*[\"']?|\s+(?:named\s+|called\s+|rule\s+)?)"
    + QUOTE
    + r"([A-Za-z_][A-Za-z0-9_:]*)",
    re.I,
)
# An alert's name, where a neighbour after it says it is one: not the end of a word of another script's letters
# ("ZürichBackupFailed" holds no alert "richBackupFailed").
NAME_BEFORE_NEIGHBOUR = r"(?<![^\W\d])([A-Za-z_][A-Za-z0-9_:]*)"
ALERT_AFTER = re.compile(
    NAME_BEFORE_NEIGHBOUR
    + QUOTE
    + r"\s+(?:alerts?|alerting rules?|(?:is |was |has |had )?(?:fires|fired|firing|triggered|went off))\b",
    re.I,
)
# Names first, each tried from its word's first letter only (see X_FIRST).
COORDINATED = re.compile(
    r"(?<![^\W\d_])([A-Za-z][A-Za-z0-9_:]*)"
    + QUOTE
    + r"\s*(?:\+|,|&|/|\band\b|\bor\b)\s*"
    + QUOTE
    + r"([A-Za-z][A-Za-z0-9_:]*)"
)

METRIC_CONTEXT = re.compile(
    rf"\b(?:metrics?|gauges?|counters?|histograms?|series)\s+{QUOTE}({METRIC_NAME}){QUOTE}|{QUOTE}({METRIC_NAME}){QUOTE}\s+(?:metrics?|gauges?|counters?|histograms?|series)\b",
    re.I,
)

PM_WORD = r"(?:PM|PIR|(?i:post[- ]?mortem|postmortem|retro(?:spective)?|incident review))"
# A day without its year ("May 16", "16th of May"): the year is the referring post-mortem's.
MONTH = "(?:" + "|".join(sorted(dates.MONTHS, key=len, reverse=True)) + r")\.?"
DAY_TEXT = rf"(?i:\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!,?\s+\d{{4}})(?!:)|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}\b(?!,?\s+\d{{4}}))"
WHEN = rf"(?P<date>{dates.DATE_TEXT})|(?P<day>{DAY_TEXT})"
WHEN_AFTER = WHEN.replace("?P<date>", "?P<date2>").replace("?P<day>", "?P<day2>")
# "the 2026-05-16 PM", "the May 16th incident", "post-mortem of May 16", "PIR from 16 May 2026".
PM_REFERENCE = re.compile(
    rf"(?:(?<=\bthe\s)(?:{WHEN})(?:'s)?\s+(?:{PM_WORD}|(?i:incident|outage))\b|(?:{dates.DATE_TEXT})(?:'s)?\s+{PM_WORD}\b)"
    rf"|\b{PM_WORD}\s+(?:(?:of|from|for|on|dated)\s+)?(?:the\s+)?(?:{WHEN_AFTER})"
)


def referenced_day(match: re.Match, own_date: date | None) -> date | None:
    """The day a post-mortem reference names; a day without a year is the latest one on or before `own_date`."""
    full = match.group("date") or match.group("date2")
    if full:
        return dates.parse(full)
    if not own_date:
        return dates.parse(match.group())
    day = match.group("day") or match.group("day2")
    if not day:
        return dates.parse(match.group())
    for year in (own_date.year, own_date.year - 1):
        found = dates.parse(f"{day} {year}".replace(" of ", " "))
        if found and found <= own_date:
            return found
    return None


# Hyphenated subcommands of kubectl and friends: commands, not names.
COMMAND_WORDS = frozenset(
    "port-forward cluster-info api-resources api-versions set-context use-context current-context get-contexts "
    "set-image create-token auth-can-i kubectl helm argocd systemctl journalctl docker crictl curl ssh gcloud".split()
)
LIST_NEXT = re.compile(rf"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+){X}")
