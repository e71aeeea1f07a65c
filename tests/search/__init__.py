from django.db import connection

# The statements of a search that finds documents (kb.search.ranking): the index's stamp with the words it knows,
# each term's rows counted, the candidates, the hits' snippets; on PostgreSQL one more before the snippets, the
# best section of each document found, read from its whole row (kb.search.engines.postgres).
SEARCH_STATEMENTS = 5 if connection.vendor == "postgresql" else 4
