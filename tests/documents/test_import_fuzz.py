"""Whatever bytes a file holds, `import_docs` imports it or fails naming it, and a file that fails
changes nothing stored.

The short form runs in CI; `make soak` runs it with KB_FUZZ_EXAMPLES=2000.
"""

import os
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.documents.importing import import_paths
from kb.models import Document

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("KB_FUZZ_EXAMPLES", "12"))
SEED = (Path(__file__).resolve().parents[1] / "fixtures" / "seeds" / "velero-oomkilled.txt").read_bytes()
FRAGMENTS = [
    b"\n# ",
    b"\n## History\n",
    b"| a | b |\n|---|---|\n",
    b"```\n",
    b"~~~",
    b"---\n",
    b"\nkind: runbook\n",
    b"- [ ] ",
    b"[",
    b"](",
    b"<details>",
    b"<body>",
    b"{{< ref x >}}",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\r",
    b"\xef\xbb\xbf",
]


@st.composite
def mutated(draw) -> bytes:
    """The seed runbook with something done to it, as a hand, a tool or an attacker would."""
    data = SEED
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "cut", "flatten", "repeat", "noise", "table", "nest"]))
        if action == "insert":
            data = data[:at] + draw(st.sampled_from(FRAGMENTS)) + data[at:]
        elif action == "cut":
            data = data[:at]
        elif action == "flatten":  # pasted through a chat tool
            data = data.replace(b"\n", b" ")
        elif action == "repeat":  # a megabyte line
            data = data[:at] + draw(st.sampled_from([b"|", b"*", b"[", b"`", b"#", b"a"])) * 1_000_000 + data[at:]
        elif action == "noise":
            data = data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
        elif action == "table":
            row = b"| " + b" | ".join([b"cell"] * draw(st.integers(1, 50))) + b" |\n"
            data = (
                data[:at] + b"\n" + row + row.replace(b"cell", b"----") + row * draw(st.integers(1, 2000)) + data[at:]
            )
        else:  # deep nesting: lists and quotes inside each other
            depth = draw(st.integers(1, 200))
            data = data[:at] + b"\n" + b"".join(b"  " * i + b"- > item\n" for i in range(depth)) + data[at:]
    return data


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(content=mutated())
def test_any_file_imports_or_fails_naming_itself_and_a_failure_changes_nothing(folder, content):
    path = folder / "velero-oomkilled.md"
    with transaction.atomic():
        path.write_bytes(SEED)
        (first,) = import_paths([folder]).results
        assert first.outcome == "created"
        before = Document.objects.values_list("identity", "version", "content_hash", "title").get()
        path.write_bytes(content)
        (result,) = import_paths([folder]).results  # never raises
        assert result.path == str(path)
        assert result.outcome in ("updated", "unchanged", "failed", "skipped"), result
        if result.outcome in ("failed", "skipped"):
            assert result.message
            assert Document.objects.values_list("identity", "version", "content_hash", "title").get() == before
        transaction.set_rollback(True)
