"""Which section of a document a hit links to, on either engine: on PostgreSQL read from the document's whole row
(the marks of its sections in its text and identifiers, kb.search.text.SECTION_MARK), its sections' rows holding no
vector of their own; on SQLite from the sections' rows."""

import re

import pytest
from django.db import connection

from kb.models import SearchEntry
from kb.search import search
from kb.search.engines.positions import LAST_POSITION, best_section
from tests.migration_support import migrated, migrated_to_latest
from tests.search import save

pytestmark = pytest.mark.django_db

MARKS = re.compile("[\x1c-\x1e]")


def hit(query: str, title: str):
    return next(h for h in search(query=query).hits if h.title == title)


def test_a_hit_links_to_the_section_whose_heading_says_what_was_asked():
    save(
        "nas.md",
        "---\nkind: runbook\n---\n# NAS share stale\n\nThe share goes stale after a reboot.\n\n"
        "## Symptoms\n\nClients hang; a rollback of the kernel helped once.\n\n"
        "## Rollback\n\nBoot the previous kernel from the menu.\n\n## Verification\n\nMount the share.\n",
    )
    found = hit("rollback", "NAS share stale")
    assert (found.url, found.section) == ("/runbooks/nas/#rollback", "Rollback")
    assert "Boot the previous kernel" in found.snippet  # the section's own text, not the one naming the word


def test_a_hit_found_by_the_parts_of_a_name_links_to_the_section_that_names_it():
    save(
        "lag.md",
        "---\nkind: runbook\n---\n# Orders slow to ship\n\nOrders wait in the warehouse queue.\n\n"
        "## Meaning\n\nThe shipping workers fall behind.\n\n"
        "## Diagnosis\n\nLook for `CheckoutConsumerLagHigh` firing at the same time.\n\n"
        "## Mitigation\n\nScale the workers up.\n",
    )
    found = hit("consumer lag", "Orders slow to ship")
    assert (found.url, found.section) == ("/runbooks/lag/#diagnosis", "Diagnosis")


def test_of_two_sections_holding_the_words_the_one_holding_more_of_them_wins():
    save(
        "dns.md",
        "---\nkind: runbook\n---\n# Resolver timeouts\n\n## Summary\n\nPods see timeouts.\n\n"
        "## Cause\n\nconntrack table full on the node: conntrack drops, timeouts follow.\n\n"
        "## Fix\n\nRaise the conntrack limit.\n",
    )
    found = hit("conntrack timeouts", "Resolver timeouts")
    assert found.section == "Cause"


def test_snippets_and_texts_shown_never_hold_the_section_marks(client):
    save(
        "marks.md",
        "---\nkind: runbook\n---\n# Quasar relay down\n\nQuasar relay intro.\n\n## Steps\n\nRestart the quasar relay.\n",
    )
    # "intro" only in the text before the first section: the snippet is cut from the whole row's text, which holds
    # the marks around the title and the section after it; "quasar" also in a section.
    shown = {query: client.get("/api/search", {"q": query}).json()["results"][0] for query in ("intro", "quasar")}
    assert shown["intro"]["section"] is None and "Quasar relay down" in shown["intro"]["snippet"]
    for query, result in shown.items():
        assert not MARKS.search(result["snippet"]), (query, result)
        assert not MARKS.search(result["title"]), (query, result)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's vectors")
def test_on_postgresql_a_section_s_row_holds_no_vector_of_its_own():
    # Its words are parsed once, in its document's whole row, not a second time in its own row.
    save("nas.md", "---\nkind: runbook\n---\n# NAS\n\n## Rollback\n\nBoot the previous kernel.\n")
    with connection.cursor() as cursor:
        cursor.execute("SELECT scope, COUNT(*), COUNT(vector) FROM kb_searchentry GROUP BY scope ORDER BY scope")
        assert cursor.fetchall() == [("section", 1, 0), ("whole", 1, 1)]
    assert hit("previous kernel", "NAS").section == "Rollback"


# `best_section` reads a whole row's vector kept to the query's words and the marks: kb0section before each
# section's heading, kb0body before its text, kb0terms before the whole text's identifiers and each section's.
def test_the_best_section_is_the_first_of_those_holding_the_words_best():
    # Section 1: "restart" in its heading (2). Section 2: "restart" (8) and "pod" (9) in its text, "restart" in its
    # names (14). A heading weighs as much as two words of text (weights B and D, as ts_rank has them).
    vector = "'kb0section':1,5 'kb0body':3,7 'kb0terms':10,12,13 'restart':2,8,14 'pod':9"
    assert best_section(vector, {1, 2}) == 1
    # A section without a row (a title repeating the document's) is not chosen.
    assert best_section(vector, {2}) == 2
    two_sections = "'kb0section':1,5 'kb0body':3,7 'kb0terms':10,11"
    assert best_section(f"{two_sections} 'restart':4,8", {1, 2}) == 1  # a tie: the first
    assert best_section(f"{two_sections} 'restart':2", {2}) is None


def test_no_section_is_chosen_where_the_positions_cannot_tell():
    # No marks (a row written before them), marks missing (a text cut at its length), positions past the last one.
    assert best_section("'restart':4", {1}) is None
    assert best_section("'kb0section':1,6 'kb0body':3 'kb0terms':9,10 'restart':4", {1, 2}) is None
    assert best_section("'kb0section':1 'kb0body':3 'restart':4", {1}) is None
    assert best_section(f"'kb0section':1 'kb0body':3 'kb0terms':9 'restart':{LAST_POSITION}", {1}) is None


@pytest.mark.django_db(transaction=True)
def test_documents_stored_before_the_upgrade_link_their_hits_to_their_sections_after_it():
    apps = migrated([("kb", "0028_search_whole_rows_counted_by_an_index_searches_cannot_use")])
    Runbook, SearchEntry_ = apps.get_model("kb", "Runbook"), apps.get_model("kb", "SearchEntry")
    html = (
        '<h2 id="symptoms">Symptoms</h2><p>Clients hang.</p><h2 id="rollback">Rollback</h2><p>Boot the old kernel.</p>'
    )
    runbook = Runbook.objects.create(
        kind="runbook", slug="nas", identity="nas.md", title="NAS", source_text="", content_hash="", html=html
    )
    # The rows as the release before wrote them: the whole text without marks, no section numbered.
    common = {"kind": "runbook", "document_id": runbook.pk, "title": "NAS"}
    SearchEntry_.objects.create(
        **common,
        scope="whole",
        url="/runbooks/nas/",
        title_terms="NAS",
        heading_terms="Symptoms Rollback",
        body="Symptoms Clients hang. Rollback Boot the old kernel.",
    )
    for anchor, heading, body in (
        ("symptoms", "Symptoms", "Clients hang."),
        ("rollback", "Rollback", "Boot the old kernel."),
    ):
        SearchEntry_.objects.create(
            **common, scope="section", url=f"/runbooks/nas/#{anchor}", heading=heading, heading_terms=heading, body=body
        )
    try:
        migrated_to_latest()
        found = hit("old kernel", "NAS")
        numbered = dict(SearchEntry.objects.filter(scope="section").values_list("heading", "part"))
    finally:
        migrated_to_latest()
    assert (found.url, found.section) == ("/runbooks/nas/#rollback", "Rollback")
    if connection.vendor == "postgresql":
        assert numbered == {"Symptoms": 1, "Rollback": 2}


def test_the_marks_the_migration_wrote_into_the_vector_are_those_the_app_writes():
    # Marks changed in kb.search.text without a migration remaking the vector would be parsed as plain text.
    from importlib import import_module

    from kb.search import text

    migration = import_module("kb.migrations.0029_search_sections_found_in_their_whole_rows_vector")
    assert migration.SECTION_WORDS == text.SECTION_WORDS
