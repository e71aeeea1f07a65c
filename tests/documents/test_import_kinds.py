"""Importing a folder of every kind: runbooks, post-mortems, operations notes, and repository files skipped."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kb.models import Document, Note, PostMortem, Runbook, SearchEntry
from kb.search import search

pytestmark = pytest.mark.django_db

KINDS = Path(__file__).resolve().parents[1] / "fixtures" / "kinds"


def run(*paths) -> str:
    out = StringIO()
    call_command("import_docs", *map(str, paths), stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_summary_counts_each_kind_it_created():
    out = run(KINDS)
    assert out.strip().splitlines()[-1] == (
        "8 created (2 runbooks, 4 post-mortems, 2 notes), 0 updated, 0 unchanged, 3 skipped, 0 failed"
    )
    assert sorted(Note.objects.values_list("title", flat=True)) == [
        "Platform operations",
        "Rotating the ingress TLS certificates",
    ]
    assert PostMortem.objects.filter(title="Incident on 2024-06-12 - Worker nodes NotReady").exists()


def test_repository_files_are_skipped_by_name_whatever_they_start_with():
    out = run(KINDS)
    # OWNERS starts like a markdown heading; none of them becomes a runbook for an alert "OWNERS".
    for name in ("OWNERS", "SOURCE.txt", "Makefile"):
        assert f"{KINDS / name}: repository file ({name}), not a document" in out
    assert not Document.objects.filter(title__in=["OWNERS", "SOURCE", "Makefile"]).exists()
    assert not Runbook.objects.filter(alert__name="OWNERS").exists()


def test_a_note_is_saved_with_its_sections_and_found_by_search():
    run(KINDS)
    note = Note.objects.get(title="Rotating the ingress TLS certificates")
    assert note.get_absolute_url() == "/notes/rotate-tls-certificates/"
    assert [s.heading for s in note.sections.all()] == ["Prerequisites", "Steps", "Verification"]
    assert note.revisions.count() == 1
    assert SearchEntry.objects.filter(document=note, kind="note").exists()
    hits = search(query="rotating ingress certificates", limit=5).hits
    assert hits[0].kind == "note" and hits[0].url.startswith("/notes/rotate-tls-certificates/")


def test_a_dry_run_counts_the_kinds_it_would_create():
    out = run("--dry-run", KINDS)
    assert out.strip().splitlines()[-1].startswith("dry run: 8 created (2 runbooks, 4 post-mortems, 2 notes)")
    assert Document.objects.count() == 0


def test_a_note_that_turns_into_a_runbook_on_reimport_fails_asking_for_kind(tmp_path):
    shutil.copy(KINDS / "ops" / "rotate-tls-certificates.md", tmp_path / "rotate.md")
    run(tmp_path)
    text = (tmp_path / "rotate.md").read_text()
    (tmp_path / "rotate.md").write_text(text.replace("# Rotating the ingress TLS certificates", "# Runbook: TLS"))
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_docs", str(tmp_path), stdout=out, stderr=StringIO())
    assert "1 failed" in str(exc.value)
    assert "was imported as a Note and now reads as a Runbook; set `kind:` in its front matter" in out.getvalue()
    assert Note.objects.get().title == "Rotating the ingress TLS certificates"
    assert not Runbook.objects.exists()
