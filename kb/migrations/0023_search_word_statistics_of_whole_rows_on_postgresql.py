from django.db import migrations

# PostgreSQL: statistics of the words of whole rows alone (`pg_stats_ext_exprs`), which ANALYZE and autovacuum
# keep beside those of the column. A search calls a word common without counting its rows when the statistics
# place it in far more whole rows than Engine.COMMON_ROWS (kb.search.engines.postgres); the column's statistics
# count section rows too (a document's title words are in each of its sections), so a word had to be in 20 times
# the bound's rows there to be sure, and words in 3,000-4,000 of the 157,000 whole rows at 12,000 documents
# ("pgbouncer", "velero", "sidecar") were counted in every search: a statement more, reading 300 heap pages.
# The planner never uses these (no query names the expression); the ANALYZE fills them at once, where there are
# rows: a table analyzed empty is planned as empty (migration 0027).
NAME = "kb_searchentry_whole_words"
FORWARD = (
    f"CREATE STATISTICS IF NOT EXISTS {NAME} ON (CASE WHEN scope = 'whole' THEN vector END) FROM kb_searchentry",
)
BACKWARD = (f"DROP STATISTICS IF EXISTS {NAME}",)


def _run(statements, *, analyzed=False):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)
            if analyzed and apps.get_model("kb", "SearchEntry").objects.exists():
                schema_editor.execute("ANALYZE kb_searchentry")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0022_search_vectors_kept_in_the_row_on_postgresql"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD, analyzed=True), _run(BACKWARD)),
    ]
