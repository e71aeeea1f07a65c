"""deploy/kubernetes: the CronJob that runs sync_git, on SQLite beside the web pod and on PostgreSQL
without a volume. (Schema validation of every manifest is tests/ops/test_manifests.py's.)"""

import functools

import pytest
from django.core.management import get_commands

from tests.ops import test_manifests
from tests.ops.test_manifests import KUBERNETES, named


@functools.cache
def _built(overlay: str) -> list[dict]:
    return test_manifests.built(KUBERNETES / overlay)


def built(folder) -> list[dict]:
    """`kubectl kustomize`, once per overlay for this module."""
    return _built(str(folder.relative_to(KUBERNETES)))


def sync_pod(overlay: str) -> dict:
    objects = built(KUBERNETES / overlay)
    cronjob = named(objects, "CronJob", "kb-git-sync")
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    return cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"], named(objects, "ConfigMap", "kb-config")


@pytest.mark.parametrize("overlay", ["base", "overlays/postgresql"])
def test_the_cronjob_runs_the_sync_git_command_through_the_entrypoint(overlay):
    pod, _config = sync_pod(overlay)
    container = pod["containers"][0]
    assert container["args"] == ["manage", "sync_git"] and "sync_git" in get_commands()
    assert (
        container["image"]
        == named(built(KUBERNETES / overlay), "Deployment", "kb")["spec"]["template"]["spec"]["containers"][0]["image"]
    )


def test_on_sqlite_the_sync_shares_the_database_volume_and_keeps_its_clone_there():
    pod, config = sync_pod("base")
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["data"]["persistentVolumeClaim"]["claimName"] == "kb-data"
    assert config["data"]["KB_GIT_CACHE"].startswith("/data/")
    # ReadWriteOnce: on the node of the web pod.
    affinity = pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert affinity["labelSelector"]["matchLabels"]["app.kubernetes.io/component"] == "web"


def test_on_postgresql_the_sync_has_no_volume_and_takes_the_database_from_its_secret():
    pod, _config = sync_pod("overlays/postgresql")
    assert "persistentVolumeClaim" not in str(pod["volumes"]) and "affinity" not in pod
    env = {item["name"]: item for item in pod["containers"][0]["env"]}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "kb-database"
