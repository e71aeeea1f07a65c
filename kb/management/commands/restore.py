from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kb.alerting.feedback import feedback_recount
from kb.alerting.incidents import alerts_recount
from kb.entities.links import documents_relink
from kb.models import Document, Incident, Runbook
from kb.search import search_index_rebuild


class Command(BaseCommand):
    help = (
        "Restore a `manage.py backup` folder into an empty, migrated database: every record, then the "
        "search index rebuilt; each document's source is checked byte for byte against documents/."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        source = Path(directory)
        data = source / "data.json"
        if not data.is_file():
            raise CommandError(f"{data} is missing: not a folder written by `manage.py backup`")
        if Document.objects.exists() or Incident.objects.exists():
            raise CommandError("the database already holds documents or incidents: restore only into an empty one")
        with transaction.atomic():
            call_command("loaddata", str(data), verbosity=0)
            # What is kept on write, from the records themselves: a backup of an earlier version lacks it.
            documents_relink(document_ids=Document.objects.values_list("pk", flat=True))
            feedback_recount(runbook_ids=Runbook.objects.values_list("pk", flat=True))
            alerts_recount()
            rows = search_index_rebuild()
        differing = [
            document.file_path
            for document in Document.objects.exclude(runbook__part_anchor__gt="")
            if not _same_source(source / "documents", document)
        ]
        for path in differing:
            self.stdout.write(
                self.style.WARNING(f"differs   documents/{path}: the restored source is not the backed-up file")
            )
        summary = f"restored {Document.objects.count()} documents, {Incident.objects.count()} incidents; {rows} search entries"
        if differing:
            raise CommandError(f"{summary}; {len(differing)} sources differ from documents/")
        self.stdout.write(self.style.SUCCESS(summary))


def _same_source(folder: Path, document: Document) -> bool:
    """As export_docs wrote it (a document whose path it had to change is not checked)."""
    file = folder / document.file_path
    return not file.is_file() or file.read_bytes() == document.source_text.encode("utf-8")
