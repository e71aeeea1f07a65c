"""The layout of kb/ holds: the import contracts, module sizes and package docstrings.

- The import contracts are in pyproject.toml (`[tool.importlinter]`); this runs them as `make lint` does.
- A module under kb/ (migrations aside) has at most MAX_LINES lines, unless its module docstring
  says why it is longer with the phrase "over 400 lines because" followed by the reason, e.g.
  "Over 400 lines because the grammar is one table and reads best whole."
- Every package under kb/ says in its __init__ docstring what it owns and what it may import.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
KB = ROOT / "kb"
MAX_LINES = 400
# The phrase that lets a module be longer, then at least one word of reason.
OVER_LIMIT_REASON = re.compile(rf"over {MAX_LINES} lines because\s+\w", re.IGNORECASE)


def kb_modules() -> list[Path]:
    return sorted(path for path in KB.rglob("*.py") if "migrations" not in path.relative_to(KB).parts)


def kb_subpackages() -> list[Path]:
    return sorted(path.parent for path in kb_modules() if path.name == "__init__.py" and path.parent != KB)


def docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))) or ""


def test_import_contracts_are_kept():
    # lint-imports sits beside the Python running the tests (the project's .venv/bin).
    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        pytest.fail(f"import-linter is not installed beside {sys.executable}: pip install -r requirements-dev.txt")
    result = subprocess.run(
        [str(lint_imports), "--no-logo", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (
        f"import contracts broken (pyproject.toml [tool.importlinter]):\n{result.stdout}{result.stderr}"
    )


def test_modules_are_at_most_400_lines_or_say_why():
    too_long = []
    for path in kb_modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and not OVER_LIMIT_REASON.search(docstring(path)):
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not too_long, (
        f"modules over {MAX_LINES} lines: split them by what they do, or say in the module docstring "
        f'"over {MAX_LINES} lines because …":\n' + "\n".join(too_long)
    )


def test_every_kb_package_has_a_docstring():
    packages = kb_subpackages()
    assert KB / "search" in packages, "the packages were not found"
    missing = [
        str((package / "__init__.py").relative_to(ROOT))
        for package in packages
        if not docstring(package / "__init__.py").strip()
    ]
    assert not missing, "packages without a docstring saying what they own and may import:\n" + "\n".join(missing)


def test_over_limit_phrase_is_recognised():
    assert OVER_LIMIT_REASON.search('"""Rules.\n\nOver 400 lines because the grammar reads best whole."""')
    assert not OVER_LIMIT_REASON.search("over 400 lines because")
    assert not OVER_LIMIT_REASON.search("under 400 lines")
