from django.db import connection

from kb.documents.saving import document_save
from kb.markdown.parsing import parse_document
from kb.models import Document

# The statements of a search that finds documents (kb.search.ranking): the index's stamp with the words it knows,
# each term's rows counted, the candidates, the hits' snippets; on PostgreSQL one more before the snippets, the
# best section of each document found, read from its whole row (kb.search.engines.postgres).
SEARCH_STATEMENTS = 5 if connection.vendor == "postgresql" else 4


def save(identity: str, text: str) -> Document:
    """A document saved from its markdown as an import saves it."""
    return document_save(
        parse_document(text, identity), identity=identity, source_path=identity, source_text=text, reason="test"
    )[0]
