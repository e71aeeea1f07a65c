"""`manage.py check_rules` and `annotate_rules`: runbook coverage of Prometheus rules, for a rules repository's CI."""

import json
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from kb.models import Alert, Runbook

pytestmark = pytest.mark.django_db

BASE = "https://kb.example.org"


@pytest.fixture(autouse=True)
def base_url(settings):
    settings.KB_BASE_URL = BASE


def check(*files, format="json") -> tuple[dict | str, int]:
    out = StringIO()
    try:
        call_command("check_rules", *map(str, files), format=format, stdout=out)
        status = 0
    except CommandError as exc:
        status = exc.returncode
        out.write(f"\n{exc}")
    text = out.getvalue()
    return (json.loads(text[: text.rindex("}") + 1]) if format == "json" else text), status


def runbook_for(alert: str, labels: dict | None = None, slug: str | None = None) -> Runbook:
    slug = slug or alert.lower()
    return Runbook.objects.create(
        kind="runbook",
        slug=slug,
        identity=slug,
        title=f"{alert} runbook",
        source_text="x",
        content_hash="x",
        alert=Alert.objects.get_or_create(name=alert)[0],
        labels=labels or {},
    )


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.corpus
def test_it_names_exactly_the_kube_prometheus_alerts_that_have_no_runbook(corpus):
    runbooks = corpus / "runbooks" / "prometheus-operator"
    call_command("import_docs", str(runbooks), stdout=StringIO())
    rule_files = sorted((corpus / "rules" / "kube-prometheus").glob("*.yaml"))
    # Independently of kb.alerting.rules: every alert name in the manifests, every runbook file name.
    in_rules = {
        rule["alert"]
        for path in rule_files
        for document in yaml.safe_load_all(path.read_text())
        for group in document["spec"]["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    runbook_names = {p.name.split(".")[0] for p in runbooks.rglob("*") if p.is_file()} - {"_index", "LICENSE"}

    report, status = check(*rule_files)

    assert status == 1
    assert set(report["without_runbook"]) == in_rules - runbook_names
    assert {r["alert"] for r in report["runbooks_without_rules"]} == runbook_names - in_rules
    assert report["summary"]["alerts"] == len(in_rules)
    # Every kube-prometheus rule links to the prometheus-operator site, not here.
    assert report["summary"]["runbook_url"] == {"missing": 0, "here": 0, "elsewhere": report["summary"]["rules"]}
    crash = next(a for a in report["alerts"] if a["alert"] == "KubePodCrashLooping")
    assert crash["has_runbook"] and crash["runbooks"][0]["url"] == f"{BASE}/runbooks/kubepodcrashlooping/"
    assert crash["file"].endswith("kubeStateMetrics-prometheusRule.yaml") or crash["file"].endswith(
        "kubernetesControlPlane-prometheusRule.yaml"
    )
    line = Path(crash["file"]).read_text().splitlines()[crash["line"] - 1]
    assert line.strip() == "- alert: KubePodCrashLooping"


def test_a_plain_rule_file_and_where_runbook_urls_point(tmp_path):
    runbook_for("DiskFull")
    runbook_for("Orphaned")
    rules = write(
        tmp_path,
        "rules.yml",
        f"""\
groups:
  - name: disks
    rules:
      - record: disk:free:ratio
        expr: node_filesystem_free_bytes / node_filesystem_size_bytes
      - alert: DiskFull
        expr: disk:free:ratio < 0.1
        annotations:
          runbook_url: {BASE}/alerts/{{{{ $labels.alertname }}}}/
      - alert: diskfull
        expr: disk:free:ratio < 0.05
      - alert: NoRunbook
        expr: vector(1)
        annotations:
          runbook_url: https://wiki.example.org/NoRunbook
""",
    )
    text, status = check(rules, format="text")
    assert status == 1
    assert "      6  DiskFull   /runbooks/diskfull/  runbook_url: here" in text
    assert "     10  diskfull   /runbooks/diskfull/  runbook_url: missing" in text
    assert "     12  NoRunbook  NO RUNBOOK  runbook_url: elsewhere https://wiki.example.org/NoRunbook" in text
    assert "Orphaned" in text.split("Runbooks whose alert is in no rule file:")[1]
    assert "3 rules, 3 alerts in 1 file: 2 with a runbook, 1 without" in text
    assert text.rstrip().endswith("1 of 3 alerts have no runbook in the knowledge base: NoRunbook")


def test_every_alert_with_a_runbook_exits_0(tmp_path):
    runbook_for("DiskFull")
    rules = write(tmp_path, "rules.yml", "groups:\n- name: g\n  rules:\n  - alert: DiskFull\n    expr: up == 0\n")
    report, status = check(rules)
    assert status == 0
    assert report["without_runbook"] == []


def test_a_multi_document_file_skips_other_kubernetes_objects(tmp_path):
    manifest = write(
        tmp_path,
        "bundle.yaml",
        """\
apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated}
data: {groups: "not rules"}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: a}
spec:
  groups:
  - name: a
    rules:
    - alert: First
      expr: up == 0
---
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: b}
spec:
  groups:
  - name: b
    rules:
    - alert: Second
      expr: up == 0
""",
    )
    report, _ = check(manifest)
    assert [(a["alert"], a["line"], a["group"]) for a in report["alerts"]] == [("First", 13, "a"), ("Second", 24, "b")]


@pytest.mark.parametrize(
    "text, error",
    [
        ("groups:\n- name: g\n  rules: [\n", "bad.yml:4: not valid YAML"),
        ("kind: Deployment\nspec: {}\n", "bad.yml: no rule groups: expected `groups:`"),
        (
            "groups:\n- name: g\n  rules:\n  - alert: [A]\n    expr: up\n",
            "bad.yml:4: group 'g': `alert` must be a non-empty name",
        ),
        (
            "groups:\n- name: g\n  rules:\n  - alert: A\n    annotations: x\n",
            "bad.yml:5: alert 'A': `annotations` must be a mapping",
        ),
        ("kind: PrometheusRule\nspec: {}\n", "bad.yml:1: a PrometheusRule without `spec.groups`"),
        ("groups:\n- name: g\n  rules: 3\n", "bad.yml:3: group 'g': `rules` must be a list"),
    ],
)
def test_a_bad_file_fails_with_its_name_and_line(tmp_path, text, error):
    bad = write(tmp_path, "bad.yml", text)
    with pytest.raises(CommandError) as failure:
        call_command("check_rules", str(bad), stdout=StringIO())
    assert failure.value.returncode == 2
    assert str(failure.value).startswith(str(tmp_path / error.split(":")[0]) + error[len(error.split(":")[0]) :])


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match="nope.yml: No such file or directory"):
        call_command("check_rules", str(tmp_path / "nope.yml"), stdout=StringIO())


def test_annotate_rules_points_runbook_url_here_with_the_labels_runbooks_are_scoped_by(tmp_path):
    runbook_for("DiskFull", {"namespace": "databases"}, slug="disk-db")
    runbook_for("DiskFull", {"namespace": "media", "pod": "jellyfin-0"}, slug="disk-media")
    original = """\
# Disk alerts, owned by the storage team.
groups:
  - name: disks
    rules:
      - alert: DiskFull   # pages
        expr: |
          disk:free:ratio < 0.1
        labels:
          severity: critical
      - alert: NoRunbook
        expr: vector(1)
        annotations:
          summary: "Always firing"
          runbook_url: https://wiki.example.org/NoRunbook
"""
    rules = write(tmp_path, "rules.yml", original)
    out = StringIO()
    call_command("annotate_rules", str(rules), stdout=out)
    assert out.getvalue() == original.replace(
        "          severity: critical\n",
        "          severity: critical\n        annotations:\n          runbook_url: "
        f"{BASE}/alerts/{{{{ $labels.alertname }}}}/?namespace={{{{ $labels.namespace | urlquery }}}}"
        "&pod={{ $labels.pod | urlquery }}\n",
    ).replace("https://wiki.example.org/NoRunbook", f"{BASE}/alerts/{{{{ $labels.alertname }}}}/")
    assert rules.read_text() == original

    err = StringIO()
    call_command("annotate_rules", str(rules), in_place=True, stdout=StringIO(), stderr=err)
    assert rules.read_text() == out.getvalue()
    assert "runbook_url set on 2 alerts" in err.getvalue()
    report, _ = check(rules)
    assert report["summary"]["runbook_url"] == {"missing": 0, "here": 2, "elsewhere": 0}


@pytest.mark.corpus
def test_annotate_rules_changes_only_runbook_url_lines_of_a_kube_prometheus_manifest(corpus, tmp_path):
    source = corpus / "rules" / "kube-prometheus" / "prometheus-prometheusRule.yaml"
    out = StringIO()
    call_command("annotate_rules", str(source), stdout=out)
    before, after = source.read_text().splitlines(), out.getvalue().splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert len(changed) == source.read_text().count("runbook_url:")
    assert all(b.strip() == f"runbook_url: {BASE}/alerts/{{{{ $labels.alertname }}}}/" for _, b in changed)


def test_annotate_rules_refuses_a_bad_file_and_leaves_it_alone(tmp_path):
    bad = write(tmp_path, "bad.yml", "groups: 3\n")
    with pytest.raises(CommandError, match="`groups` must be a list"):
        call_command("annotate_rules", str(bad), in_place=True, stdout=StringIO())
    assert bad.read_text() == "groups: 3\n"
