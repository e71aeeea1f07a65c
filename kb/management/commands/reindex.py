from django.core.management.base import BaseCommand

from kb.alerting.incidents import document_incidents_refresh
from kb.search import search_index_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the search index from every document and incident, and what documents say about the "
        "incidents they name (after an upgrade, or if in doubt)."
    )

    def handle(self, *args, **options):
        incidents = document_incidents_refresh()
        self.stdout.write(f"incidents given what their documents say: {incidents} changed")
        rows = search_index_rebuild()
        self.stdout.write(self.style.SUCCESS(f"search index rebuilt: {rows} entries"))
