from django.core.management.base import BaseCommand

from kb.search import search_index_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index from every document and incident (after an upgrade, or if in doubt)."

    def handle(self, *args, **options):
        rows = search_index_rebuild()
        self.stdout.write(self.style.SUCCESS(f"search index rebuilt: {rows} entries"))
