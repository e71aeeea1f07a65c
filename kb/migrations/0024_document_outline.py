from django.db import migrations, models

# A document page's outline (its sections' headings, levels and anchors) kept with the document, written with its
# sections by kb.documents.saving: the page read it by a query of its own on every first view (a statement parsed
# and planned anew on PostgreSQL, ~1,000 Python calls to build the rows). Filled here from the sections' rows, as
# the pages showed them.
BATCH = 500


def outlines_filled(apps, schema_editor):
    Document = apps.get_model("kb", "Document")
    Section = apps.get_model("kb", "Section")
    outlines: dict[int, list[dict]] = {}
    rows = Section.objects.order_by("document_id", "position").values_list("document_id", "heading", "level", "anchor")
    for document_id, heading, level, anchor in rows.iterator(chunk_size=5000):
        outlines.setdefault(document_id, []).append({"heading": heading, "level": level, "anchor": anchor})
    documents = [Document(pk=pk, outline=outline) for pk, outline in outlines.items()]
    Document.objects.bulk_update(documents, ["outline"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0023_search_word_statistics_of_whole_rows_on_postgresql"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="outline",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.RunPython(outlines_filled, migrations.RunPython.noop),
    ]
