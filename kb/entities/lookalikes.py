"""The words that only look like entity names: Kubernetes kinds, states and event reasons, products,
class and resource names, severity words, and hyphenated English ("third-party", "ten-hour"); and the
neighbouring words that say a CamelCase name is one of them ("the resource X", "X kind", "argument
names from X to Y"). Kept in one place so that a new one is added once. Pure: strings only.

kb.entities.grammar uses them to tell an alert-style name from vocabulary; kb.entities.evidence to drop a
name a context rule would otherwise vouch for.
"""

from __future__ import annotations

import re

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
    CloudNativePG CephCluster CephBlockPool CephFilesystem CephObjectStore CephObjectStoreUser ServiceEntry
    VirtualService DestinationRule PeerAuthentication AuthorizationPolicy HTTPRoute GRPCRoute TCPRoute
    GatewayClass ReferenceGrant BackendTrafficPolicy SecurityPolicy ClientTrafficPolicy PodLogs
    """.split()
)
# Nouns that, written after a CamelCase word, say it is a kind, a state or a product.
VOCABULARY_NOUN = re.compile(
    r"\s+(?:state|status|condition|phase|reason|mode|resources?|objects?|manifests?|kinds?|crds?|polic(?:y|ies)|"
    r"custom resources?|operator|clusters?|charts?|project|documentation|docs|versions?|releases?|"
    r"fields?|settings?|options?|flags?|parameters?|annotations?|labels?|integrations?|class|types?|errors?|"
    r"exceptions?|events?|api|structs?|methods?|functions?|modules?|packages?|plugins?|middlewares?)\b",
    re.I,
)

# Between two names of one sort: "from `WhitelistRouteRegexp` to `AllowRouteRegexp`", "X and Y", "X, Y".
SAME_SORT_BETWEEN = re.compile(r"[\s`'\"]*(?:to|and|or|,|/|vs\.?)[\s`'\"]*", re.I)
VOCABULARY_NOUN_BEFORE = re.compile(
    r"\b(?:arguments?|flags?|options?|parameters?|settings?|fields?|keys?|propert(?:y|ies)|variables?|attributes?|"
    r"annotations?|labels?|classe?s?|types?|functions?|methods?|kinds?|resources?|objects?|crds?|"
    r"custom resources?(?: definitions?)?)\s+(?:\S+\s+){0,2}$"
    r"|\b(?-i:Normal|Warning)\s+$",  # an event's type before its reason: "Normal DeletingAllPods"
    re.I,
)


# Severity and routing words: the label of an alert, never its name ("routed as Critical").
SEVERITY_WORDS = frozenset(
    "critical warning warn info information informational page paging ticket notice error major minor high "
    "medium low none emergency alert debug".split()
)
# The last word of a resource kind's or a class's name ("CephBlockPool", "BackendTrafficPolicy",
# "ProcessMessageWorker", "AWSAssumeRole"): a CamelCase name ending so is a kind of object, not an alert,
# unless something uses it as an alert.
KIND_ENDING = re.compile(
    r"(?:Pool|Claim|Set|Policy|Policies|Configuration|Class|Binding|Definition|Store|Entry|Route|Template|"
    r"Volume|Snapshot|Account|Quota|Range|Budget|Monitor|Secret|Map|Issuer|Repository|Release|Chart|Service|"
    r"Resource|Object|Spec|Status|Client|Controller|Operator|Namespace|Request|Response|Handler|Manager|"
    r"Jobs?|Subscriber|Exception|Task|Rules|Roles?)$"
)


def _singular(word: str) -> str:
    word = word.lower()
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ses", "xes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def is_vocabulary_word(name: str) -> bool:
    return name.lower() in NOT_ALERTS or _singular(name) in NOT_ALERTS or name.lower() in SEVERITY_WORDS


# Hyphenated words of ordinary English ("non-trivial", "clean-up", "crash-looping", "end-to-end").
COMPOUND_PARTS = frozenset(
    "up down over out in on off to by of the and or end non self re pre co multi cross well all no per sub "
    "semi auto anti under post full half long short high low one two three first last day daily crash loop loops".split()
)
COMPOUND_ENDINGS = re.compile(
    r"(ing|ed|ly|ful|less|able|proof|wise|like|based|free|safe|heavy|facing|only|level|term|wide)$"
)


# "ten-hour", "5-minute", "two-day": a duration describes, it does not name.
TIME_UNIT = re.compile(r"^(?:ms|secs?|seconds?|mins?|minutes?|hours?|hrs?|days?|weeks?|months?|years?|nights?)$")


def is_english_compound(token: str) -> bool:
    parts = token.split("-")
    if any(part in COMPOUND_PARTS for part in parts) or TIME_UNIT.match(parts[-1]):
        return True
    return not re.search(r"\d", token) and bool(COMPOUND_ENDINGS.search(parts[-1]))
