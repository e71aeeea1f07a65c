"""After an upgrade that renders documents otherwise (here: headings' anchors in any script), `manage.py reindex`
saves again the documents whose rendering changed, so their pages, sections, search rows and mentions agree."""

from io import StringIO

import pytest
from django.core.management import call_command
from markdown.extensions import toc

from kb.markdown import rendering
from kb.models import Document, Mention, Revision

pytestmark = pytest.mark.django_db

GERMAN = """# Runbook: SicherungFehlgeschlagen

Der nächtliche Job auf `backup-01` ist fehlgeschlagen.

## Maßnahmen

Die Datei `/etc/restic/env` prüfen, siehe [Überprüfung](#überprüfung).

## Überprüfung

In `/etc/restic/env` das Passwort prüfen.
"""

PLAYBOOKS = """# Speicher-Playbooks

## Alerts

### VolumeAlmostFull

Das Volume `data-01` ist fast voll.

#### Maßnahmen

Alte Snapshots auf `data-01` löschen.

### VolumeReadOnly

Das Volume `data-02` ist nur lesbar.

#### Maßnahmen

Den Knoten `storage-02` neu starten.
"""

ENGLISH = """# Runbook: DiskFull

## Mitigation

Delete old logs on `web-01`.
"""


def run(command: str, *args) -> str:
    out = StringIO()
    call_command(command, *map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


def rendered_with(slugify, monkeypatch) -> None:
    """This thread's renderer built again with `slugify` for headings' anchors."""
    monkeypatch.setattr(rendering, "slugify_unicode", slugify)
    monkeypatch.delattr(rendering._instances, "md", raising=False)


def imported_as_before(tmp_path, monkeypatch, files: dict[str, str]) -> None:
    """`files` imported as the code before the upgrade stored them: headings' anchors of ASCII letters only."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    rendered_with(toc.slugify, monkeypatch)
    run("import_docs", folder)
    monkeypatch.undo()
    monkeypatch.delattr(rendering._instances, "md", raising=False)


def stored(identity: str) -> Document:
    return Document.objects.get(identity=identity)


def test_reindex_renders_again_the_documents_an_older_version_rendered_otherwise(tmp_path, monkeypatch, client):
    imported_as_before(tmp_path, monkeypatch, {"sicherung.md": GERMAN, "speicher.md": PLAYBOOKS, "disk.md": ENGLISH})
    german, english = stored("sicherung.md"), stored("disk.md")
    part = stored("speicher.md#VolumeAlmostFull")
    assert [s.anchor for s in german.sections.order_by("position")] == ["manahmen", "uberprufung"]
    assert "manahmen" in [s.anchor for s in part.sections.all()]
    revisions = Revision.objects.count()

    out = run("reindex")

    # The German file, the playbooks file and its two alert sections' runbooks; not the English file.
    assert "documents rendered again: 4 saved again" in out and "of 3 files read" in out
    german_now, english_now, part_now = (
        stored("sicherung.md"),
        stored("disk.md"),
        stored("speicher.md#VolumeAlmostFull"),
    )
    assert [s.anchor for s in german_now.sections.order_by("position")] == ["maßnahmen", "überprüfung"]
    assert 'id="maßnahmen"' in german_now.html and 'href="#überprüfung"' in german_now.html
    assert "maßnahmen" in [s.anchor for s in part_now.sections.all()]
    # A new version for the pages cached by version, no new revision: the text is the same.
    assert (german_now.version, part_now.version, english_now.version) == (
        german.version + 1,
        part.version + 1,
        english.version,
    )
    assert Revision.objects.count() == revisions
    assert german_now.source_text == german.source_text and german_now.archived is False
    # Its mentions and search rows lead to the headings the page now has.
    assert set(
        Mention.objects.filter(document=german_now, entity__name="/etc/restic/env").values_list("anchor", flat=True)
    ) == {
        "maßnahmen",
        "überprüfung",
    }
    page = client.get(german_now.get_absolute_url()).content.decode()
    assert 'id="maßnahmen"' in page
    hits = client.get("/api/search", {"q": "Snapshots löschen"}).json()["results"]
    assert any(hit["url"].endswith("#ma%C3%9Fnahmen") for hit in hits), hits

    # Nothing changed since: a second reindex saves nothing again.
    assert "documents rendered again: 0 saved again" in run("reindex")


def test_a_document_that_now_reads_as_another_kind_is_named_and_the_others_are_rendered_again(tmp_path, monkeypatch):
    imported_as_before(tmp_path, monkeypatch, {"sicherung.md": GERMAN, "disk.md": ENGLISH})
    # Stored as a runbook; today's parser reads its text as a post-mortem (say, a better reading of its kind).
    postmortem = "# 2026-03-01 Disk full on web-01\n\n**Severity:** SEV2\n\n## Summary\n\nThe disk filled up.\n"
    Document.objects.filter(identity="disk.md").update(source_text=postmortem)
    out, err = StringIO(), StringIO()

    call_command("reindex", stdout=out, stderr=err)

    assert "disk.md" in err.getvalue() and "now reads as a" in err.getvalue()
    assert "documents rendered again: 1 saved again" in out.getvalue() and "search index rebuilt" in out.getvalue()
    assert [s.anchor for s in stored("sicherung.md").sections.order_by("position")] == ["maßnahmen", "überprüfung"]
    assert stored("disk.md").kind == "runbook"
