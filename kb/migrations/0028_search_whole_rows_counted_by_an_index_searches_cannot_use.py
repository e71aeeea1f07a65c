from django.db import migrations, models

# The index counting whole rows (and, on SQLite, telling them from sections) is usable only by a query repeating
# its condition, `kb.models.WHOLE_ROWS_SQL`. On `scope` alone, PostgreSQL chose it for the searches' and the
# import's `scope = 'whole' AND vector @@ …` whenever the statistics were stale, as an import into an empty database
# leaves them: every whole row's vector tested (62 ms a lookup at 3,000 documents; the GIN index, 1.4 ms).


class Migration(migrations.Migration):

    dependencies = [
        ('kb', '0027_document_list_order'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='searchentry',
            name='search_entry_scope',
        ),
        migrations.AddIndex(
            model_name='searchentry',
            index=models.Index(condition=models.Q(('kind__in', ['runbook', 'postmortem', 'note', 'incident'])), fields=['scope', 'kind'], name='search_entry_scope'),
        ),
    ]
