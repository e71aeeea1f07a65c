from django.db import migrations, models
from django.db.models.deletion import CASCADE, SET_NULL

# Three foreign keys' own indexes repeat the first column of others that start with it and answer every lookup by
# it: kb_mention(entity_id) those of `mention_once_per_section` (entity, document, position) and `mention_votes`
# (entity, kind, document); kb_incident(alert_id) and (runbook_id) those of (alert, -started_at) and
# (runbook, -started_at). An import of 12,000 documents maintained them for 227,000 mentions and 36,000 incidents
# (each inserted, then updated with its alert and runbook), the webhook for every incident it writes. Dropped by
# name (Django's names for them, the same on both engines): an AlterField would remake each table on SQLite.
INDEXES = {
    "kb_mention_entity_id_5f758123": ("kb_mention", "entity_id"),
    "kb_incident_alert_id_bf34fdf4": ("kb_incident", "alert_id"),
    "kb_incident_runbook_id_5f2288ee": ("kb_incident", "runbook_id"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0025_large_texts_compressed_with_lz4_on_postgresql"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="mention",
                    name="entity",
                    field=models.ForeignKey(
                        db_index=False, on_delete=CASCADE, related_name="mentions", to="kb.entity"
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="alert",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=SET_NULL,
                        related_name="incidents",
                        to="kb.alert",
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="runbook",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=SET_NULL,
                        related_name="incidents",
                        to="kb.runbook",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}", reverse_sql=f'CREATE INDEX {name} ON "{table}" ("{column}")'
                )
                for name, (table, column) in INDEXES.items()
            ],
        ),
    ]
