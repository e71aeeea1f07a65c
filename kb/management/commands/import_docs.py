from django.core.management.base import BaseCommand, CommandError

from kb.documents.importing import FileResult, import_paths

PROGRESS_EVERY = 25


class Command(BaseCommand):
    help = "Import runbooks and post-mortems from markdown files and directories (recursively)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files or directories")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument(
            "--prune", action="store_true", help="archive documents whose files disappeared from an imported directory"
        )

    def handle(self, *args, paths, dry_run=False, prune=False, verbosity=1, **options):
        shown: set[int] = set()

        def progress(n: int, total: int, result: FileResult) -> None:
            shown.add(id(result))
            if result.outcome != "unchanged" or verbosity > 1:
                line = f"{result.outcome:9} {result.path}"
                if result.message:
                    line += f": {result.message}"
                style = (
                    self.style.ERROR
                    if result.outcome == "failed"
                    else (self.style.WARNING if result.message and result.outcome != "skipped" else str)
                )
                self.stdout.write(style(line))
            if total > PROGRESS_EVERY and n % PROGRESS_EVERY == 0:
                self.stderr.write(f"… {n}/{total} files")

        report = import_paths(paths, dry_run=dry_run, prune=prune, progress=progress)
        # What was never a candidate (missing paths, links out of the tree, unsafe names) and what was archived.
        for result in report.results:
            if id(result) not in shown:
                line = f"{result.outcome:9} {result.path}: {result.message}"
                self.stdout.write(self.style.ERROR(line) if result.outcome == "failed" else line)
        summary = ("dry run: " if dry_run else "") + report.summary()
        if report.failed:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
