from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kb.documents.exporting import documents_export


class Command(BaseCommand):
    help = (
        "Write every document as markdown under DIR, at the path it was imported from (or <slug>.md): "
        "byte for byte as imported, or in the canonical layout when edited on the web."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="folder to write into (created when missing)")
        parser.add_argument("--include-archived", action="store_true", help="also write archived documents")

    def handle(self, *args, directory, include_archived=False, verbosity=1, **options):
        target = Path(directory)
        if target.exists() and not target.is_dir():
            raise CommandError(f"{target} exists and is not a directory")
        try:
            report = documents_export(directory=target, include_archived=include_archived)
        except OSError as exc:
            raise CommandError(f"cannot write into {target}: {exc}") from exc
        if verbosity > 1:
            for path, document in report.written:
                self.stdout.write(f"written   {path}{' (edited on the web)' if document.edited_on_web else ''}")
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"warning   {warning}"))
        self.stdout.write(self.style.SUCCESS(report.summary()))
