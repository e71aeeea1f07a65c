"""deploy/kubernetes: every manifest is valid Kubernetes, every kustomization holds together, and what
the Deployment and the PrometheusRule point at exists in the app."""

import re
import subprocess
from io import StringIO
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.core.management import call_command

from tests.conftest import require_program

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes still supported upstream when this was written; the manifests use nothing newer.
KUBERNETES_VERSION = "1.32.0"
# Custom resources: their operators' schemas are not shipped with kubernetes-validate.
CUSTOM_API_GROUPS = ("monitoring.coreos.com/", "argoproj.io/", "kustomize.config.k8s.io/")


def manifest_files() -> list[Path]:
    return sorted(KUBERNETES.rglob("*.yaml"))


def kustomizations() -> list[Path]:
    return sorted(path.parent for path in KUBERNETES.rglob("kustomization.yaml"))


def patch_files() -> set[Path]:
    return {
        (folder / patch["path"]).resolve()
        for folder in kustomizations()
        for patch in yaml.safe_load((folder / "kustomization.yaml").read_text()).get("patches", [])
    }


def documents(path: Path) -> list[dict]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def built(folder: Path) -> list[dict]:
    """`kubectl kustomize FOLDER`: what Argo CD or `kubectl apply -k` would send to the cluster."""
    kubectl = require_program("kubectl", "its kustomize builds the overlays")
    result = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{folder.relative_to(ROOT)}: {result.stderr}"
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def validate(document: dict, where: str) -> None:
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{where}: {document['kind']} {document['metadata'].get('name')}: {exc.message} at {exc.path}")


def named(objects: list[dict], kind: str, name: str) -> dict:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


@pytest.mark.parametrize("path", manifest_files(), ids=lambda path: str(path.relative_to(KUBERNETES)))
def test_every_manifest_is_valid_against_the_kubernetes_schema(path):
    loaded = documents(path)
    assert loaded, f"{path} holds no document"
    for document in loaded:
        assert {"apiVersion", "kind"} <= document.keys(), f"{path}: a document without apiVersion or kind"
        if path.resolve() in patch_files() or document["apiVersion"].startswith(CUSTOM_API_GROUPS):
            continue
        validate(document, str(path.relative_to(ROOT)))


def test_the_validator_refuses_a_misspelt_field():
    deployment = named(documents(KUBERNETES / "base" / "deployment.yaml"), "Deployment", "kb")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("folder", kustomizations(), ids=lambda folder: str(folder.relative_to(KUBERNETES)))
def test_every_kustomization_lists_files_that_exist_and_builds_into_valid_objects(folder):
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    listed = kustomization.get("resources", []) + [patch["path"] for patch in kustomization.get("patches", [])]
    missing = [name for name in listed if not (folder / name).exists()]
    assert not missing, f"{folder.relative_to(ROOT)}/kustomization.yaml lists missing files: {missing}"
    for document in built(folder):
        if not document["apiVersion"].startswith(CUSTOM_API_GROUPS):
            validate(document, f"kubectl kustomize {folder.relative_to(ROOT)}")


def test_the_postgresql_overlay_has_no_volume_and_takes_its_database_from_a_secret():
    objects = built(KUBERNETES / "overlays" / "postgresql")
    assert not [o for o in objects if o["kind"] == "PersistentVolumeClaim"]
    for kind, name in (("Deployment", "kb"), ("Job", "kb-migrate")):
        pod = named(objects, kind, name)["spec"]["template"]["spec"]
        assert "persistentVolumeClaim" not in str(pod["volumes"])
        env = {item["name"]: item for item in pod["containers"][0].get("env", [])}
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "kb-database"
    assert named(objects, "Deployment", "kb")["spec"]["replicas"] == 2
    assert {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"} == {"kb"}


@pytest.mark.django_db
@pytest.mark.parametrize("overlay", ["base", "overlays/postgresql"])
def test_every_probe_of_the_deployment_answers_on_the_port_gunicorn_binds(client, overlay):
    deployment = named(built(KUBERNETES / overlay), "Deployment", "kb")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    bound = re.search(r'"KB_BIND", "0\.0\.0\.0:(\d+)"', (ROOT / "deploy" / "gunicorn.conf.py").read_text())
    probes = [container[name] for name in ("livenessProbe", "readinessProbe", "startupProbe") if name in container]
    assert len(probes) == 3
    for probe in probes:
        port = probe["httpGet"]["port"]
        assert ports.get(port, port) == int(bound.group(1))
        response = client.get(probe["httpGet"]["path"], HTTP_HOST="10.42.0.17:8000")
        assert response.status_code == 200, f"{probe['httpGet']['path']}: {response.status_code}"
    assert container["resources"]["requests"]["memory"] and container["resources"]["limits"]["memory"]


def test_the_service_and_the_ingress_reach_the_deployment_port():
    objects = built(KUBERNETES / "base")
    service = named(objects, "Service", "kb")
    pod = named(objects, "Deployment", "kb")["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert service["spec"]["ports"][0]["targetPort"] in {p["name"] for p in pod["spec"]["containers"][0]["ports"]}
    backend = named(objects, "Ingress", "kb")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "kb", "port": {"name": service["spec"]["ports"][0]["name"]}}


def test_the_argo_cd_application_points_at_a_kustomization_of_this_repository():
    application = documents(KUBERNETES / "argocd" / "application.yaml")[0]
    assert application["kind"] == "Application"
    assert (ROOT / application["spec"]["source"]["path"] / "kustomization.yaml").exists()


@pytest.mark.django_db
def test_every_alert_of_the_prometheus_rule_has_a_runbook_shipped_in_examples(client):
    rule_file = KUBERNETES / "monitoring" / "prometheusrule.yaml"
    call_command("import_docs", str(ROOT / "examples" / "runbooks"), stdout=StringIO())
    # Exit status 1 (a CommandError) when an alert has no runbook.
    call_command("check_rules", str(rule_file), stdout=StringIO())
    rules = [rule for group in documents(rule_file)[0]["spec"]["groups"] for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} >= {
        "KnowledgeBaseDown",
        "KnowledgeBaseNotReady",
        "KnowledgeBaseWebhookErrors",
        "KnowledgeBaseImportFailures",
    }
    for rule in rules:
        url = rule["annotations"]["runbook_url"]
        assert url == f"https://kb.example.org/alerts/{rule['alert']}/"
        response = client.get(url.removeprefix("https://kb.example.org"), follow=True)
        assert response.status_code == 200
        assert rule["alert"] in response.content.decode()
        assert response.redirect_chain[-1][0].startswith("/runbooks/")


def test_the_metrics_the_prometheus_rule_queries_exist_in_the_app():
    from kb.ops import metrics

    exposed = {
        name + "_total" if isinstance(metric, metrics.Counter) else name
        for name, metric in ((m._name, m) for m in vars(metrics).values() if hasattr(m, "_name"))
    }
    queried = set(re.findall(r"\bkb_\w+", (KUBERNETES / "monitoring" / "prometheusrule.yaml").read_text()))
    assert queried and queried <= exposed, queried - exposed
