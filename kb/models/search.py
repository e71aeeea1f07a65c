"""The rows search reads: one per document or incident, and one per section (`SearchEntry`), and the
words of the indexed text (`SearchTerm`). Written by kb.search.index, read by kb.search.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from kb.models.alerting import Incident
from kb.models.documents import Document


class SearchKind(models.TextChoices):
    RUNBOOK = "runbook", "Runbook"
    POSTMORTEM = "postmortem", "Post-mortem"
    NOTE = "note", "Note"
    INCIDENT = "incident", "Incident"
    # Entities join here: a kind, a nullable foreign key on SearchEntry (and in its one-owner constraint),
    # and a `search_index_entities` writer in kb/search/index.py.


class SearchScope(models.TextChoices):
    WHOLE = "whole", "Whole"  # ranked: one row per document or incident
    SECTION = "section", "Section"  # one row per section, to point a hit at its anchor


# The condition of the index `search_entry_scope` as a query must repeat it to use the index: whole rows of a valid
# kind (every row is of one). Written as Django writes the index (the same list in the same order), which SQLite
# compares term by term.
WHOLE_ROWS_SQL = "scope = 'whole' AND kind IN ({})".format(", ".join(f"'{kind}'" for kind in SearchKind.values))


class SearchEntry(models.Model):
    """A row of the search index, written only by kb.search.index.

    The full-text index over these columns is the database's own and is not an ORM field
    (migration 0002_search): a weighted `vector` tsvector column on PostgreSQL, GIN-indexed for the
    whole rows (migration 0010), none for a section's (migration 0029: read from its whole row's), the FTS5 table
    `kb_searchentry_fts` kept in step by triggers on SQLite.
    A migration that rebuilds this table on SQLite must recreate those triggers.
    """

    kind = models.CharField(max_length=20, choices=SearchKind.choices)
    scope = models.CharField(max_length=10, choices=SearchScope.choices)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.CASCADE, related_name="search_entries"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="search_entries"
    )
    url = models.CharField(max_length=1000)
    title = models.CharField(max_length=500)
    alert = models.CharField(max_length=200, blank=True)
    heading = models.CharField(max_length=500, blank=True)
    # Matched, never shown: weight A (title, alert), B (headings), and D (body) with body_terms.
    title_terms = models.TextField(blank=True)
    heading_terms = models.TextField(blank=True)
    body = models.TextField(blank=True)  # plain text; snippets come from here
    body_terms = models.TextField(blank=True)  # identifiers of the body, joined and split into parts
    # A document's whole row's: each section's identifiers, marked (kb.search.text.SECTION_MARK); matched only on
    # PostgreSQL, where they say which section of the row holds a term (weight C, which ranks nothing). NULL in the
    # other rows: a column SQLite adds in place (a NOT NULL one, Django adds by copying the table, which drops the
    # full-text index's triggers).
    section_terms = models.TextField(null=True, blank=True)  # noqa: DJ001
    # A section's number among its document's: where its words are in the whole row's.
    part = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "search entries"
        indexes = [
            # How many rows are ranked (the N of each term's idf), counted from this index, not from the
            # table and its bodies; on SQLite, whether a ranked row is a whole one. Only a query that repeats its
            # condition (`WHOLE_ROWS_SQL`: true of every whole row) can use it: PostgreSQL chose a plain index on `scope`
            # for `scope = 'whole' AND vector @@ …` whenever the table's statistics were stale (through an
            # import), testing every whole row's vector instead of reading the GIN index's few (BENCHMARKS.md,
            # "Round 20").
            models.Index(fields=["scope", "kind"], name="search_entry_scope", condition=Q(kind__in=SearchKind.values)),
            # The runbooks of an alert named exactly, whatever its case, without reading every row.
            models.Index(Lower("alert"), name="search_entry_runbook_alert", condition=Q(scope="whole", kind="runbook")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SearchKind.values), name="search_entry_kind_valid"),
            models.CheckConstraint(condition=Q(scope__in=SearchScope.values), name="search_entry_scope_valid"),
            models.CheckConstraint(
                condition=Q(document__isnull=False, incident__isnull=True)
                | Q(document__isnull=True, incident__isnull=False),
                name="search_entry_has_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}" + (f" § {self.heading}" if self.heading else "")


class SearchTerm(models.Model):
    """The words of the indexed text, as typed (lower case, not stemmed): known words and spelling corrections."""

    word = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.word
