from django.db import migrations, models

# An entity's kind is the vote of the documents that mention it, counted again when a batch of an import
# disagrees with it: read from one index, not every mention row and its document (59 -> 2 ms for a
# dozen entities at 13,000 documents). The unique constraint's index serves entity-and-document lookups.
#
# SQLite's full-text index: the merge an import ends with (kb.search.engines.sqlite.Sqlite.compact) merges
# any two segments of a level (FTS5 waits for four): about one segment a level, each searched per term.
SQLITE = "INSERT INTO kb_searchentry_fts(kb_searchentry_fts, rank) VALUES ('usermerge', 2)"
SQLITE_REVERSE = "INSERT INTO kb_searchentry_fts(kb_searchentry_fts, rank) VALUES ('usermerge', 4)"


def _run(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0020_documents_by_kind_and_title_for_stale_runbooks"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="mention",
            name="kb_mention_entity__91c0ec_idx",
        ),
        migrations.AddIndex(
            model_name="mention",
            index=models.Index(fields=["entity", "kind", "document"], name="mention_votes"),
        ),
        migrations.RunPython(_run(SQLITE), _run(SQLITE_REVERSE)),
    ]
