from django.db import migrations

# The stale runbooks (the insights page) are looked for in title order, a chunk at a time: without an index in
# that order every runbook was read and sorted first (PostgreSQL: a scan of the 13,000 wide document rows, 58 ms
# with every runbook past its review; 12 ms walking this index). The other columns the candidates are tested on
# come with it: on SQLite, whose rows keep `archived` and `updated_at` after the texts, as index columns.
INDEX = "document_runbooks_by_title"
CREATE = {
    "postgresql": f"CREATE INDEX IF NOT EXISTS {INDEX} ON kb_document (kind, title, id) INCLUDE (archived, updated_at)",
    "sqlite": f"CREATE INDEX IF NOT EXISTS {INDEX} ON kb_document (kind, title, id, archived, updated_at)",
}


def create(apps, schema_editor):
    statement = CREATE.get(schema_editor.connection.vendor)
    if statement:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor in CREATE:
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0019_incident_status_index_for_counting_what_fires"),
    ]

    operations = [migrations.RunPython(create, drop)]
