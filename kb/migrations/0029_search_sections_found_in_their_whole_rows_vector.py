# PostgreSQL: a section's row has no vector of its own any more. Each section's words were parsed twice on every
# write, in its row's vector and in its document's whole row's. The whole row's text marks where each section begins
# and where its heading ends, and `section_terms` holds each section's identifiers (kb.search.text.SECTION_MARK); its
# vector holds each mark as a word no text has, whose positions tell a search which section its words are in
# (kb.search.engines.postgres), and `part` numbers each section's row among them. SQLite's full-text index is
# unchanged (the marks are separators to FTS5). The server's CPU in an import of 3,000 documents: 8.0-8.2 s -> 6.8-6.9
# s; of 12,000: 33.1-36.0 s -> 29.1-29.4 s (BENCHMARKS.md, "Round 25").

from django.db import migrations, models

# The marks and the words the vector holds for them, as kb.search.text has them when this migration was written.
SECTION_MARK, SECTION_BODY_MARK, SECTION_TERMS_MARK = "\x1c", "\x1d", "\x1e"
SECTION_WORDS = {SECTION_MARK: "kb0section", SECTION_BODY_MARK: "kb0body", SECTION_TERMS_MARK: "kb0terms"}

STATISTICS = "kb_searchentry_whole_words"
INDEX = "kb_searchentry_whole_vector"


def _words(column: str, marks: tuple[str, ...]) -> str:
    """`column` with each of `marks` a word of its own."""
    for mark in marks:
        column = f"replace({column}, chr({ord(mark)}), ' {SECTION_WORDS[mark]} ')"
    return column


def _vector(*, sections: bool) -> str:
    """The vector column: every row's (as migration 0002_search made it), or the whole rows' only, the marks read and
    each section's identifiers after all the rest at weight C (ts_rank's weight 0: kb.search.engines.postgres)."""
    body = "body" if sections else _words("body", (SECTION_MARK, SECTION_BODY_MARK))
    terms = "body_terms" if sections else _words("body_terms", (SECTION_TERMS_MARK,))
    vector = f"""setweight(to_tsvector('kb_search'::regconfig, title_terms), 'A')
        || setweight(to_tsvector('kb_search'::regconfig, heading_terms), 'B')
        || setweight(to_tsvector('kb_search'::regconfig, {body}), 'D')
        || setweight(to_tsvector('kb_search'::regconfig, {terms}), 'D')"""
    if sections:
        return vector
    section_terms = _words("coalesce(section_terms, '')", (SECTION_TERMS_MARK,))
    return f"""CASE WHEN scope = 'whole' THEN {vector}
        || setweight(to_tsvector('kb_search'::regconfig, {section_terms}), 'C') END"""


def _replace_vector(schema_editor, *, sections: bool) -> None:
    # PostgreSQL 15 cannot change a generated column's expression: the column is made again, with what depends on
    # it (migrations 0010, 0012, 0022, 0023 and 0025).
    for statement in (
        f"DROP STATISTICS IF EXISTS {STATISTICS}",
        f"DROP INDEX IF EXISTS {INDEX}",
        "ALTER TABLE kb_searchentry DROP COLUMN vector",
        f"ALTER TABLE kb_searchentry ADD COLUMN vector tsvector GENERATED ALWAYS AS ({_vector(sections=sections)}) STORED",
        "ALTER TABLE kb_searchentry ALTER COLUMN vector SET STORAGE MAIN, ALTER COLUMN vector SET COMPRESSION lz4",
    ):
        schema_editor.execute(statement)


def _index_again(apps, schema_editor) -> None:
    # The rows' updates left their foreign keys' checks to the end of the transaction: an index waits for none.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON kb_searchentry USING gin (vector) WITH (fastupdate = off) WHERE scope = 'whole'"
    )
    schema_editor.execute(
        f"CREATE STATISTICS {STATISTICS} ON (CASE WHEN scope = 'whole' THEN vector END) FROM kb_searchentry"
    )
    if apps.get_model("kb", "SearchEntry").objects.exists():
        schema_editor.execute("ANALYZE kb_searchentry")


def _texts_marked(apps) -> None:
    """The stored documents' whole rows written with the marks, and their sections' rows numbered (the texts are
    computed by the function the app uses, which is pure)."""
    from kb.search import SearchTexts

    Document = apps.get_model("kb", "Document")
    SearchEntry = apps.get_model("kb", "SearchEntry")
    ids = list(
        SearchEntry.objects.filter(document__isnull=False).order_by().values_list("document_id", flat=True).distinct()
    )
    for start in range(0, len(ids), 200):
        batch = ids[start : start + 200]
        texts = {
            pk: SearchTexts.of(html) for pk, html in Document.objects.filter(pk__in=batch).values_list("pk", "html")
        }
        wholes = list(SearchEntry.objects.filter(document_id__in=batch, scope="whole").only("pk", "document_id"))
        for entry in wholes:
            done = texts[entry.document_id]
            entry.body, entry.body_terms, entry.section_terms = done.body, done.body_terms, done.section_terms
        SearchEntry.objects.bulk_update(wholes, ["body", "body_terms", "section_terms"], batch_size=200)
        sections = list(
            SearchEntry.objects.filter(document_id__in=batch, scope="section").only("pk", "document_id", "url")
        )
        for entry in sections:
            entry.part = texts[entry.document_id].sections.get(entry.url.partition("#")[2], (None, None, None))[2]
        SearchEntry.objects.bulk_update(sections, ["part"], batch_size=500)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _replace_vector(schema_editor, sections=False)
    _texts_marked(apps)
    _index_again(apps, schema_editor)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _replace_vector(schema_editor, sections=True)
    _index_again(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("kb", "0028_search_whole_rows_counted_by_an_index_searches_cannot_use"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchentry",
            name="section_terms",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="part",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(forward, backward),
    ]
