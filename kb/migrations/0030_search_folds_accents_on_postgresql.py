# PostgreSQL: words with letters beyond ASCII are searched without their accents, as SQLite's FTS5 reads them
# (`remove_diacritics`): "zurich" finds "Zürich", "Zürich" finds "Zurich". The words of those letters (the parser's
# `word`, `hword` and `hword_part`; never `asciiword`, so nothing else costs more) go through `unaccent` before the
# stemmer. The whole rows that hold such letters are written again, so that their stored vector is computed anew
# (a stored generated column is, on UPDATE); the others' vectors are the same either way. Where the server has no
# `unaccent` (a build without its contrib modules), nothing changes and search stays as it was.

from django.db import migrations

CONFIG = "kb_search"
ACCENTED_WORDS = "word, hword, hword_part"
TEXTS = ("title_terms", "heading_terms", "body", "body_terms", "section_terms")


def _available(schema_editor) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
        return cursor.fetchone() is not None


def forwards(apps, schema_editor):
    _mapped(schema_editor, "unaccent, kb_english_stem")


def backwards(apps, schema_editor):
    _mapped(schema_editor, "kb_english_stem")


def _mapped(schema_editor, dictionaries: str) -> None:
    """The words of other letters through `dictionaries`, and the whole rows holding such words given their vector
    again (on SQLite, or without `unaccent`, nothing)."""
    if schema_editor.connection.vendor != "postgresql" or not _available(schema_editor):
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema_editor.execute(f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING FOR {ACCENTED_WORDS} WITH {dictionaries}")
    accented = " OR ".join(f"{column} <> unaccent({column})" for column in TEXTS)
    schema_editor.execute(f"UPDATE kb_searchentry SET body = body WHERE scope = 'whole' AND ({accented})")


class Migration(migrations.Migration):
    dependencies = [("kb", "0029_search_sections_found_in_their_whole_rows_vector")]

    operations = [migrations.RunPython(forwards, backwards)]
