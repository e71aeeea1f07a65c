"""What a document mentions: alerts, metrics, components, namespaces, hosts, files, incidents and
other post-mortems, read from the outline of the one Python-Markdown pass. Pure: no database.

Precision first. A name becomes an entity on evidence only: a shape no ordinary word has (an
IPv4 address, a path, a Prometheus metric, an alert-style CamelCase name), a telling neighbour
("namespace `velero`", "the `kured-sentinel-gate` pod", "PVCStuckPending fires"), a command
(`kubectl -n velero get pods`), a PromQL selector; or because the knowledge base already knows
the name (`Vocabulary`: alerts, curated entities and their aliases). Table headers, field
names, section titles and ordinary words are never evidence. Once a document shows that a name
is an entity, every occurrence of it in that document counts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from kb.markdown import dates
from kb.markdown.identifiers import identifier_parts
from kb.markdown.parsing import ParsedDocument
from kb.markdown.rendering import Block
from kb.markdown.syntax import ALERT_NAME, incident_references, is_alert_like

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


@dataclass(frozen=True)
class Vocabulary:
    """Names the knowledge base already knows, lower-cased, each with its entity's name and kind."""

    known: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # Names and aliases of entities a curator ignored for good: never extracted again.
    ignored: frozenset[str] = frozenset()

    def resolve(self, name: str, kind: str) -> tuple[str, str] | None:
        key = name.lower()
        if key in self.ignored:
            return None
        return self.known.get(key, (name, kind))

    def with_alert(self, name: str) -> Vocabulary:
        """This vocabulary knowing one more alert name; a curated or ignored name of that spelling stays as it is."""
        key = name.lower()
        if key in self.known or key in self.ignored:
            return self
        return replace(self, known={**self.known, key: (name, ALERT)})


@dataclass
class Finding:
    """One entity in one section of a document."""

    name: str
    kind: str
    section: int  # index of the outline block; 0 is the text before the first heading
    heading: str
    anchor: str
    surface: str  # as first written in that section
    snippet: str  # the sentence of the first occurrence
    count: int


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


# --- where text is ----------------------------------------------------------------------


@dataclass
class Passage:
    section: int
    text: str
    spans: frozenset[str]  # the code spans of its section
    code: bool = False  # a code block: commands and configuration, not prose
    heading: bool = False
    field_name: bool = False  # the first cell of a key/value table row


def passages(blocks: list[Block]) -> Iterator[Passage]:
    for i, block in enumerate(blocks):
        spans = frozenset(s.strip() for s in block.code_spans)
        code = block.code_blocks
        flat = [" ".join(c.split()) for c in code]

        def prose(text: str) -> str:
            for c in flat:
                if c and c in text:
                    text = text.replace(c, " ")
            return text

        if block.heading:
            yield Passage(i, block.heading, spans, heading=True)
        for text in [*block.paragraphs, *block.other_text]:
            yield Passage(i, prose(text), spans)
        for lst in block.lists:
            for item in lst.items:
                yield Passage(i, prose(item.text), spans)
        for table in block.tables:
            key_value = len(table.headers) == 2
            for row in table.rows:
                for n, cell in enumerate(row):
                    if cell.strip():
                        yield Passage(i, cell, spans, field_name=key_value and n == 0)
        for text in code:
            yield Passage(i, text, spans, code=True)


# --- shapes -----------------------------------------------------------------------------

QUOTE = r"[\"'‘’“”]?"
K8S_NAME = r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?"
TOKEN = r"[A-Za-z0-9][\w.-]*[A-Za-z0-9]|[A-Za-z0-9]"
VERSION = re.compile(r"^v?\d+(\.\d+)+([.-]\w+)?$")
OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
IPV4 = re.compile(rf"(?<![\w.]){OCTET}(?:\.{OCTET}){{3}}(?![\w]|\.\d|/\d)")
NOT_HOSTS = re.compile(r"^(0\.0\.0\.0|255\.255\.255\.255|127\.\d+\.\d+\.\d+)$")

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
METRIC_TOKEN = re.compile(rf"(?<![\w:.$/@-])({METRIC_NAME})(?![\w:/-])")
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

CAMEL_TOKEN = re.compile(r"(?<![\w.$/-])([A-Za-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*)(?![\w/-])")

# CamelCase words that name Kubernetes kinds, states and reasons, or products: vocabulary, not alerts.
NOT_ALERTS = frozenset(
    w.lower()
    for w in """
    DaemonSet StatefulSet ReplicaSet ReplicationController CronJob ConfigMap PersistentVolume
    PersistentVolumeClaim StorageClass VolumeAttachment VolumeSnapshot CSIDriver CSINode IngressClass
    IngressRoute IngressRouteTCP IngressRouteUDP TraefikService ServersTransport NetworkPolicy ServiceAccount
    ClusterRole RoleBinding ClusterRoleBinding ResourceQuota LimitRange HorizontalPodAutoscaler
    VerticalPodAutoscaler PodDisruptionBudget PodSecurityPolicy PriorityClass RuntimeClass
    CustomResourceDefinition MutatingWebhookConfiguration ValidatingWebhookConfiguration APIService
    EndpointSlice ServiceMonitor PodMonitor PrometheusRule AlertmanagerConfig ThanosRuler ClusterPolicy
    KubeletConfiguration KubeProxyConfiguration ClusterConfiguration InitConfiguration
    CertificateSigningRequest ClusterIssuer HelmRelease HelmRepository HelmChart GitRepository
    OCIRepository Kustomization SealedSecret ExternalSecret SecretStore ClusterSecretStore ApplicationSet
    AppProject KubeControllerManager KubeScheduler KubeProxy KubeApiServer LoadBalancer ClusterIP NodePort
    ExternalName HostPath EmptyDir NoSchedule NoExecute PreferNoSchedule CrashLoopBackOff CrashLoop
    ImagePullBackOff ErrImagePull ErrImageNeverPull InvalidImageName CreateContainerConfigError
    CreateContainerError RunContainerError ContainerCreating ContainerStatusUnknown PodInitializing
    OOMKilled NotReady NodeNotReady NodeReady KubeletNotReady KubeletReady MemoryPressure DiskPressure
    PIDPressure NetworkUnavailable SchedulingDisabled FailedScheduling FailedMount FailedAttachVolume
    FailedCreatePodSandBox FailedKillPod FailedSync FailedCreate SuccessfulCreate ScalingReplicaSet BackOff
    Unschedulable DeadlineExceeded BackoffLimitExceeded ProgressDeadlineExceeded MinimumReplicasAvailable
    NewReplicaSetAvailable ReplicaSetUpdated ContainersReady PodScheduled WaitForFirstConsumer
    ReadWriteOnce ReadWriteMany ReadOnlyMany ReadWriteOncePod IfNotPresent RollingUpdate OnDelete
    TaintManagerEviction NodeHasDiskPressure NodeHasSufficientMemory NodeHasNoDiskPressure
    PostgreSQL MySQL MariaDB MongoDB DynamoDB CockroachDB ClickHouse InfluxDB VictoriaMetrics OpenSearch
    ElasticSearch RabbitMQ ActiveMQ CloudWatch CloudFront CloudFormation CloudTrail CloudFlare GitHub
    GitLab BitBucket GitOps DevOps ArgoCD FluxCD PagerDuty OpsGenie AlertManager PromQL LogQL PromLens
    OpenShift OpenStack OpenTelemetry OpenVPN WireGuard CoreDNS CoreOS KubeDNS NodeLocalDNS FluentD
    FluentBit JavaScript TypeScript PowerShell NodeJS GraphQL WebSocket YouTube LinkedIn MacOS HashiCorp
    TrueNAS UniFi HomeAssistant NextCloud DeadMansSnitch StatusPage SageMaker ParameterStore AutoScaling
    """.split()
)
# Nouns that, written after a CamelCase word, say it is a kind, a state or a product.
VOCABULARY_NOUN = re.compile(
    r"\s+(?:state|status|condition|phase|reason|mode|resources?|objects?|manifests?|kind|crds?|polic(?:y|ies)|"
    r"fields?|settings?|options?|flags?|parameters?|annotations?|labels?|integrations?|class|types?|errors?|"
    r"exceptions?|events?|api|structs?|methods?|functions?|modules?|packages?|plugins?|middlewares?)\b",
    re.I,
)

VOCABULARY_NOUN_BEFORE = re.compile(
    r"\b(?:arguments?|flags?|options?|parameters?|settings?|fields?|keys?|propert(?:y|ies)|variables?|attributes?|"
    r"annotations?|labels?|classe?s?|types?|functions?|methods?)\s+(?:\S+\s+){0,2}$",
    re.I,
)


def _singular(word: str) -> str:
    word = word.lower()
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ses", "xes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def is_vocabulary_word(name: str) -> bool:
    return name.lower() in NOT_ALERTS or _singular(name) in NOT_ALERTS


def looks_like_alert(name: str) -> bool:
    """An alert-style name by shape alone: CamelCase of three or more parts, no Kubernetes word."""
    return (
        bool(ALERT_NAME.match(name))
        and name[0].isupper()
        and is_alert_like(name)
        and sum(1 for part in identifier_parts(name) if len(part) >= 2 and part.isalpha()) >= 3
        and not is_vocabulary_word(name)
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


def _file_name(candidate: str, *, in_span: bool, in_code: bool) -> str | None:
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
            and len(parts) >= 2
            and not re.fullmatch(r"v\d\w*", parts[-1])
        ):
            return path
    return None


# --- evidence ----------------------------------------------------------------------------


@dataclass
class Hit:
    name: str
    kind: str
    start: int  # where in the passage the name (or the phrase, for references) is
    end: int
    surface: str


def _token_ok(token: str, passage: Passage, *, kind: str, strong: bool) -> bool:
    shape = r"[a-z0-9][\w.-]*[a-z0-9]|[a-z0-9]" if kind == HOST else K8S_NAME
    if VERSION.match(token) or not re.fullmatch(shape, token) or token.isdigit():
        return False
    if strong or (token in passage.spans and not passage.code):
        return True
    if kind == HOST and not re.search(r"[-.]|\d$", token):
        return False  # "a k8s node" is no host name; "k8s-master", "node3" are
    return bool(re.search(r"[-\d]", token)) and bool(re.search(r"[a-z]", token)) and not is_english_compound(token)


# Hyphenated words of ordinary English ("non-trivial", "clean-up", "crash-looping", "end-to-end").
COMPOUND_PARTS = frozenset(
    "up down over out in on off to by of the and or end non self re pre co multi cross well all no per sub "
    "semi auto anti under post full half long short high low one two three first last day daily crash loop loops".split()
)
COMPOUND_ENDINGS = re.compile(
    r"(ing|ed|ly|ful|less|able|proof|wise|like|based|free|safe|heavy|facing|only|level|term|wide)$"
)


def is_english_compound(token: str) -> bool:
    parts = token.split("-")
    if any(part in COMPOUND_PARTS for part in parts):
        return True
    return not re.search(r"\d", token) and bool(COMPOUND_ENDINGS.search(parts[-1]))


COMPONENT_NOUNS = (
    r"pods?|containers?|deployments?|deploy|daemon ?sets?|statefulsets?|replicasets?|services?|svc|apps?|"
    r"applications?|jobs?|cron ?jobs?|sidecars?|operators?|controllers?|binar(?:y|ies)|processes"
)
# After a name, only the singular: "non-system namespaces" and "kubectl-heavy pods" describe, they do not name.
COMPONENT_NOUN = r"pod|container|deployment|deploy|daemon ?set|statefulset|replicaset|service|svc|app|application|job|cron ?job|sidecar|operator|controller|binary"
HOST_NOUNS_BEFORE = r"nodes?|hosts?|hostname|machines?|vms?|servers?"
HOST_NOUNS_AFTER = r"nodes?|hosts?|machines?|vms?"
X = rf"{QUOTE}({TOKEN}){QUOTE}"
# (kind, pattern, strong): a strong neighbour (a flag, a label matcher) vouches for any name; a
# weak one (a noun) only for a code span, or a lower-case name with a hyphen or a digit.
CONTEXT_RULES: list[tuple[str, re.Pattern, bool]] = [
    (NAMESPACE, re.compile(rf"\bnamespaces?\s+(?:called\s+|named\s+)?{X}", re.I), False),
    (NAMESPACE, re.compile(rf"{X}\s+namespace\b", re.I), False),
    (NAMESPACE, re.compile(rf"(?:^|\s)(?:-n|--namespace)(?:=|\s+){X}"), True),
    (NAMESPACE, re.compile(r"\bnamespace[ \t]*(?:=|!=|:)[ \t]*[\"']?(" + K8S_NAME + r")"), True),
    (HOST, re.compile(rf"\b(?:{HOST_NOUNS_BEFORE})\s+{X}", re.I), False),
    (HOST, re.compile(rf"{X}\s+(?:{HOST_NOUNS_AFTER})\b", re.I), False),
    (
        HOST,
        re.compile(rf"\b(?:pods?|containers?|running|runs|ran|scheduled|landed|stuck)\s+on\s+(?:node\s+)?{X}", re.I),
        False,
    ),
    (HOST, re.compile(rf"\bssh(?:ed)?\s+(?:into\s+|to\s+)?{X}", re.I), False),
    (HOST, re.compile(r"\b(?:node|instance|hostname|host)[ \t]*(?:=|!=|:)[ \t]*[\"']?([a-z0-9][\w.-]*[a-z0-9])"), True),
    (COMPONENT, re.compile(rf"\b(?:{COMPONENT_NOUNS})\s+{X}", re.I), False),
    (COMPONENT, re.compile(rf"{X}\s+(?:{COMPONENT_NOUN})\b", re.I), False),
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
ALERT_AFTER = re.compile(
    r"([A-Za-z_][A-Za-z0-9_:]*)"
    + QUOTE
    + r"\s+(?:alerts?|alerting rules?|(?:is |was |has |had )?(?:fires|fired|firing|triggered|went off))\b",
    re.I,
)
COORDINATED = re.compile(
    r"([A-Za-z][A-Za-z0-9_:]*)" + QUOTE + r"\s*(?:\+|,|&|/|\band\b|\bor\b)\s*" + QUOTE + r"([A-Za-z][A-Za-z0-9_:]*)"
)

METRIC_CONTEXT = re.compile(
    rf"\b(?:metrics?|gauges?|counters?|histograms?|series)\s+{QUOTE}({METRIC_NAME}){QUOTE}|{QUOTE}({METRIC_NAME}){QUOTE}\s+(?:metrics?|gauges?|counters?|histograms?|series)\b",
    re.I,
)

PM_WORD = r"(?:PM|post[- ]?mortem|postmortem|PIR|retro(?:spective)?|incident review)"
PM_REFERENCE = re.compile(
    rf"\b({dates.DATE_TEXT})(?:'s)?\s+{PM_WORD}\b|\b{PM_WORD}\s+(?:(?:of|from|for|on|dated)\s+)?(?:the\s+)?({dates.DATE_TEXT})\b"
)


def _context_hits(passage: Passage) -> Iterator[Hit]:
    text = passage.text
    for kind, pattern, strong in CONTEXT_RULES:
        for match in pattern.finditer(text):
            token = match.group(1).rstrip(".")
            if text[match.start(1) + len(token) : match.start(1) + len(token) + 1] in ("*", "-", "<", "$", "{"):
                continue  # a glob or a placeholder: `velero-*`, `<velero-pod-name>`
            if text[match.start(1) - 1 : match.start(1)] == "-" or token in COMMAND_WORDS:
                continue  # a flag (`--all-namespaces`) or a subcommand (`port-forward`)
            if _token_ok(token, passage, kind=kind, strong=strong):
                yield Hit(token, kind, match.start(1), match.start(1) + len(token), token)
                yield from _listed_after(passage, kind, match.start(1) + len(token))
    for offset, code in _code_of(passage):
        for pattern in (KUBECTL_TARGET, KUBECTL_SLASHED):
            for match in pattern.finditer(code):
                name = match.group(2)
                if not VERSION.match(name):
                    yield Hit(name, KUBECTL_TYPES[match.group(1)], offset + match.start(2), offset + match.end(2), name)
        for pattern, kind in (
            (NODE_COMMAND, HOST),
            (SERVICE_COMMAND, COMPONENT),
            (ARGOCD_APP, COMPONENT),
            (KUBECTL_POD, COMPONENT),
            (KUBECTL_CONTAINER, COMPONENT),
        ):
            for match in pattern.finditer(code):
                yield Hit(match.group(1), kind, offset + match.start(1), offset + match.end(1), match.group(1))


# Hyphenated subcommands of kubectl and friends: commands, not names.
COMMAND_WORDS = frozenset(
    "port-forward cluster-info api-resources api-versions set-context use-context current-context get-contexts "
    "set-image create-token auth-can-i".split()
)
LIST_NEXT = re.compile(rf"(?:\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+){X}")


def _listed_after(passage: Passage, kind: str, end: int) -> Iterator[Hit]:
    """ "nodes k8s-worker-1, k8s-worker-2 and k8s-master": the names listed after the first one."""
    while match := LIST_NEXT.match(passage.text, end):
        token = match.group(1).rstrip(".")
        if not _token_ok(token, passage, kind=kind, strong=False):
            return
        yield Hit(token, kind, match.start(1), match.start(1) + len(token), token)
        end = match.start(1) + len(token)


def _code_of(passage: Passage) -> Iterator[tuple[int, str]]:
    """The code in a passage, with its offset: all of a code block, else each code span found in it."""
    if passage.code:
        yield 0, passage.text
        return
    for span in passage.spans:
        if len(span) > 3:
            start = passage.text.find(span)
            while start >= 0:
                yield start, span
                start = passage.text.find(span, start + len(span))


def _shape_hits(passage: Passage) -> Iterator[Hit]:
    text = passage.text
    for match in IPV4.finditer(text):
        if not NOT_HOSTS.match(match.group()):
            yield Hit(match.group(), HOST, match.start(), match.end(), match.group())
    in_span = lambda s: s in passage.spans  # noqa: E731
    taken: list[tuple[int, int]] = []
    for pattern in (ABSOLUTE_PATH, RELATIVE_PATH, BARE_FILE):
        for match in pattern.finditer(text):
            if any(a <= match.start(1) < b for a, b in taken):
                continue
            if (
                passage.code
                and pattern is not BARE_FILE
                and not KNOWN_EXTENSION.search(match.group(1))
                and pattern is RELATIVE_PATH
            ):
                continue
            name = _file_name(match.group(1), in_span=in_span(match.group(1).rstrip(".,;:")), in_code=passage.code)
            if name:
                taken.append((match.start(1), match.end(1)))
                yield Hit(name, FILE, match.start(1), match.start(1) + len(name), name)
    code_at = [(offset, offset + len(code)) for offset, code in _code_of(passage)]
    for match in METRIC_TOKEN.finditer(text):
        name = match.group(1)
        if "_" not in name or any(a <= match.start(1) < b for a, b in taken):
            continue
        after, before = text[match.end(1) : match.end(1) + 40], text[max(0, match.start(1) - 60) : match.start(1)]
        if after.lstrip().startswith("("):
            continue  # a function: `predict_linear(`, `pg_size_pretty(`
        in_code = any(a <= match.start(1) < b for a, b in code_at)
        if (
            is_metric_shaped(name)
            or (in_code and (SELECTOR_AFTER.match(after) or PROMQL_FUNCTION_BEFORE.search(before)))
            or (in_code and not passage.code and COMPARISON_AFTER.match(after))
        ):
            yield Hit(name, METRIC, match.start(1), match.end(1), name)
    for match in METRIC_CONTEXT.finditer(text):
        group = 1 if match.group(1) else 2
        name = match.group(group)
        if "_" in name:
            yield Hit(name, METRIC, match.start(group), match.end(group), name)


def _alert_hits(passage: Passage, known_alerts: set[str]) -> Iterator[Hit]:
    text = passage.text
    for pattern in (ALERT_BEFORE, ALERT_AFTER):
        for match in pattern.finditer(text):
            name = match.group(1)
            if pattern is ALERT_AFTER and re.match(r"\s+\w+\s+" + QUOTE + r"[A-Za-z]+[A-Z]", text[match.end() :]):
                continue  # "AlertManager fires `HomelabPodOOMKilled`": the one firing is the sender
            if _alert_candidate(name, passage) or name.lower() in known_alerts:
                yield Hit(name, ALERT, match.start(1), match.end(1), name)
    if not passage.code and not passage.field_name:
        for match in CAMEL_TOKEN.finditer(text):
            name = match.group(1)
            if (
                looks_like_alert(name)
                and not VOCABULARY_NOUN.match(text, match.end())
                and not VOCABULARY_NOUN_BEFORE.search(text, 0, match.start())
            ):
                yield Hit(name, ALERT, match.start(1), match.end(1), name)


def _alert_candidate(name: str, passage: Passage) -> bool:
    if not ALERT_NAME.match(name) or is_vocabulary_word(name) or len(name) < 4:
        return False
    return is_alert_like(name) or (name in passage.spans and any(c.isupper() for c in name))


def _coordinated_alerts(passage: Passage, alerts: set[str]) -> Iterator[Hit]:
    """ "drives PVCStuckPending + ExternalAccessDivergence": named beside an alert, an alert too."""
    for match in COORDINATED.finditer(passage.text):
        for this, other, group in ((match.group(1), match.group(2), 2), (match.group(2), match.group(1), 1)):
            if this.lower() in alerts and other.lower() not in alerts and _alert_candidate(other, passage):
                yield Hit(other, ALERT, match.start(group), match.end(group), other)


def _reference_hits(passage: Passage, own_date: date | None) -> Iterator[Hit]:
    if passage.code:
        return
    text = passage.text
    for match in PM_REFERENCE.finditer(text):
        day = dates.parse(match.group(1) or match.group(2))
        if day and day != own_date:
            yield Hit(postmortem_reference(day), POSTMORTEM, match.start(), match.end(), match.group())
    for match in incident_references(text):
        yield Hit(match.group(), INCIDENT, match.start(), match.end(), match.group())


# --- the whole document -------------------------------------------------------------------

MAX_NAME = 300  # the longest entity name the database stores
SENTENCE_END = re.compile(r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<=[.!?])\s+(?=\S)|\n")
SNIPPET_CHARS = 240


def snippet(text: str, start: int, end: int) -> str:
    """The sentence (or, in code, the line) around text[start:end], cut around it when long."""
    left = 0
    for match in SENTENCE_END.finditer(text):
        if match.end() > start:
            break
        left = match.end()
    following = SENTENCE_END.search(text, end)
    right = following.start() if following else len(text)
    if right - left > SNIPPET_CHARS:
        window_left = max(left, min(start - SNIPPET_CHARS // 3, right - SNIPPET_CHARS))
        window_right = min(right, window_left + SNIPPET_CHARS)
        prefix, suffix = ("…" if window_left > left else ""), ("…" if window_right < right else "")
        left, right = window_left, window_right
    else:
        prefix = suffix = ""
    return prefix + " ".join(text[left:right].split()) + suffix


def name_pattern(names: Iterable[str]) -> re.Pattern | None:
    """One case-insensitive pattern that finds any of the names as a whole name, longest first."""
    ordered = sorted({n for n in names if n}, key=len, reverse=True)
    if not ordered:
        return None
    alternation = "|".join(re.escape(n) for n in ordered)
    return re.compile(rf"(?<![\w\-.@/$])(?:{alternation})(?![\w\-/]|\.\w)", re.I)


def extract(
    blocks: list[Block],
    *,
    vocabulary: Vocabulary = Vocabulary(),
    subject: str | None = None,
    labels: Mapping[str, str] | None = None,
    own_date: date | None = None,
) -> list[Finding]:
    """Every entity the document mentions, once per section, with the sentence and the count.

    `subject` is the alert a runbook is for and `labels` its scope (both already read by
    kb.markdown.parsing); `own_date` is a post-mortem's own date, which is no reference to another one.
    """
    all_passages = list(passages(blocks))
    lowered = "\n".join(p.text for p in all_passages).lower()
    known_alerts = {k for k, (_, kind) in vocabulary.known.items() if kind == ALERT}

    votes: dict[str, Counter] = {}
    spelled: dict[str, str] = {}
    evidence: dict[tuple[int, int], Hit] = {}  # by (passage, start)
    references: list[tuple[int, Hit]] = []

    def vote(n: int, hit: Hit) -> None:
        key = hit.name.lower()
        votes.setdefault(key, Counter())[hit.kind] += 1
        spelled.setdefault(key, hit.name)
        evidence[(n, hit.start)] = hit

    for n, passage in enumerate(all_passages):
        for hit in _reference_hits(passage, own_date):
            references.append((n, hit))
        for hit in (*_shape_hits(passage), *_context_hits(passage), *_alert_hits(passage, known_alerts)):
            vote(n, hit)
    alerts = {k for k, c in votes.items() if c.most_common(1)[0][0] == ALERT} | known_alerts
    for n, passage in enumerate(all_passages):
        for hit in _coordinated_alerts(passage, alerts):
            vote(n, hit)

    local: dict[str, tuple[str, str]] = {}
    if subject:
        local[subject.lower()] = (subject, ALERT)
    for key, counter in votes.items():
        best = max(counter.items(), key=lambda kv: (kv[1], -KINDS.index(kv[0])))[0]
        local.setdefault(key, (spelled[key], best))
    for label, value in (labels or {}).items():
        kind = {"namespace": NAMESPACE, "node": HOST, "instance": HOST, "severity": None, "cluster": None}.get(
            label, COMPONENT
        )
        if kind and re.fullmatch(K8S_NAME, str(value)):
            local.setdefault(str(value).lower(), (str(value), kind))
    names: dict[str, tuple[str, str]] = {}
    for key, value in [*local.items(), *((k, v) for k, v in vocabulary.known.items() if k in lowered)]:
        if key in vocabulary.known:
            value = vocabulary.known[key]
        if key not in vocabulary.ignored and 2 <= len(key) <= MAX_NAME:
            names.setdefault(key, value)

    occurrences: dict[tuple[int, int], tuple[int, str, str]] = {}  # (passage, start): end, surface, key
    for (n, start), hit in evidence.items():
        if hit.name.lower() in names:
            occurrences[(n, start)] = (hit.end, hit.surface, hit.name.lower())
    pattern = name_pattern(names)
    for n, passage in enumerate(all_passages):
        for match in pattern.finditer(passage.text) if pattern else ():
            surface, key = match.group(), match.group().lower()
            if key not in names or (n, match.start()) in occurrences:
                continue
            if is_plain_word(surface) and surface not in passage.spans and not (key == (subject or "").lower()):
                continue
            occurrences[(n, match.start())] = (match.end(), surface, key)
    for n, hit in references:
        resolved = vocabulary.resolve(hit.name, hit.kind)
        if resolved:
            names.setdefault(hit.name.lower(), resolved)
            occurrences[(n, hit.start)] = (hit.end, hit.surface, hit.name.lower())

    findings: dict[tuple[str, int], Finding] = {}
    for (n, start), (end, surface, key) in sorted(occurrences.items()):
        passage = all_passages[n]
        name, kind = names[key]
        block = blocks[passage.section]
        finding = findings.get((name.lower(), passage.section))
        if finding is None:
            findings[(name.lower(), passage.section)] = Finding(
                name=name,
                kind=kind,
                section=passage.section,
                heading=block.heading,
                anchor=block.anchor,
                surface=surface,
                snippet=snippet(passage.text, start, end),
                count=1,
            )
        else:
            finding.count += 1
            if finding.snippet == block.heading and not passage.heading:
                # A heading is a poor sentence: the first one in the section's text says more.
                finding.surface, finding.snippet = surface, snippet(passage.text, start, end)
    return sorted(findings.values(), key=lambda f: (f.section, f.name.lower()))


def document_subject(parsed: ParsedDocument) -> str | None:
    """The alert a runbook is for; a post-mortem is for none."""
    return parsed.alert if parsed.kind == "runbook" else None


def extract_parsed(parsed: ParsedDocument, *, vocabulary: Vocabulary) -> list[Finding]:
    """`extract` over a document as kb.markdown.parsing read it: its outline, subject, label scope and own date."""
    return extract(
        parsed.outline,
        vocabulary=vocabulary,
        subject=document_subject(parsed),
        labels=parsed.labels,
        own_date=parsed.date,
    )
