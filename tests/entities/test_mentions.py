"""Mentions are written on every save, one document at a time; curation survives re-imports."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from kb.documents import importing
from kb.documents.saving import document_save
from kb.entities import curation, mentions
from kb.markdown.parsing import parse_document
from kb.models import Document, Entity, Mention

pytestmark = pytest.mark.django_db

KURED_PM = Path(__file__).parents[1] / "fixtures" / "entities" / "2026-05-16-kured-reboot-backlog.md"

POSTMORTEM = """# Post-mortem: disk full on k8s-worker-4

**Date:** 2026-07-01

## Summary

DiskFull stayed red for an hour on node `k8s-worker-4` while `/var/lib/containerd` grew.
"""
RUNBOOK = """---
kind: runbook
alert: DiskFull
---
# Disk full

## Mitigation

Free space under `/var/lib/containerd`.
"""


def run(*args) -> str:
    out = StringIO()
    call_command(*map(str, args), stdout=out, stderr=StringIO())
    return out.getvalue()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def mentioned(document: Document) -> set[str]:
    return set(Mention.objects.filter(document=document).values_list("entity__name", flat=True))


def test_saving_a_document_rewrites_its_mentions_and_no_others(tmp_path, seeds):
    run("import_docs", seeds)
    runbook_mentions = list(Mention.objects.filter(document__kind="runbook").values_list("pk", flat=True))
    pm = write(tmp_path / "pm.md", POSTMORTEM)
    run("import_docs", pm)
    document = Document.objects.get(identity="pm.md")
    assert {"k8s-worker-4", "/var/lib/containerd"} <= mentioned(document)
    write(pm, POSTMORTEM.replace("k8s-worker-4", "k8s-worker-5"))
    run("import_docs", pm)
    assert "k8s-worker-5" in mentioned(document) and "k8s-worker-4" not in mentioned(document)
    assert list(Mention.objects.filter(document__kind="runbook").values_list("pk", flat=True)) == runbook_mentions
    assert not Entity.objects.filter(name="k8s-worker-4").exists()  # no document names it any more


def test_a_web_save_through_document_save_extracts_too():
    document, _ = document_save(
        parse_document(POSTMORTEM, "web.md"),
        identity="web.md",
        source_path="",
        source_text=POSTMORTEM,
        reason="edited on the web",
    )
    assert "k8s-worker-4" in mentioned(document)


def test_a_runbook_imported_later_links_the_alert_in_earlier_postmortems(tmp_path):
    run("import_docs", write(tmp_path / "pm.md", POSTMORTEM))
    postmortem = Document.objects.get(identity="pm.md")
    assert "DiskFull" not in mentioned(postmortem)  # two words of CamelCase, no telling neighbour: no evidence
    run("import_docs", write(tmp_path / "rb" / "disk-full.md", RUNBOOK))
    assert "DiskFull" in mentioned(postmortem)
    assert Mention.objects.get(document__identity="disk-full.md", entity__name="DiskFull").subject is True


@pytest.mark.parametrize("runbook_file", ["a-disk-full.md", "z-disk-full.md"])
def test_one_import_links_the_alert_whether_its_runbook_comes_first_or_last(tmp_path, runbook_file):
    write(tmp_path / "m-postmortem.md", POSTMORTEM)
    write(tmp_path / runbook_file, RUNBOOK)
    run("import_docs", tmp_path)
    assert "DiskFull" in mentioned(Document.objects.get(identity="m-postmortem.md"))


def test_an_import_reads_the_vocabulary_once(tmp_path, seeds, monkeypatch):
    run("import_docs", seeds)  # an alert and entities to know
    reads, load = [], mentions.vocabulary_load

    def vocabulary_load():
        reads.append(1)
        return load()

    monkeypatch.setattr(importing, "vocabulary_load", vocabulary_load)
    monkeypatch.setattr(mentions, "vocabulary_load", vocabulary_load)
    for n in range(5):
        write(tmp_path / f"pm-{n}.md", POSTMORTEM.replace("k8s-worker-4", f"k8s-worker-{n}"))
    run("import_docs", tmp_path)
    assert Document.objects.count() == 7 and len(reads) == 1


def test_a_rename_keeps_the_old_name_as_an_alias_and_survives_reimport(tmp_path):
    pm = write(tmp_path / "pm.md", POSTMORTEM)
    run("import_docs", pm)
    curation.entity_rename(entity=Entity.objects.get(name="k8s-worker-4"), name="k8s-worker-4.home.lan")
    write(pm, POSTMORTEM + "\nLater k8s-worker-4 was drained.\n")
    run("import_docs", pm)
    entity = Entity.objects.get(name="k8s-worker-4.home.lan")
    assert [a.name for a in entity.aliases.all()] == ["k8s-worker-4"]
    assert sum(m.count for m in entity.mentions.all()) == 3
    assert not Entity.objects.filter(name="k8s-worker-4").exists()


def test_a_curated_kind_survives_reimport_and_relink(tmp_path):
    pm = write(tmp_path / "pm.md", POSTMORTEM)
    run("import_docs", pm)
    curation.entity_set_kind(entity=Entity.objects.get(name="/var/lib/containerd"), kind="component")
    write(pm, POSTMORTEM + "\nAgain `/var/lib/containerd`.\n")
    run("import_docs", pm)
    run("relink")
    assert Entity.objects.get(name="/var/lib/containerd").kind == "component"


def test_an_alias_finds_mentions_in_documents_already_imported(seeds):
    run("import_docs", seeds)
    entity = Entity.objects.get(name="kured-sentinel-gate")
    curation.entity_alias_add(entity=entity, alias="the gate pod")
    (mention,) = Mention.objects.filter(entity=entity, surface="the gate pod")
    assert mention.heading == "Contributing items (open, tracked separately)"
    assert mention.snippet.startswith("Until both are cleared")


def test_merging_moves_mentions_and_names(seeds):
    run("import_docs", seeds, KURED_PM)
    into = Entity.objects.get(name="kured_reboot_required")
    source = Entity.objects.get(name="container_oom_events_total")
    curation.entity_merge(source=source, into=into)
    assert not Entity.objects.filter(pk=source.pk).exists()
    assert [a.name for a in into.aliases.all()] == ["container_oom_events_total"]
    lessons = Mention.objects.get(entity=into, document__identity="kured-gate-oom.txt", heading="Lessons")
    assert lessons.count == 2  # both were named in the Lessons section
    run("relink")
    assert Mention.objects.filter(entity=into, document__identity="kured-gate-oom.txt").count() == 3


def test_an_ignored_entity_is_never_extracted_again(seeds):
    run("import_docs", seeds)
    curation.entity_ignore(entity=Entity.objects.get(name="/opt/data"))
    assert not Mention.objects.filter(entity__name="/opt/data").exists()
    run("relink")
    assert not Mention.objects.filter(entity__name="/opt/data").exists()
    assert Entity.objects.get(name="/opt/data").ignored


def test_curation_refuses_names_that_are_taken():
    a = Entity.objects.create(name="alpha-svc", kind="component")
    Entity.objects.create(name="beta-svc", kind="component")
    with pytest.raises(ValidationError, match="already the entity 'beta-svc'"):
        curation.entity_rename(entity=a, name="Beta-Svc")
    with pytest.raises(ValidationError, match="kind"):
        curation.entity_set_kind(entity=a, kind="planet")
    with pytest.raises(ValidationError, match="into itself"):
        curation.entity_merge(source=a, into=a)


def test_relink_rewrites_every_documents_mentions(seeds):
    run("import_docs", seeds)
    before = set(Mention.objects.values_list("entity__name", "document_id", "position", "count"))
    Mention.objects.all().delete()
    out = run("relink")
    assert out.strip() == f"2 documents relinked, {len(before)} mentions, 0 failed"
    assert set(Mention.objects.values_list("entity__name", "document_id", "position", "count")) == before


def test_new_alerts_link_a_document_that_already_mentions_one_of_them():
    # Alertmanager's first group names two alerts at once; a note mentions the first already and names
    # the second in a word nothing marks as a name until an alert of that name exists.
    from kb.alerting.webhook import alerts_named

    text = "# Queue notes\n\nWatch `QuokkaQueueStalled` first; then QuokkaFeed.\n"
    document_save(
        parse_document(text, "queue-notes.md"),
        identity="queue-notes.md",
        source_path="queue-notes.md",
        source_text=text,
        reason="test",
    )
    alerts_named(names={"QuokkaQueueStalled", "QuokkaFeed"})
    named = set(Mention.objects.filter(document__identity="queue-notes.md").values_list("entity__name", flat=True))
    assert {"QuokkaQueueStalled", "QuokkaFeed"} <= named


ACCENTED = """# Post-mortem: backups stopped on the Zürich NAS

**Date:** 2026-08-03

## Summary

The nightly job could not write `/srv/Übung/Größe.conf` on host `nas-zürich-01`.
"""


@pytest.mark.parametrize("second", ["/srv/Übung/Größe.conf", "/srv/übung/größe.conf"])
def test_a_name_with_accented_capitals_is_one_entity_across_imports_and_saves(tmp_path, second):
    """SQLite's LOWER() folds ASCII letters only: the unique index keeps a name's other capitals ("Ü") as they are, and
    a later import or save naming it again, in either case, must still find it (the import failed on a KeyError)."""
    run("import_docs", write(tmp_path / "a" / "pm.md", ACCENTED))
    again = ACCENTED.replace("/srv/Übung/Größe.conf", second)
    run("import_docs", write(tmp_path / "b" / "pm-again.md", again))
    document_save(parse_document(again, "web.md"), identity="web.md", source_path="", source_text=again, reason="web")
    for names in (["/srv/Übung/Größe.conf", second], ["nas-zürich-01"]):
        entity = Entity.objects.get(name__in=names)
        assert set(entity.mentions.values_list("document__identity", flat=True)) == {"pm.md", "pm-again.md", "web.md"}
