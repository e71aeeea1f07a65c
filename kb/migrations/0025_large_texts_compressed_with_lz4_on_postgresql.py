from django.db import migrations

# PostgreSQL: the large texts an import writes (a document's source, HTML and linked HTML, its revision's
# source, a section's markdown, a search row's body, identifiers and vector) compressed with lz4 instead of
# pglz, the default. pglz was 5.7% of the server's instructions over an import (callgrind, 300 files; lz4
# 0.9%), a document's texts compressed three times (source, HTML, linked HTML) and its revision's once more;
# lz4 reads back faster too, and takes a little more space (BENCHMARKS.md, "Import on PostgreSQL: the
# server's and the importing process's CPU (issue #12, round 8)"). Values written from now on take it;
# those stored keep pglz (both are read as they are).
COLUMNS = {
    "kb_document": ("source_text", "html", "linked_html"),
    "kb_revision": ("source_text",),
    "kb_section": ("markdown",),
    "kb_searchentry": ("body", "body_terms", "vector"),
}


def _compression(method):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, columns in COLUMNS.items():
            changes = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in columns)
            schema_editor.execute(f"ALTER TABLE {table} {changes}")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0024_document_outline"),
    ]

    operations = [
        migrations.RunPython(_compression("lz4"), _compression("pglz")),
    ]
