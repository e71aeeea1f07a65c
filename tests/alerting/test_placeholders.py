"""Placeholders in commands filled from an alert's labels: a pure function over sanitised HTML."""

from kb.alerting.placeholders import fill_placeholders, label_for
from kb.markdown.rendering import render

LABELS = {"namespace": "velero", "pod": "velero-7d9f8-x2k4q", "container": "velero", "instance": "k8s-node-2:9100"}


def code_html(markdown: str) -> str:
    return render(markdown).html


def test_it_maps_placeholder_words_to_label_names():
    assert label_for("velero-pod-name", LABELS) == ("pod", "velero-7d9f8-x2k4q")
    assert label_for("pod-name", LABELS) == ("pod", "velero-7d9f8-x2k4q")
    assert label_for("POD", LABELS) == ("pod", "velero-7d9f8-x2k4q")
    assert label_for("name_of_pod", LABELS) == ("pod", "velero-7d9f8-x2k4q")
    assert label_for("POD_FROM_JOB", LABELS) == ("pod", "velero-7d9f8-x2k4q")
    assert label_for("ns", LABELS) == ("namespace", "velero")
    assert label_for("my-namespace", LABELS) == ("namespace", "velero")
    assert label_for("NAMESPACE", LABELS) == ("namespace", "velero")
    assert label_for("CONTAINER", LABELS) == ("container", "velero")


def test_it_takes_a_node_from_the_instance_label_without_its_port():
    assert label_for("node", LABELS) == ("instance", "k8s-node-2")
    assert label_for("node", {**LABELS, "node": "k8s-node-2"}) == ("node", "k8s-node-2")
    assert label_for("instance", LABELS) == ("instance", "k8s-node-2:9100")


def test_it_uses_any_label_named_like_the_placeholder():
    labels = {
        "mountpoint": "/var/lib",
        "persistentvolumeclaim": "data-db-0",
        "job_name": "backup-123",
        "job": "kube-state-metrics",
    }
    assert label_for("MOUNT_POINT", labels) == ("mountpoint", "/var/lib")
    assert label_for("my-pvc", labels) == ("persistentvolumeclaim", "data-db-0")
    # kube-state-metrics names a Kubernetes Job `job_name`; `job` is the scrape job.
    assert label_for("JOB", labels) == ("job_name", "backup-123")
    assert label_for("slot", {"slot": "standby_old"}) == ("slot", "standby_old")


def test_a_bare_name_takes_its_meaning_from_the_word_before_it():
    labels = {"daemonset": "node-exporter", "statefulset": "shared-pg"}
    assert label_for("NAME", labels, word_before="daemonset") == ("daemonset", "node-exporter")
    assert label_for("NAME", labels, word_before="sts") == ("statefulset", "shared-pg")
    assert label_for("NAME", labels, word_before="describe") is None


def test_it_leaves_placeholders_without_a_label_alone():
    assert label_for("slot", LABELS) is None
    assert label_for("table", LABELS) is None
    assert label_for("a", LABELS) is None


def test_it_fills_a_command_and_marks_the_filled_value():
    html = code_html("```bash\nkubectl describe pod -n <namespace> <velero-pod-name> | grep -A5 State\n```")
    filled = fill_placeholders(html, LABELS)
    assert '<mark class="filled" title="from the alert&#x27;s namespace label">velero</mark>' in filled.html
    assert '<mark class="filled" title="from the alert&#x27;s pod label">velero-7d9f8-x2k4q</mark>' in filled.html
    assert "&lt;velero-pod-name&gt;" not in filled.html
    assert [(f.placeholder, f.label) for f in filled.filled] == [
        ("<namespace>", "namespace"),
        ("<velero-pod-name>", "pod"),
    ]


def test_it_fills_shell_variables_in_inline_code_too():
    html = code_html("Check logs via `kubectl -n $NAMESPACE logs ${POD} -c $CONTAINER`.")
    filled = fill_placeholders(html, LABELS).html
    assert filled.count('<mark class="filled"') == 3
    assert "$" not in filled


def test_it_keeps_the_html_well_formed_when_a_placeholder_crosses_highlighting_spans():
    html = '<pre><code>kubectl -n <span class="o">&lt;</span>ns<span class="o">&gt;</span> get pods</code></pre>'
    filled = fill_placeholders(html, LABELS).html
    assert filled == (
        '<pre><code>kubectl -n <span class="o"></span>'
        '<mark class="filled" title="from the alert&#x27;s namespace label">velero</mark>'
        '<span class="o"></span> get pods</code></pre>'
    )


def test_it_fills_nothing_outside_code():
    html = "<p>Set $NAMESPACE and &lt;namespace&gt; to the alert's namespace.</p>"
    assert fill_placeholders(html, LABELS).html == html


def test_it_leaves_variables_the_block_sets_itself():
    html = code_html(
        '```shell\nNAMESPACE="kube-etcd"\nkubectl logs -n $NAMESPACE etcd\nfor POD in a b; do echo $POD; done\n```'
    )
    filled = fill_placeholders(html, LABELS)
    assert filled.filled == []
    assert "$NAMESPACE" in filled.html


def test_it_never_fills_the_operators_own_shell_variables():
    html = code_html("```\ncd $HOME && echo $PATH $HOSTNAME\n```")
    assert fill_placeholders(html, {"home": "x", "path": "/api", "hostname": "node-1"}).filled == []


def test_it_escapes_label_values_and_refuses_values_a_shell_would_run():
    html = code_html("```\nkubectl logs <pod> -n <namespace>\n```")
    hostile = {"pod": "x; rm -rf /", "namespace": "$(curl evil)"}
    assert fill_placeholders(html, hostile).filled == []
    assert fill_placeholders(html, {"pod": "--kubeconfig=/tmp/evil"}).filled == []
    marked = fill_placeholders(code_html("```\n<pod>\n```"), {"pod": "a%2Fb@c"}).html
    assert ">a%2Fb@c</mark>" in marked


def test_it_changes_nothing_without_labels():
    html = code_html("```\nkubectl logs <pod>\n```")
    assert fill_placeholders(html, {}).html == html
