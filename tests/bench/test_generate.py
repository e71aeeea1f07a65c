"""bench/generate.py: the generated knowledge base the scale benchmark measures must be the same on every run
and must import whole, or the benchmark would measure failures."""

import json
from pathlib import Path

import pytest

from bench.generate import main as generate
from kb.alerting.webhook import parse_webhook, webhook_store
from kb.documents.importing import import_paths
from kb.models import Alert, Incident, PostMortem, Runbook

SIZE = ["--runbooks", "16", "--postmortems", "8", "--incidents", "120", "--group-size", "50"]
EXTRA = ["--extra-runbooks", "5", "--extra-postmortems", "2"]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def generated(tmp_path) -> Path:
    out = tmp_path / "kb"
    assert generate([*SIZE, *EXTRA, "--out", str(out)]) == 0
    return out


def test_the_same_seed_writes_the_same_bytes(generated, tmp_path):
    again = tmp_path / "again"
    generate([*SIZE, *EXTRA, "--out", str(again)])
    assert _files(again) == _files(generated)


def test_another_seed_writes_other_documents(generated, tmp_path):
    other = tmp_path / "other"
    generate([*SIZE, *EXTRA, "--seed", "13", "--out", str(other)])
    assert _files(other) != _files(generated)


def test_it_refuses_to_write_into_a_directory_that_is_not_empty(generated, capsys):
    with pytest.raises(SystemExit):
        generate([*SIZE, "--out", str(generated)])
    assert str(generated) in capsys.readouterr().err


@pytest.mark.django_db
def test_every_generated_document_imports_as_the_manifest_counts(generated):
    manifest = json.loads((generated / "manifest.json").read_text())
    report = import_paths([generated / d for d in manifest["document_dirs"]])
    failed = [(r.path, r.message) for r in report.results if r.outcome != "created"]
    assert failed == []
    assert Runbook.objects.count() == manifest["runbooks"] == 16
    assert PostMortem.objects.count() == manifest["postmortems"] == 8
    assert Alert.objects.count() == manifest["alerts_with_runbooks"]
    assert not Runbook.objects.filter(alert__isnull=True).exists()
    assert not PostMortem.objects.filter(date__isnull=True).exists()
    assert Incident.objects.count() == manifest["incidents_in_documents"] > 0

    for group in sorted((generated / "alertmanager").glob("*.json")):
        webhook_store(payload=parse_webhook(group.read_bytes()))
    assert Incident.objects.count() == manifest["incidents_in_documents"] + manifest["incidents"]
    assert Alert.objects.count() == manifest["alerts_with_runbooks"] + manifest["alerts_firing_without_runbook"]

    extra = manifest["extra"]
    report = import_paths([generated / d for d in extra["document_dirs"]])
    assert [(r.path, r.message) for r in report.results if r.outcome != "created"] == []
    assert Runbook.objects.count() == 16 + extra["runbooks"] == 21
    assert PostMortem.objects.count() == 8 + extra["postmortems"] == 10
    assert Alert.objects.count() == (
        manifest["alerts_with_runbooks"] + manifest["alerts_firing_without_runbook"] + extra["alerts_with_runbooks"]
    )
    assert Incident.objects.count() == (
        manifest["incidents_in_documents"] + manifest["incidents"] + extra["incidents_in_documents"]
    )
