"""Which code in a document is something to run: the page offers to copy commands and PromQL, and to
open PromQL in Prometheus or Grafana, but not to copy every identifier written in backticks."""

from pathlib import Path

import pytest

from kb.markdown.commands import first_command, is_command, is_promql, is_promql_block, mark_commands
from kb.markdown.html_parts import split_sections
from kb.markdown.rendering import render

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ux"


@pytest.mark.parametrize(
    "text",
    [
        "kubectl -n shop get pods -l app=checkout-api",
        "sudo systemctl restart kubelet",
        "$ helm -n monitoring upgrade prometheus prometheus-community/kube-prometheus-stack",
        "journalctl -u containerd --since '1 hour ago'",
        "KUBECONFIG=~/.kube/prod kubectl get nodes",
        "argocd app sync traefik && argocd app wait traefik --health",
        "/usr/bin/curl -s localhost:8000/readyz",
    ],
)
def test_a_code_span_that_starts_with_a_command_line_tool_is_a_command(text):
    assert is_command(text)
    assert not is_promql(text)


@pytest.mark.parametrize(
    "text",
    ["kubectl", "velero", "checkout-api", "resources.limits.memory", "deploy/shop/values.yaml", "OOMKilled", "foo_bar"],
)
def test_a_name_alone_is_neither_a_command_nor_promql(text):
    assert not is_command(text)
    assert not is_promql(text)


@pytest.mark.parametrize(
    "text",
    [
        'rate(http_requests_total{job="api"}[5m])',
        'container_memory_working_set_bytes{namespace="velero",container="velero"}',
        'sum by (entrypoint, code) (rate(traefik_entrypoint_requests_total{code=~"5.."}[5m]))',
        "up == 0",
        "node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.1",
        'kube_pod_status_ready{pod=~"a|b", condition="true"} == 0',
        "max_over_time(container_memory_working_set_bytes[12h])",
    ],
)
def test_a_query_shaped_code_span_is_promql(text):
    assert is_promql(text)
    assert not is_command(text)


@pytest.mark.parametrize(
    "text",
    ["max(a, b)", "retries > 3", "kubectl get pods | grep x", "x = {a: 1}", "if (a) { b = 'c' }"],
)
def test_code_that_only_looks_a_little_like_a_query_is_not_promql(text):
    assert not is_promql(text)


def test_a_shell_block_with_a_query_in_a_comment_is_not_a_promql_block():
    assert not is_promql_block(
        "# Is it running?\nkubectl get pods\n# max_over_time(container_memory_working_set_bytes[12h])\n"
    )
    assert not is_promql_block("resources:\n  limits:\n    memory: 1Gi\n")
    assert is_promql_block("# errors by service\nsum by (service) (\n  rate(x_requests_total[5m])\n) > 0.05\n")


def test_marked_html_has_a_class_on_each_command_and_query_and_nothing_else_changes():
    html = render((FIXTURES / "checkout-latency.md").read_text()).html
    marked = mark_commands(html)
    assert '<code class="command">kubectl -n shop get pods -l app=checkout-api -o wide</code>' in marked
    assert '<code class="promql">histogram_quantile(0.99, sum by (le, route)' in marked
    assert '<code class="command">kubectl -n shop scale deploy/checkout-api --replicas=6</code>' in marked
    assert "<code>checkout-api</code>" in marked
    assert "<code>deploy/shop/checkout-api/values.yaml</code>" in marked
    assert marked.count('<pre class="promql">') == 1
    assert marked.replace(' class="command"', "").replace(' class="promql"', "") == html


def test_the_first_command_is_the_first_block_of_commands_or_marked_span_with_its_section():
    html = mark_commands(render((FIXTURES / "checkout-latency.md").read_text()).html)
    part, command = first_command(split_sections(html))
    assert part.heading_text == "Investigation"
    assert command == '<code class="command">kubectl -n shop get pods -l app=checkout-api -o wide</code>'

    yaml_first = mark_commands(
        render("## Fix\n\n```yaml\nlimits: 1Gi\n```\n\n## Then\n\n```\nhelm upgrade x y\n```\n").html
    )
    part, command = first_command(split_sections(yaml_first))
    assert part.heading_text == "Then"
    assert command.startswith("<pre>") and "helm upgrade x y" in command and command.endswith("</pre>")

    assert first_command(split_sections(mark_commands(render("Just `words` here.\n").html))) is None


def test_two_metrics_in_arithmetic_are_promql_but_paths_and_log_queries_are_not():
    assert is_promql("(etcd_mvcc_db_total_size_in_bytes / etcd_server_quota_backend_bytes) * 100")
    assert not is_promql("some_dir/other_dir")
    assert not is_promql("syslog_program:wal-e_postgres_base_backup_push")
