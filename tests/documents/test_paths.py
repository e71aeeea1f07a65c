"""`import_docs` and `export_docs` read and write only inside the paths they are given."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kb.models import Document, Runbook

pytestmark = pytest.mark.django_db

RUNBOOK = "# Disk almost full (NodeDiskAlmostFull)\n\n## Fix\n\nGrow the volume.\n"
SECRET = "# Secret (SecretLeaked)\n\n## Fix\n\nThis file is outside the imported folder.\n"


def import_docs(*paths) -> tuple[str, bool]:
    out = StringIO()
    try:
        call_command("import_docs", *map(str, paths), stdout=out, stderr=StringIO())
    except CommandError as exc:
        return out.getvalue() + str(exc), False
    return out.getvalue(), True


def export_docs(directory: Path) -> str:
    out = StringIO()
    call_command("export_docs", str(directory), stdout=out)
    return out.getvalue()


@pytest.fixture
def trees(tmp_path) -> tuple[Path, Path]:
    """A folder of documents and, beside it, a folder with a secret the first one links to."""
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    (docs / "runbooks").mkdir(parents=True)
    outside.mkdir()
    (docs / "runbooks" / "disk.md").write_text(RUNBOOK)
    (outside / "secret.md").write_text(SECRET)
    return docs, outside


def test_a_link_to_a_file_outside_the_folder_is_skipped_and_named(trees):
    docs, outside = trees
    (docs / "runbooks" / "leak.md").symlink_to(outside / "secret.md")
    out, ok = import_docs(docs)
    assert ok
    assert f"skipped   {docs}/runbooks/leak.md: symbolic link to a file outside the imported folder" in out
    assert list(Document.objects.values_list("title", flat=True)) == ["Disk almost full (NodeDiskAlmostFull)"]


def test_a_link_to_a_folder_outside_is_skipped_and_nothing_in_it_is_read(trees):
    docs, outside = trees
    (docs / "elsewhere").symlink_to(outside, target_is_directory=True)
    out, _ok = import_docs(docs)
    assert f"skipped   {docs}/elsewhere: symbolic link to a folder outside the imported folder" in out
    assert not Document.objects.filter(title__startswith="Secret").exists()


def test_a_link_inside_the_folder_still_imports(trees):
    docs, _outside = trees
    (docs / "runbooks" / "disk-again.md").symlink_to(docs / "runbooks" / "disk.md")
    _out, ok = import_docs(docs)
    assert ok
    assert Document.objects.count() == 2


def test_a_folder_given_through_a_link_is_read_whole(trees, tmp_path):
    docs, _outside = trees
    (tmp_path / "current").symlink_to(docs, target_is_directory=True)
    _out, ok = import_docs(tmp_path / "current")
    assert ok
    assert Document.objects.get().identity == "runbooks/disk.md"


@pytest.mark.parametrize("name", ["bad\nname.md", "esc\x1b[31mred.md", "tab\there.md", "rtl\u202edm.exe"])
def test_a_file_name_with_control_characters_fails_with_its_name_escaped(trees, name):
    docs, _outside = trees
    (docs / name).write_text(RUNBOOK.replace("Disk", "Other"))
    out, ok = import_docs(docs)
    assert not ok
    escaped = name.encode("unicode_escape").decode()
    assert f"failed    {docs}/{escaped}: file name has control characters" in out
    assert "\x1b" not in out and "\u202e" not in out
    assert Document.objects.count() == 1


def test_a_file_name_that_is_not_utf8_fails_with_its_bytes_shown(trees):
    docs, _outside = trees
    with open(bytes(docs) + b"/latin\xe9.md", "wb") as file:
        file.write(RUNBOOK.encode())
    out, ok = import_docs(docs)
    assert not ok
    assert "latin\\udce9.md: file name has control characters or bytes that are not UTF-8" in out


def test_dot_dot_and_absolute_paths_in_front_matter_never_reach_the_file_system(tmp_path):
    docs, out_dir = tmp_path / "docs", tmp_path / "export"
    docs.mkdir()
    (docs / "a.md").write_text("---\nid: ../../../etc/passwd\nslug: ../../escape\n---\n" + RUNBOOK)
    (docs / "b.md").write_text("---\nid: /etc/shadow\nslug: /tmp/x\n---\n" + RUNBOOK.replace("Disk", "Memory"))
    import_docs(docs)
    assert sorted(Document.objects.values_list("slug", flat=True)) == ["escape", "tmpx"]
    export_docs(out_dir)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["docs/a.md", "docs/b.md", "export/a.md", "export/b.md"]
    assert (out_dir / "a.md").read_bytes() == (docs / "a.md").read_bytes()


def test_a_stored_path_leading_out_of_the_folder_is_written_inside_it_with_a_warning(trees, tmp_path):
    docs, _outside = trees
    import_docs(docs)
    Runbook.objects.update(identity="../../escaped.md")
    out = export_docs(tmp_path / "export")
    assert "../../escaped.md: not a path inside the folder; written as runbooks/disk.md" in out
    assert (tmp_path / "export" / "runbooks" / "disk.md").read_text() == RUNBOOK
    assert not (tmp_path / "escaped.md").exists()


def test_export_does_not_write_through_a_link_already_in_the_folder(trees, tmp_path):
    docs, outside = trees
    import_docs(docs)
    target = tmp_path / "export"
    target.mkdir()
    (target / "runbooks").symlink_to(outside, target_is_directory=True)
    out = export_docs(target)
    assert "runbooks/disk.md: a symbolic link in" in out
    assert "not written" in out
    assert sorted(p.name for p in outside.iterdir()) == ["secret.md"]


def test_export_does_not_overwrite_a_file_outside_through_a_linked_file(trees, tmp_path):
    docs, outside = trees
    import_docs(docs)
    target = tmp_path / "export"
    (target / "runbooks").mkdir(parents=True)
    (target / "runbooks" / "disk.md").symlink_to(outside / "secret.md")
    out = export_docs(target)
    assert "runbooks/disk.md: a symbolic link in" in out and "leads outside it; not written" in out
    assert (outside / "secret.md").read_text() == SECRET
