from django.db import migrations

# PostgreSQL: a whole row's vector (4.6 kB at 12,000 documents) is kept in the row itself, not moved out to the
# TOAST table, and so is the rest of a row up to a page (8,160 bytes; the body is then compressed, or moved out
# first when the row is larger). A search ranks up to 300 whole rows with ts_rank once per term: each vector read
# out of line was a descent of the TOAST index and two or three chunks, every time it was read. Over the bench's
# 19 first searches at 12,000 documents (bench/scaling/search_sql.py --pages), the candidates' statement touched
# 41,255 buffers and read 5,253 pages cold; in the row, 6,761 and 2,348. The vector set to MAIN alone is not
# enough: a row then never gets under the default target of 2,032 bytes, so every other text column (the title,
# which the window sorts by, too) was moved out instead.
#
# Rows written from now on take this layout; `manage.py reindex` (or `VACUUM FULL kb_searchentry`) rewrites
# those already there.
FORWARD = "ALTER TABLE kb_searchentry ALTER COLUMN vector SET STORAGE MAIN, SET (toast_tuple_target = 8160)"
BACKWARD = "ALTER TABLE kb_searchentry ALTER COLUMN vector SET STORAGE EXTENDED, RESET (toast_tuple_target)"


def _run(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0021_mention_votes_index_and_search_index_merging"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
