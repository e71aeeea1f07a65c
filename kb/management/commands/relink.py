"""`python manage.py relink`: re-extracts the entities of every document (after a curation or an upgrade)."""

from django.core.management.base import BaseCommand, CommandError

from kb.entities.mentions import relink_all


class Command(BaseCommand):
    help = "Re-reads every stored document and rewrites its entity mentions with today's vocabulary."

    def handle(self, *args, **options):
        report = relink_all()
        for path, why in report.failed:
            self.stderr.write(f"failed    {path}: {why}")
        self.stdout.write(
            f"{report.documents} documents relinked, {report.mentions} mentions, {len(report.failed)} failed"
        )
        if report.failed:
            raise CommandError(f"{len(report.failed)} documents could not be read again")
