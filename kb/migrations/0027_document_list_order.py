from django.db import migrations, models

# Each kind's list in an order an index holds (Document.list_key): the runbooks' list sorted every runbook by its
# alert's name, read across two tables, on every page (10,000 runbooks: 7-15 ms of each page's first query, the
# deepest page's 14 ms on SQLite reading `archived` after the texts of each row), the post-mortems' by date and
# title (two tables, 5 ms at 2,000). Filled here as kb.documents.saving writes it, before the index is built; the
# rule (each kind's `list_place`) is copied: a migration keeps the rule of its day.
BATCH = 500


def list_key_of(kind, title, alert=None, date=None):
    if kind == "runbook":
        key = f"0{alert.lower()} {title}" if alert else f"1{title}"
    elif kind == "postmortem":
        key = f"0{99_99_99_99 - int(date.strftime('%Y%m%d')):08d} {title}" if date else f"1{title}"
    else:
        key = f"{title.lower()} {title}"
    return key[:300]


def list_keys_filled(apps, schema_editor):
    Document = apps.get_model("kb", "Document")
    Runbook = apps.get_model("kb", "Runbook")
    PostMortem = apps.get_model("kb", "PostMortem")
    keys: dict[int, str] = {}
    for pk, title, alert in Runbook.objects.order_by().values_list("pk", "title", "alert__name").iterator(5000):
        keys[pk] = list_key_of("runbook", title, alert=alert)
    for pk, title, date in PostMortem.objects.order_by().values_list("pk", "title", "date").iterator(5000):
        keys[pk] = list_key_of("postmortem", title, date=date)
    others = Document.objects.exclude(kind__in=["runbook", "postmortem"]).order_by()
    for pk, kind, title in others.values_list("pk", "kind", "title").iterator(5000):
        keys[pk] = list_key_of(kind, title)
    documents = [Document(pk=pk, list_key=key) for pk, key in keys.items()]
    Document.objects.bulk_update(documents, ["list_key"], batch_size=BATCH)


def statistics_read(apps, schema_editor):
    """PostgreSQL plans the lists from the new column's statistics: without them, the deepest page sorted the
    kind's rows rather than walk the index (until autovacuum analyzed the table). Not an empty table: analyzed
    empty, it is planned as empty, and an import's foreign-key checks (a plan kept for the session, made at the
    first row) scanned the whole table for each row they checked (3,000 documents: the server's CPU 9 s -> 18 s)."""
    Document = apps.get_model("kb", "Document")
    if schema_editor.connection.vendor == "postgresql" and Document.objects.exists():
        schema_editor.execute("ANALYZE kb_document")


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0026_redundant_foreign_key_indexes_dropped"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="list_key",
            field=models.CharField(editable=False, max_length=300, null=True),
        ),
        migrations.RunPython(list_keys_filled, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                fields=["kind", "list_key", "id"], condition=models.Q(archived=False), name="document_list_order"
            ),
        ),
        migrations.RunPython(statistics_read, migrations.RunPython.noop),
    ]
