"""The Dockerfile: hadolint's rules (no registry is reachable here, so the image is linted, not built),
and the promises the manifests and README rely on."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in (raw.strip() for raw in joined.splitlines())
        if line and not line.startswith("#")
    ]


def test_hadolint_finds_nothing_to_fix():
    hadolint = Path(sys.executable).with_name("hadolint")
    if not hadolint.exists():
        pytest.fail(f"hadolint is not installed beside {sys.executable}: pip install -r requirements-dev.txt")
    result = subprocess.run([str(hadolint), str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_starts_with_the_tested_entrypoint_as_a_non_root_user():
    found = instructions()
    assert ("ENTRYPOINT", '["/app/deploy/entrypoint.sh"]') in found
    users = [argument for name, argument in found if name == "USER"]
    assert users and not users[-1].startswith(("root", "0")), users
    assert sum(1 for name, _ in found if name == "FROM") >= 2, "multi-stage: the build tools stay out of the image"


def test_the_healthcheck_asks_healthz_on_the_port_gunicorn_binds():
    healthchecks = [argument for name, argument in instructions() if name == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert "http://127.0.0.1:8000/healthz" in healthchecks[0]
    assert 'os.environ.get("KB_BIND", "0.0.0.0:8000")' in (ROOT / "deploy" / "gunicorn.conf.py").read_text()


def test_static_files_are_collected_when_the_image_is_built():
    runs = " ".join(argument for name, argument in instructions() if name == "RUN")
    assert "manage.py collectstatic" in runs
