"""`python manage.py import_docs`: what lands in the database, and what a user reads."""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kb.models import Document, Incident, PostMortem, Revision, Runbook

pytestmark = pytest.mark.django_db

RUNBOOK = """# Disk almost full (NodeDiskAlmostFull)

## Alert
`NodeDiskAlmostFull` for node `k8s-worker-1` in namespace `monitoring`.

## Fix
Grow the volume.

## Resolution History

| Date | Incident | Old Size | New Size | Notes |
|------|----------|----------|----------|-------|
| 2026-01-05 | #301 | 20Gi | 40Gi | grew |
"""


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_docs", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return path


def test_it_imports_both_seeds_with_their_structure(seeds):
    out, _ = run(seeds)
    assert (
        out.strip().splitlines()[-1]
        == "2 created (1 runbook, 1 post-mortem), 0 updated, 0 unchanged, 0 skipped, 0 failed"
    )
    runbook = Runbook.objects.get()
    assert runbook.alert.name == "HomelabPodOOMKilled"
    assert runbook.labels == {"container": "velero", "namespace": "velero"}
    assert runbook.sections.count() == 7
    (entry,) = runbook.resolution_entries.all()
    assert (str(entry.date), entry.incidents, entry.old, entry.new) == ("2026-02-24", ["#236", "#237"], "512Mi", "1Gi")
    assert sorted(i.reference for i in runbook.incidents_named.all()) == ["#236", "#237"]
    postmortem = PostMortem.objects.get()
    assert (str(postmortem.date), postmortem.severity) == ("2026-05-31", "SEV4")
    assert postmortem.lessons.count() == 3
    assert [f.status for f in postmortem.follow_ups.all()] == ["open", "open"]
    assert postmortem.reconstructed
    assert "structure reconstructed" in out


def test_the_original_text_is_kept_byte_for_byte(tmp_path):
    raw = "\ufeff# Disk (DiskFull)\r\n\r\n## Fix\r\n\r\nGrow it.\r\n".encode()
    write(tmp_path / "disk.md", raw)
    run(tmp_path)
    document = Document.objects.get()
    assert document.source_text.encode("utf-8") == raw
    assert document.revisions.get().source_text.encode("utf-8") == raw


@pytest.mark.corpus
def test_it_imports_the_whole_corpus_without_failures(corpus):
    out, _ = run(corpus / "runbooks", corpus / "postmortems")
    summary = out.strip().splitlines()[-1]
    assert summary.endswith("0 failed"), summary
    files = [p for p in (corpus / "runbooks" / "prometheus-operator").rglob("*") if p.is_file()]
    alerts = {p.name.split(".")[0] for p in files if p.name not in ("LICENSE", "_index.md")}
    runbook_alerts = set(Runbook.objects.values_list("alert__name", flat=True))
    assert alerts <= runbook_alerts  # the other collections' runbooks answer alerts too
    assert Runbook.objects.get(slug="cputhrottlinghigh").alert.name == "CPUThrottlingHigh"
    dfds = [p for p in (corpus / "postmortems" / "dfds").iterdir() if p.name.startswith("PM2")]
    dfds_postmortems = PostMortem.objects.filter(source_path__contains=f"{os.sep}dfds{os.sep}")
    assert dfds_postmortems.count() == len(dfds)
    assert dfds_postmortems.filter(date__isnull=False).count() >= len(dfds) - 1
    # Skipped, each with its reason: licences, READMEs, the template, Hugo section indexes.
    assert "LICENSE: repository file" in out
    assert "_index.md: front matter only" in out
    assert "template.md: template" in out


def test_reimporting_an_unchanged_file_changes_nothing(tmp_path):
    write(tmp_path / "disk.md", RUNBOOK)
    run(tmp_path)
    before = Runbook.objects.get()
    out, _ = run(tmp_path)
    after = Runbook.objects.get()
    assert out.strip().splitlines()[-1] == "0 created, 0 updated, 1 unchanged, 0 skipped, 0 failed"
    assert after.updated_at == before.updated_at
    assert after.version == before.version == 1
    assert Revision.objects.count() == 1


def test_a_changed_file_adds_a_revision_and_updates_every_field(tmp_path):
    path = write(tmp_path / "disk.md", RUNBOOK)
    run(tmp_path)
    write(
        path,
        RUNBOOK.replace(
            "| 2026-01-05 | #301 | 20Gi | 40Gi | grew |",
            "| 2026-01-05 | #301 | 20Gi | 40Gi | grew |\n| 2026-03-01 | #302 | 40Gi | 80Gi | again |",
        ),
    )
    out, _ = run(tmp_path)
    runbook = Runbook.objects.get()
    assert "1 updated" in out
    assert runbook.version == 2
    assert list(runbook.revisions.values_list("number", flat=True)) == [1, 2]
    assert [e.new for e in runbook.resolution_entries.all()] == ["40Gi", "80Gi"]
    assert Incident.objects.filter(reference="#302", documents=runbook).exists()


def test_each_bad_file_fails_with_its_name_and_the_others_still_import(tmp_path):
    write(tmp_path / "good.md", RUNBOOK)
    write(tmp_path / "latin1.md", b"# Caf\xe9 (CafeDown)\n\n## Fix\n\nx\n")
    write(tmp_path / "binary", b"\x7fELF\x00\x00\x01")
    write(tmp_path / "empty.md", b"")
    write(tmp_path / "huge.md", b"# Big (BigAlert)\n\n## Fix\n\n" + b"x" * (2 * 1024 * 1024))
    write(tmp_path / "diagram.png", b"\x89PNG\r\n\x1a\n")
    with pytest.raises(CommandError) as exc:
        run(tmp_path)
    assert str(exc.value) == "1 created (1 runbook), 0 updated, 0 unchanged, 1 skipped, 4 failed"
    assert Runbook.objects.get().alert.name == "NodeDiskAlmostFull"


def test_bad_files_are_reported_by_name_line_and_reason(tmp_path):
    write(tmp_path / "latin1.md", b"# Title\n\nCaf\xe9\n")
    write(tmp_path / "diagram.png", b"\x89PNG\r\n\x1a\n")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_docs", str(tmp_path), stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert f"failed    {tmp_path / 'latin1.md'}: line 3: invalid UTF-8 at byte offset 12" in text
    assert f"skipped   {tmp_path / 'diagram.png'}: not a markdown or text file (.png)" in text


def test_warnings_are_stored_on_the_document(tmp_path):
    write(tmp_path / "fence.md", "# Fix it (FenceAlert)\n\n## Fix\n\n```bash\nkubectl get pods\n")
    write(tmp_path / "ragged.md", RUNBOOK.replace("| grew |", ""))
    out, _ = run(tmp_path)
    fence = Runbook.objects.get(alert__name="FenceAlert")
    assert any("never closed" in w for w in fence.warnings)
    ragged = Runbook.objects.get(alert__name="NodeDiskAlmostFull")
    assert any("table row has 4 cells" in w for w in ragged.warnings)
    assert "never closed" in out


def test_an_unchanged_bad_file_does_not_touch_what_is_stored(tmp_path):
    path = write(tmp_path / "disk.md", RUNBOOK)
    run(tmp_path)
    write(path, b"# Disk\n\n\xff\xfe broken\n")
    with pytest.raises(CommandError):
        run(tmp_path)
    runbook = Runbook.objects.get()
    assert runbook.source_text == RUNBOOK
    assert runbook.revisions.count() == 1


def test_dry_run_reports_and_writes_nothing(tmp_path):
    write(tmp_path / "disk.md", RUNBOOK)
    out, _ = run("--dry-run", tmp_path)
    assert out.strip().splitlines()[-1] == "dry run: 1 created (1 runbook), 0 updated, 0 unchanged, 0 skipped, 0 failed"
    assert Document.objects.count() == 0


def test_prune_archives_documents_whose_files_vanished_and_deletes_nothing(tmp_path):
    write(tmp_path / "a.md", RUNBOOK)
    gone = write(tmp_path / "b.md", RUNBOOK.replace("NodeDiskAlmostFull", "OtherAlert"))
    run(tmp_path)
    gone.unlink()
    out, _ = run("--prune", tmp_path)
    assert "archived" in out and "b.md" in out
    assert Runbook.objects.get(alert__name="OtherAlert").archived
    assert not Runbook.objects.get(alert__name="NodeDiskAlmostFull").archived
    write(gone, RUNBOOK.replace("NodeDiskAlmostFull", "OtherAlert"))
    run(tmp_path)
    assert not Runbook.objects.get(alert__name="OtherAlert").archived


def test_front_matter_id_is_the_identity_wherever_the_file_moves(tmp_path):
    text = "---\nid: disk-runbook\n---\n" + RUNBOOK
    write(tmp_path / "one" / "disk.md", text)
    run(tmp_path / "one")
    write(tmp_path / "two" / "renamed.md", text + "\nMore.\n")
    run(tmp_path / "two")
    runbook = Runbook.objects.get()
    assert runbook.slug == "disk-runbook"
    assert runbook.revisions.count() == 2


def test_the_same_name_in_two_folders_gives_two_documents(tmp_path):
    write(tmp_path / "a" / "disk.md", RUNBOOK)
    write(tmp_path / "b" / "disk.md", RUNBOOK.replace("NodeDiskAlmostFull", "OtherAlert"))
    run(tmp_path)
    assert sorted(Runbook.objects.values_list("slug", flat=True)) == ["b-disk", "disk"]


def test_a_missing_path_fails_clearly(tmp_path):
    with pytest.raises(CommandError):
        out, _ = run(tmp_path / "nope")


@pytest.mark.corpus
def test_long_imports_show_progress(corpus):
    _, err = run(corpus / "runbooks")
    assert "… 25/" in err
