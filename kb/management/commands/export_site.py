from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kb.offline.site import SiteError, site_export


class Command(BaseCommand):
    help = (
        "Write every runbook, post-mortem, note, incident and entity page under DIR as a static site with "
        "client-side search (Pagefind), to publish next to the cluster: an object store or a second machine."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="folder to write the site into (created when missing)")

    def handle(self, *args, directory, **options):
        target = Path(directory)
        if target.exists() and not target.is_dir():
            raise CommandError(f"{target} exists and is not a directory")
        try:
            report = site_export(directory=target)
        except (SiteError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(f"warning   {warning}"))
        self.stdout.write(self.style.SUCCESS(f"{report.summary()} in {target}; open {target / 'index.html'}"))
