"""`python manage.py export_docs DIR` and the per-document markdown downloads."""

import re
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kb.authoring import saving
from kb.authoring.edits import ResolutionDraft
from kb.authoring.to_markdown import FollowUpDraft, PostMortemDraft, SectionDraft
from kb.models import Alert, Document, Incident, PostMortem, Runbook
from tests.authoring_support import SEED_POSTMORTEM, SEED_RUNBOOK

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> dict[str, dict]:
    """Every document as the API and the pages see it, by identity."""
    documents = {}
    for document in Document.objects.filter(archived=False).order_by("identity"):
        fields = {
            "kind": document.kind,
            "slug": document.slug,
            "title": document.title,
            "text": document.source_text,
            "metadata": document.metadata,
            "html": document.html,
            "warnings": document.warnings,
            "sections": list(document.sections.values_list("heading", "level", "anchor", "markdown")),
            "incidents": sorted(document.incidents_named.values_list("reference", flat=True)),
        }
        if document.kind == "runbook":
            runbook = Runbook.objects.select_related("alert").get(pk=document.pk)
            fields |= {
                "alert": runbook.alert.name if runbook.alert else None,
                "labels": runbook.labels,
                "history": list(
                    runbook.resolution_entries.values_list("date", "incidents", "old", "new", "notes", "cells")
                ),
            }
        elif document.kind == "postmortem":  # a note has no fields beyond its text and sections
            pm = PostMortem.objects.get(pk=document.pk)
            fields |= {
                "facts": (pm.date, pm.duration, pm.severity, pm.affected, pm.status, pm.summary),
                "follow_ups": list(pm.follow_ups.values_list("text", "status", "owner", "due")),
                "lessons": list(pm.lessons.values_list("text", flat=True)),
            }
        documents[document.identity] = fields
    return documents


def edit_some_on_the_web(author) -> None:
    """A resolution added, a follow-up ticked, a post-mortem rewritten and one written from scratch."""
    saving.resolution_add(
        runbook=Runbook.objects.get(slug=SEED_RUNBOOK),
        entry=ResolutionDraft(date(2026, 3, 1), ["#240"], "1Gi", "2Gi", "again"),
        author=author,
    )
    seed = PostMortem.objects.get(slug=SEED_POSTMORTEM)
    saving.follow_up_status_change(
        postmortem=seed, position=0, text=seed.follow_ups.get(position=0).text, status="done", author=author
    )
    dfds = PostMortem.objects.filter(identity__startswith="dfds/").order_by("identity").first()
    draft = saving.postmortem_stored_draft(dfds)
    draft.status = "Closed after review"
    saving.postmortem_save(draft=draft, postmortem=dfds, expected_version=dfds.version, author=author)
    saving.postmortem_save(
        draft=PostMortemDraft(
            title="Traefik returned 502 for ten minutes",
            date=date(2026, 8, 1),
            severity="SEV2",
            summary="Bad config (#412).",
            sections=[SectionDraft("Fix", "Rolled back.")],
            follow_ups=[FollowUpDraft("Lint the config", owner="erin")],
            lessons=["Lint before deploying"],
        ),
        postmortem=None,
        expected_version=0,
        author=author,
    )


@pytest.mark.corpus
def test_an_export_imported_into_an_empty_database_gives_the_same_documents(seeds, corpus, editor, tmp_path):
    for folder in (seeds, corpus / "runbooks", corpus / "postmortems"):
        run("import_docs", folder)
    edit_some_on_the_web(editor)
    out = run("export_docs", tmp_path / "export")
    # A file with many alerts is written once, with the runbook of each of its alert sections in it.
    files = Document.objects.exclude(runbook__part_anchor__gt="").count()
    assert out.strip().splitlines()[-1] == f"{files} written (4 edited on the web)"
    before = snapshot()

    Document.objects.all().delete()
    Incident.objects.all().delete()
    Alert.objects.all().delete()
    summary = run("import_docs", tmp_path / "export").strip().splitlines()[-1]
    assert re.sub(r" \(.*?\)", "", summary) == f"{files} created, 0 updated, 0 unchanged, 0 skipped, 0 failed"
    after = snapshot()
    assert after.keys() == before.keys()
    for identity in before:
        assert after[identity] == before[identity], identity


@pytest.mark.corpus
def test_a_document_never_edited_is_written_back_byte_for_byte(seeds, shared_seeds, corpus, tmp_path):
    for folder in (seeds, shared_seeds, corpus / "runbooks", corpus / "postmortems"):
        run("import_docs", folder)
    run("export_docs", tmp_path)
    for document in Document.objects.exclude(runbook__part_anchor__gt=""):
        assert (tmp_path / document.identity).read_bytes() == Path(document.source_path).read_bytes(), document.identity


def test_bom_and_crlf_survive_export_and_download(client, tmp_path):
    raw = "\ufeff# Disk (DiskFull)\r\n\r\n## Fix\r\n\r\nGrow it.\r\n".encode()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "disk.md").write_bytes(raw)
    run("import_docs", tmp_path / "in")
    run("export_docs", tmp_path / "out")
    assert (tmp_path / "out" / "disk.md").read_bytes() == raw
    response = client.get("/runbooks/disk.md")
    assert response.content == raw
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="disk.md"'


def test_a_document_named_by_front_matter_id_is_written_under_its_file_name(client, tmp_path):
    (tmp_path / "in" / "deep").mkdir(parents=True)
    (tmp_path / "in" / "deep" / "KubeletDown.md").write_text(
        "---\nid: kubelet-down\n---\n# Kubelet down\n\n## Fix\n\nRestart.\n"
    )
    run("import_docs", tmp_path / "in")
    assert Document.objects.get().identity == "id:kubelet-down"
    run("export_docs", tmp_path / "out")
    assert (tmp_path / "out" / "KubeletDown.md").exists()
    assert client.get("/runbooks/kubelet-down.md")["Content-Disposition"] == 'attachment; filename="KubeletDown.md"'


def test_a_runbook_written_on_the_web_with_front_matter_id_is_written_under_its_slug(editor, client, tmp_path):
    text = "---\nid: disk-full\n---\n# Disk full (DiskFull)\n\n## Fix\n\nGrow it.\n"
    saving.runbook_save(text=text, runbook=None, expected_version=0, author=editor)
    run("export_docs", tmp_path)
    assert (tmp_path / "disk-full.md").read_text() == text
    assert client.get("/runbooks/disk-full.md")["Content-Disposition"] == 'attachment; filename="disk-full.md"'


def test_a_postmortem_written_on_the_web_is_exported_under_postmortems(editor, tmp_path, client):
    saving.postmortem_save(
        draft=PostMortemDraft(title="Readme outage", summary="x"), postmortem=None, expected_version=0, author=editor
    )
    out = run("export_docs", tmp_path)
    assert (tmp_path / "postmortems" / "readme-outage.md").read_text().startswith("# Readme outage\n")
    assert "warning" not in out
    assert client.get("/postmortems/readme-outage.md").status_code == 200


def test_it_imports_back_documents_whose_titles_read_like_files_the_importer_skips(editor, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "helm-template-outage.md").write_text("# Helm template outage post-mortem\n\n## Summary\n\nx\n")
    run("import_docs", tmp_path / "in")
    for title in ("Template engine outage", "README", "Postmortem template"):
        saving.postmortem_save(
            draft=PostMortemDraft(title=title, summary="x"), postmortem=None, expected_version=0, author=editor
        )
    out = run("export_docs", tmp_path / "out")
    assert "warning" not in out.lower()
    before = snapshot()

    Document.objects.all().delete()
    summary = run("import_docs", tmp_path / "out").strip().splitlines()[-1]
    assert summary == "4 created (4 post-mortems), 0 updated, 0 unchanged, 0 skipped, 0 failed"
    assert snapshot() == before
    assert sorted(Document.objects.values_list("title", flat=True)) == [
        "Helm template outage post-mortem",
        "Postmortem template",
        "README",
        "Template engine outage",
    ]


def test_archived_documents_are_left_out_unless_asked_for(seeds, tmp_path):
    run("import_docs", seeds)
    Document.objects.filter(kind="runbook").update(archived=True)
    assert (
        run("export_docs", tmp_path / "a").strip().endswith("1 written (0 edited on the web), 1 archived not written")
    )
    assert run("export_docs", tmp_path / "b", "--include-archived").strip().endswith("2 written (0 edited on the web)")


def test_exporting_onto_a_file_fails_with_its_name(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(CommandError, match="file exists and is not a directory"):
        run("export_docs", tmp_path / "file")


def test_a_missing_document_download_is_a_404(client):
    assert client.get("/runbooks/nope.md").status_code == 404
    assert client.get("/postmortems/nope.md").status_code == 404
