"""Which code in a document is something to run: a shell command or a PromQL expression.

Pure, no Django. A code span counts as a command when its first word is a command-line tool
(`kubectl -n velero get pods`, `sudo systemctl restart kubelet`), never for a bare identifier
(`velero`, `resources.limits.memory`, a tool's name alone); it counts as PromQL when it has the
shape of a query (a selector `metric{label="x"}`, a range `[5m]`, a function applied to a
metric, a metric compared with a number). A code block is PromQL by the same rules applied to
its text, unless it reads as a shell session or YAML.

`mark_commands` adds the classes `command` and `promql` to the code of a document's sanitised
HTML, so that the page offers to copy and open them; the HTML is otherwise unchanged.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from kb.markdown.html_parts import TAG, Part, code_elements

# Command-line tools whose name starts a command. A word here alone is a name, not a command.
CLI_WORDS = frozenset(
    """
    kubectl kubectx kubens kubeadm k9s stern helm helmfile kustomize argocd flux velero kopia restic
    oc k3s microk8s minikube kind talosctl crictl ctr nerdctl docker podman docker-compose
    systemctl journalctl service loginctl timedatectl hostnamectl resolvectl networkctl udevadm
    curl wget dig nslookup ping traceroute mtr nc ncat telnet openssl ssh scp rsync
    git gh gcloud gsutil aws az doctl terraform tofu ansible ansible-playbook packer vault consul nomad
    psql pg_dump pg_restore pg_basebackup pg_ctl pg_ctlcluster mysql mysqldump redis-cli mongo mongosh
    etcdctl calicoctl cilium istioctl linkerd cmctl promtool amtool mc rclone ceph rbd rados radosgw-admin
    zpool zfs lvs vgs pvs lvextend resize2fs xfs_growfs mount umount lsblk blkid fdisk parted smartctl
    df du free top htop iotop vmstat iostat uptime dmesg lsof ss netstat ip iptables nft tcpdump ethtool
    ps kill pkill pgrep tail head cat less grep zgrep awk sed find ls du chmod chown mkdir rm mv cp ln tar
    apt apt-get dpkg yum dnf rpm snap pip pip3 python python3 npm go make bash sh zsh watch
    jq yq base64 env export cd sudo reboot shutdown crontab certbot
    """.split()
)
PROMPT = re.compile(r"^(?:\$|#|>|PS>|\w+@[\w.-]+:\S*[$#])\s+")
WORD = re.compile(r"[\w.:/-]+")
# Outside quoted strings (`{pod=~"a|b"}` is PromQL), these belong to a shell, never to a query.
SHELL_ONLY = re.compile(r"\||&&|;|\$\(|`|^\./|\s--?[A-Za-z]")
QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")

PROMQL_FUNCTIONS = (
    "rate irate increase delta idelta deriv predict_linear holt_winters sum avg min max count stddev stdvar "
    "topk bottomk quantile count_values group absent absent_over_time changes resets histogram_quantile "
    "label_replace label_join abs ceil floor round sqrt exp ln log2 log10 clamp clamp_min clamp_max sort "
    "sort_desc timestamp vector scalar time"
).split()
FUNCTION_CALL = re.compile(
    r"\b(?:" + "|".join(PROMQL_FUNCTIONS) + r"|\w+_over_time)\s*(?:(?:by|without)\s*\([^)]*\)\s*)?\("
)
METRIC = r"(?:[a-z_:][a-z0-9_:]*_[a-z0-9_:]+|up)"
# `metric{label="x"}`, or a selector without a metric name where an expression starts.
SELECTOR = re.compile(r"(?:[A-Za-z_:][\w:]*|^|\()\{\s*[A-Za-z_]\w*\s*(?:=~|!~|!=|=)\s*[\"'`]")
RANGE = re.compile(r"[\w:}\)]\[\d+[smhdwy](?:\d+[smh])*(?::\d*[smhdwy]?)?\]")
COMPARISON = re.compile(r"(?:==|!=|>=|<=|>|<)\s*-?\d")
# Two metrics in arithmetic: `(etcd_mvcc_db_total_size_in_bytes / etcd_server_quota_backend_bytes) * 100`.
ARITHMETIC = re.compile(rf"(?<![\w.\-/]){METRIC}(?:\s+[-+*/%]\s+|\)\s*[-+*/%]\s*)\(*{METRIC}(?![\w.\-/])")
QUERY_CHARACTERS = re.compile(r"[\w:{}()\[\]\"'=~!<>+\-*/%^., ]+")
METRIC_TOKEN = re.compile(rf"(?<![\w.\-/]){METRIC}(?![\w.\-/(])")
YAML_KEY = re.compile(r"^\s*-?\s*[\w.-]+:(?:\s|$)", re.M)
COMMENT_LINE = re.compile(r"^\s*#.*$", re.M)


def first_word(text: str) -> str:
    """The command's name, a prompt (`$ `), `sudo` and variable assignments (`KUBECONFIG=x`) skipped."""
    words = PROMPT.sub("", text.strip()).split()
    while words and (words[0] == "sudo" or re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0])):
        words = words[1:]
    return words[0] if words else ""


def is_command(text: str) -> bool:
    """A shell command: a known tool with at least one argument (`kubectl get pods`, not `kubectl`)."""
    text = PROMPT.sub("", text.strip())
    if "\n" in text or len(text.split()) < 2:
        return False
    return first_word(text).rsplit("/", 1)[-1] in CLI_WORDS


def is_promql(text: str) -> bool:
    """A PromQL expression: a selector, a range, a function over a metric, or a metric compared with a number."""
    expression = " ".join(COMMENT_LINE.sub("", text).split())
    bare = QUOTED.sub('""', expression)
    if not expression or first_word(expression) in CLI_WORDS or SHELL_ONLY.search(bare):
        return False
    if bare.count("{") != bare.count("}") or bare.count("(") != bare.count(")"):
        return False
    return bool(
        SELECTOR.search(expression)
        or RANGE.search(expression)
        or (COMPARISON.search(bare) and QUERY_CHARACTERS.fullmatch(bare) and METRIC_TOKEN.match(bare.lstrip("(")))
        or (QUERY_CHARACTERS.fullmatch(bare) and ARITHMETIC.search(bare))
        or (FUNCTION_CALL.search(expression) and METRIC_TOKEN.search(expression))
    )


def is_promql_block(text: str) -> bool:
    """A code block holding one PromQL expression (comments allowed), not a shell session or YAML."""
    code = COMMENT_LINE.sub("", text).strip()
    return bool(code) and not YAML_KEY.search(code) and is_promql(code)


# --- marking the HTML ---------------------------------------------------------------

CLASS = re.compile(r"""\bclass\s*=\s*"([^"]*)\"""")


def mark_commands(html_text: str) -> str:
    """The HTML with `class="command"` on code spans that are commands, `class="promql"` on code spans
    and `<pre>` blocks that are PromQL."""
    if "<code" not in html_text and "<pre" not in html_text:
        return html_text
    out: list[str] = []
    position = 0
    for name, open_tag, start, end in code_elements(html_text):
        inner = html_text[start:end]
        kind = _span_kind(name, inner) if name == "code" and len(inner) <= SPAN_KEPT else _code_kind(name, inner)
        if kind:
            out.append(html_text[position : open_tag.start()])
            out.append(_with_class(open_tag.group(), kind))
            position = open_tag.end()
    out.append(html_text[position:])
    return "".join(out)


def _code_kind(name: str, inner_html: str) -> str:
    """What `mark_commands` marks a `<pre>` or `<code>` element holding this HTML as: "promql", "command" or ""."""
    text = html.unescape(TAG.sub("", inner_html))
    if name == "pre":
        return "promql" if is_promql_block(text) else ""
    return "promql" if is_promql(text) else "command" if is_command(text) else ""


# A knowledge base writes the same code spans again and again (`kubectl get pods`, a metric's name):
# 9,807 code elements in the 300 generated files, 1,963 different ones. Code blocks seldom repeat
# (7,509 different among 7,591 in 13,000 files) and may be long: those are not kept.
_span_kind = lru_cache(maxsize=4096)(_code_kind)
SPAN_KEPT = 200


def _with_class(tag: str, name: str) -> str:
    found = CLASS.search(tag)
    if found:
        return tag[: found.start(1)] + f"{found.group(1)} {name}".strip() + tag[found.end(1) :]
    return tag[:-1].rstrip() + f' class="{name}">'


def first_command(parts: list[Part]) -> tuple[Part, str] | None:
    """The section holding the document's first command and that command's HTML (`<pre>…</pre>` or
    `<code>…</code>`), from `mark_commands`' output: a code block of shell commands or PromQL, or a
    marked code span. Blocks of YAML, paths or logs are not commands."""
    for part in parts:
        for name, opening, start, end in code_elements(part.body_html):
            if name == "pre":
                lines = COMMENT_LINE.sub("", html.unescape(TAG.sub("", part.body_html[start:end]))).split("\n")
                code = next((line for line in lines if line.strip()), "")
                found = first_word(code).rsplit("/", 1)[-1] in CLI_WORDS or "promql" in opening.group()
            else:
                found = re.search(r"\b(?:command|promql)\b", opening.group(3)) is not None
            if found:
                return part, part.body_html[opening.start() : end] + f"</{name}>"
    return None
