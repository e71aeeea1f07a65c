"""Real Git repositories made in each test: a bare "forge" repository and a clone the team pushes from."""

import subprocess
from pathlib import Path

import pytest

RUNBOOK = """# Certificate expiring on the ingress ({alert})

## Alert
`{alert}` fires when a certificate served by the ingress in namespace `ingress` expires within 14 days.

## Fix
1. Check the certificate: `kubectl -n ingress get certificate`
2. Renew it: `cmctl renew -n ingress wildcard`
"""

POSTMORTEM = """# Post-mortem: 2026-03-02 DNS outage

| Field | Value |
|-------|-------|
| **Date** | 2026-03-02 |
| **Severity** | SEV2 |

## Summary
CoreDNS ran out of memory and every lookup in the cluster failed for 40 minutes.

## Action items
- [ ] Raise the CoreDNS memory limit
"""


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=30).stdout


class Upstream:
    """The team's side: a clone of the bare repository the knowledge base syncs from."""

    def __init__(self, root: Path):
        self.bare = root / "forge" / "runbooks.git"
        self.work = root / "team"
        self.bare.mkdir(parents=True)
        git(self.bare, "init", "--quiet", "--bare", "--initial-branch=main")
        git(root, "clone", "--quiet", str(self.bare), str(self.work))
        git(self.work, "config", "user.name", "Tess Team")
        git(self.work, "config", "user.email", "tess@example.org")
        git(self.work, "checkout", "--quiet", "-b", "main")

    def write(self, path: str, text: str) -> None:
        file = self.work / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)
        git(self.work, "add", path)

    def move(self, old: str, new: str) -> None:
        (self.work / new).parent.mkdir(parents=True, exist_ok=True)
        git(self.work, "mv", old, new)

    def commit(self, message: str, *, push: bool = True) -> str:
        git(self.work, "commit", "--quiet", "-m", message)
        if push:
            git(self.work, "push", "--quiet", "origin", "main")
        return git(self.work, "rev-parse", "HEAD").strip()

    def run(self, *args: str) -> str:
        return git(self.work, *args)


@pytest.fixture
def upstream(tmp_path, settings) -> Upstream:
    repository = Upstream(tmp_path)
    settings.KB_GIT_URL = str(repository.bare)
    settings.KB_GIT_BRANCH = "main"
    settings.KB_GIT_PATHS = []
    settings.KB_GIT_CACHE = tmp_path / "cache"
    settings.KB_GIT_WEB_URL = "https://git.example.org/ops/runbooks/src/commit/{commit}/{path}"
    return repository


@pytest.fixture
def populated(upstream) -> Upstream:
    """Two runbooks and a post-mortem, pushed."""
    upstream.write("runbooks/CertificateExpiringSoon.md", RUNBOOK.format(alert="CertificateExpiringSoon"))
    upstream.write("runbooks/DiskFull.md", RUNBOOK.format(alert="DiskFull").replace("Certificate expiring", "Disk"))
    upstream.write("postmortems/2026-03-02-dns-outage.md", POSTMORTEM)
    upstream.write("README.md", "# Our runbooks\n")
    upstream.commit("runbooks and the DNS post-mortem")
    return upstream
