"""Fills command placeholders (`<namespace>`, `<velero-pod-name>`, `$POD`) from an alert's labels.

A pure function over the sanitised HTML of a document: only text inside `<code>`/`<pre>`
changes, each filled value is HTML-escaped and wrapped in `<mark class="filled">` so that
it is visible on the page, and the copy button copies the filled command. No database access.

Which label a placeholder means is decided by general rules, not a list of known documents:
the words of the placeholder (`velero-pod-name` → velero, pod, name) lose filler words
(`my`, `your`, `name`), the last word is the noun (`name_of_pod` → pod; `pod_from_job` → pod),
and the noun is looked up among label names and the usual Kubernetes/Prometheus synonyms
(`ns` → namespace, `node` → node or instance). A bare `$NAME` takes its noun from the word
before it (`describe daemonset $NAME` → daemonset).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from kb.markdown.html_parts import TAG, VOID, code_elements

# Label names to try for a noun, best first. The noun itself is always tried first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "pod": ("pod", "pod_name", "exported_pod"),
    "namespace": ("namespace", "exported_namespace", "kubernetes_namespace"),
    "container": ("container", "container_name", "exported_container"),
    "node": ("node", "nodename", "kubernetes_node", "hostname", "instance"),
    "host": ("hostname", "host", "node", "nodename", "instance"),
    "instance": ("instance",),
    # kube-state-metrics calls a Kubernetes Job `job_name`; `job` is the scrape job.
    "job": ("job_name", "job"),
    "cronjob": ("cronjob",),
    "service": ("service", "exported_service"),
    "deployment": ("deployment",),
    "statefulset": ("statefulset",),
    "daemonset": ("daemonset",),
    "replicaset": ("replicaset",),
    "persistentvolumeclaim": ("persistentvolumeclaim", "pvc"),
    "persistentvolume": ("persistentvolume", "pv"),
    "horizontalpodautoscaler": ("horizontalpodautoscaler", "hpa"),
    "cluster": ("cluster",),
    "device": ("device",),
    "mountpoint": ("mountpoint",),
}
# Abbreviations and plurals people (and kubectl) use for those nouns.
ALIASES = {
    "po": "pod",
    "pods": "pod",
    "ns": "namespace",
    "namespaces": "namespace",
    "ctr": "container",
    "containers": "container",
    "no": "node",
    "nodes": "node",
    "hostname": "host",
    "server": "host",
    "machine": "host",
    "hosts": "host",
    "instances": "instance",
    "jobs": "job",
    "cronjobs": "cronjob",
    "cj": "cronjob",
    "svc": "service",
    "services": "service",
    "deploy": "deployment",
    "deployments": "deployment",
    "sts": "statefulset",
    "statefulsets": "statefulset",
    "ds": "daemonset",
    "daemonsets": "daemonset",
    "rs": "replicaset",
    "replicasets": "replicaset",
    "pvc": "persistentvolumeclaim",
    "pvcs": "persistentvolumeclaim",
    "claim": "persistentvolumeclaim",
    "persistentvolumeclaims": "persistentvolumeclaim",
    "pv": "persistentvolume",
    "pvs": "persistentvolume",
    "persistentvolumes": "persistentvolume",
    "hpa": "horizontalpodautoscaler",
    "disk": "device",
    "mount": "mountpoint",
}
FILLER = {"my", "your", "the", "a", "an", "this", "that", "some", "target", "affected", "alerting", "failing"}
GENERIC = {"name", "names"}
# Shell variables that mean the operator's own machine, never the alert's.
SHELL_VARIABLES = {
    "HOME",
    "PATH",
    "PWD",
    "OLDPWD",
    "USER",
    "LOGNAME",
    "SHELL",
    "HOSTNAME",
    "LANG",
    "TERM",
    "TMPDIR",
    "IFS",
    "RANDOM",
    "UID",
    "EUID",
    "PPID",
    "SECONDS",
    "KUBECONFIG",
    "EDITOR",
    "PAGER",
    "DISPLAY",
}
# A label value goes into a command the operator pastes into a shell: anything that could
# start a new command, expand, quote or read as an option is left unfilled.
SAFE_VALUE = re.compile(r"[A-Za-z0-9_./@][A-Za-z0-9_.:/@+=,~%-]{0,252}", re.ASCII)

# Text inside the HTML is escaped, so `<pod-name>` reads `&lt;pod-name&gt;` there.
PLACEHOLDER = re.compile(
    r"&lt;(?P<angle>[A-Za-z][A-Za-z0-9]*(?:[ _.-][A-Za-z0-9]+){0,6})&gt;"
    r"|\$\{(?P<braced>[A-Z][A-Z0-9_]+)\}"
    r"|\$(?P<bare>[A-Z][A-Z0-9_]+)(?![A-Za-z0-9_])"
)
WORD_BEFORE = re.compile(r"([A-Za-z]+)[\s/]+$")


@dataclass(frozen=True)
class FilledPlaceholder:
    placeholder: str  # as written: `<velero-pod-name>`, `$POD`
    label: str
    value: str


@dataclass(frozen=True)
class Filling:
    html: str
    filled: list[FilledPlaceholder]


def label_for(placeholder: str, labels: Mapping[str, str], *, word_before: str = "") -> tuple[str, str] | None:
    """The (label name, value) a placeholder word such as `velero-pod-name` stands for, if the labels hold it."""
    words = [w for w in re.split(r"[\s_.-]+", placeholder.lower()) if w]
    for preposition, keep_after in (("of", True), ("from", False), ("in", False), ("on", False), ("for", False)):
        if preposition in words[1:-1]:
            at = words.index(preposition)
            words = words[at + 1 :] if keep_after else words[:at]
            break
    written = words
    words = [w for w in words if w not in FILLER]
    if not words:
        return None
    while words and words[-1] in GENERIC:
        words.pop()
    if not words:
        context = ALIASES.get(word_before.lower(), word_before.lower())
        if context not in SYNONYMS:
            return None
        words = [context]
    noun = ALIASES.get(words[-1], words[-1])
    # A label named like the whole placeholder (`pod_name`, `mount_point`) wins; then the noun's synonyms.
    compounds = ["_".join(written), "_".join(words), "".join(words)] if len(written) > 1 else []
    candidates = [*compounds, *SYNONYMS.get(noun, ()), noun]
    for name in dict.fromkeys(candidates):
        value = labels.get(name)
        if value and SAFE_VALUE.fullmatch(value):
            if name == "instance" and noun in ("node", "host"):
                value = _host_of(value)
            return name, value
    return None


def fill_placeholders(html_text: str, labels: Mapping[str, str]) -> Filling:
    """The HTML with every placeholder inside code that a label fills replaced by a marked value."""
    if not labels:
        return Filling(html_text, [])
    filled: dict[tuple[str, str], FilledPlaceholder] = {}
    out: list[str] = []
    position = 0
    for _name, _opening, start, end in code_elements(html_text):
        out.append(html_text[position:start])
        out.append(_fill_code(html_text[start:end], labels, filled))
        position = end
    out.append(html_text[position:])
    return Filling("".join(out), list(filled.values()))


def _host_of(instance: str) -> str:
    """`node-1:9100` → `node-1`: the instance label carries the scrape port, a node name does not."""
    host = re.sub(r":\d+$", "", instance)
    return host or instance


def _fill_code(fragment: str, labels: Mapping[str, str], filled: dict) -> str:
    # The text of the block with tags left out, and where each piece of text sits in the fragment.
    pieces: list[tuple[int, int]] = []  # (offset in fragment, offset in text)
    texts: list[str] = []
    text_length = 0
    position = 0
    for match in TAG.finditer(fragment):
        if match.start() > position:
            pieces.append((position, text_length))
            texts.append(fragment[position : match.start()])
            text_length += match.start() - position
        position = match.end()
    if position < len(fragment):
        pieces.append((position, text_length))
        texts.append(fragment[position:])
        text_length += len(fragment) - position
    text = "".join(texts)
    plain = html.unescape(text)

    replacements = []
    for match in PLACEHOLDER.finditer(text):
        angle, variable = match.group("angle"), match.group("braced") or match.group("bare")
        if variable and (variable in SHELL_VARIABLES or _assigned(variable, plain)):
            continue
        before = WORD_BEFORE.search(html.unescape(text[: match.start()]))
        found = label_for(angle or variable, labels, word_before=before.group(1) if before else "")
        if found is None:
            continue
        label, value = found
        written = f"<{angle}>" if angle else html.unescape(match.group())
        filled.setdefault((written, label), FilledPlaceholder(written, label, value))
        title = html.escape(f"from the alert's {label} label")
        mark = f'<mark class="filled" title="{title}">{html.escape(value)}</mark>'
        replacements.append(
            (_to_fragment(pieces, match.start(), end=False), _to_fragment(pieces, match.end(), end=True), mark)
        )

    for start, end, mark in reversed(replacements):
        fragment = fragment[:start] + _balanced(fragment[start:end], mark) + fragment[end:]
    return fragment


def _assigned(variable: str, code: str) -> bool:
    """The block sets the variable itself (`POD=…`, `for POD in`, `read POD`): it is no placeholder."""
    name = re.escape(variable)
    return bool(
        re.search(rf"(?<![\w$]){name}=", code)
        or re.search(rf"\bfor\s+{name}\s+in\b", code)
        or re.search(rf"\bread\b[^\n;|&]*\b{name}\b", code)
    )


def _to_fragment(pieces: list[tuple[int, int]], text_offset: int, *, end: bool) -> int:
    """A text offset as an offset in the fragment (an end offset stays in the piece it ends)."""
    chosen = pieces[0]
    for piece in pieces:
        if piece[1] < text_offset or (piece[1] == text_offset and not end):
            chosen = piece
        else:
            break
    return chosen[0] + text_offset - chosen[1]


def _balanced(region: str, mark: str) -> str:
    """Replaces a stretch of HTML that may cross tags, keeping every element around it intact.

    `&lt;</span>pod<span class="o">&gt;` → `</span><mark>…</mark><span class="o">`.
    """
    closers: list[str] = []
    opened: list[tuple[str, str]] = []
    for match in TAG.finditer(region):
        name = match.group(2).lower()
        if name in VOID or match.group(4):
            continue
        if match.group(1):
            if opened and opened[-1][0] == name:
                opened.pop()
            else:
                closers.append(match.group())
        else:
            opened.append((name, match.group()))
    return "".join(closers) + mark + "".join(tag for _name, tag in opened)
