"""What every benchmark script shares: where the project and ../shared are, and Django on a throwaway SQLite file.

A package, not a bench/*.py module, so that `make bench` (which runs every bench/*.py) does not run it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def setup_django(database: Path) -> None:
    """Django on the SQLite file `database`, migrated."""
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_DEBUG", "True")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
