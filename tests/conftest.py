import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EXAMPLES = ROOT / "examples"
IN_CI = os.environ.get("CI") == "true"


def require(path: Path, what: str) -> Path:
    """A path outside the project: skipped with a reason when absent, but a failure in CI."""
    if not path.exists():
        if IN_CI:
            pytest.fail(f"{what} is missing at {path}; CI must have ../shared beside the checkout")
        pytest.skip(f"{what} not found at {path}")
    return path


@pytest.fixture
def seeds() -> Path:
    return require(SHARED / "seeds", "the seed documents")


@pytest.fixture
def corpus() -> Path:
    return require(SHARED / "corpus", "the shared corpus")


@pytest.fixture
def seed_runbook(seeds) -> Path:
    return seeds / "000_2c0d5e53b423be66.txt"


@pytest.fixture
def seed_postmortem(seeds) -> Path:
    return seeds / "004_3c076beea237fb3e.txt"


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_db_blocker):
    """Pages run with DEBUG=False, as in production, so their static files must be collected."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("collectstatic", interactive=False, verbosity=0)
