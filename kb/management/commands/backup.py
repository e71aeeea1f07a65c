from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from kb.documents.exporting import documents_export

# Everything but the search index (rebuilt by `restore`, it is derived from the rest) and sessions.
DUMPED = ["kb", "auth.user", "auth.group", "admin.logentry"]
DERIVED = ["kb.SearchEntry", "kb.SearchTerm"]


class Command(BaseCommand):
    help = (
        "Write the whole knowledge base into DIR (which must be empty or missing): data.json, every "
        "record (users, documents and their revisions, incidents, entities, API tokens, the admin log), "
        "and documents/, every document's source as export_docs writes it. `manage.py restore DIR` reads it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        target = Path(directory)
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise CommandError(f"{target} must be an empty folder or not exist: a backup never overwrites")
        target.mkdir(parents=True, exist_ok=True)
        exclude = [arg for model in DERIVED for arg in ("--exclude", model)]
        call_command(
            "dumpdata", *DUMPED, *exclude, "--natural-foreign", "--natural-primary", "--indent", "1",
            "--output", str(target / "data.json"), verbosity=0,
        )  # fmt: skip
        report = documents_export(directory=target / "documents", include_archived=True)
        self.stdout.write(self.style.SUCCESS(f"backup in {target}: data.json and documents/ ({report.summary()})"))
