from django.core.management.base import BaseCommand

from kb.alerting.incidents import document_incidents_refresh
from kb.documents.rendering_again import documents_rendered_again
from kb.search import search_index_rebuild


class Command(BaseCommand):
    help = (
        "Render again the documents today's code renders otherwise, and rebuild the search index from every "
        "document and incident, and what documents say about the incidents they name (after an upgrade, or if "
        "in doubt)."
    )

    def handle(self, *args, **options):
        rendered = documents_rendered_again()
        for path, why in rendered.failed:
            self.stderr.write(f"failed    {path}: {why}")
        self.stdout.write(
            f"documents rendered again: {rendered.changed} saved again (an alert section's runbook apart from its file),"
            f" of {rendered.documents} files read"
        )
        incidents = document_incidents_refresh()
        self.stdout.write(f"incidents given what their documents say: {incidents} changed")
        rows = search_index_rebuild()
        self.stdout.write(self.style.SUCCESS(f"search index rebuilt: {rows} entries"))
