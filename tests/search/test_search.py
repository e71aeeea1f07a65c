"""Search as operators use it: identifiers, typos, exact alert names, sections, incidents; the same on both engines."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from kb.models import Document, Incident, SearchEntry, SearchTerm
from kb.search import search, search_documents_naming
from kb.search.ranking import understand
from tests.authoring_support import form_data
from tests.migration_support import migrated, migrated_to_latest
from tests.search import SEARCH_STATEMENTS, save

pytestmark = pytest.mark.django_db

VELERO = "/runbooks/velero-oomkilled/"
KURED = "/postmortems/kured-gate-oom/"


def pages(query: str, limit: int = 10) -> list[str]:
    return [hit.url.split("#")[0] for hit in search(query=query, limit=limit).hits]


def test_it_finds_an_alert_by_the_words_in_its_name(imported):
    assert pages("pod oom killed")[0] == VELERO


def test_it_finds_an_identifier_typed_in_lower_case(imported):
    assert pages("oomkilled")[0] == VELERO
    assert pages("homelabpodoomkilled")[0] == VELERO


def test_it_finds_a_metric_name_as_one_exact_hit(imported):
    assert pages("container_oom_events_total") == [KURED]


def test_it_corrects_typos_and_says_what_it_searched_for(imported):
    results = search(query="valero oomkiled")
    assert results.corrected == "velero oomkilled"
    assert results.hits[0].url.startswith(VELERO)


def test_the_corrected_query_is_the_typed_one_with_the_same_words_corrected(imported):
    assert search(query="valero.").corrected == "velero."
    assert search(query="(valero)  oomkiled,").corrected == "(velero) oomkilled,"


def test_it_corrects_letters_swapped_in_a_short_word(imported):
    results = search(query="veelro")
    assert results.corrected == "velero"
    assert results.hits[0].url.startswith(VELERO)


def test_it_claims_no_correction_when_every_word_is_known(imported):
    assert search(query="velero backup").corrected is None


def test_it_finds_a_word_still_being_typed(imported):
    assert pages("velero oomk")[0] == VELERO


def test_it_ranks_the_runbook_of_an_alert_named_exactly_first(imported):
    save(
        "storm.md",
        "# HomelabPodOOMKilled storm\n\n## Summary\n\nHomelabPodOOMKilled fired. HomelabPodOOMKilled again.\n\n## Timeline\n\nHomelabPodOOMKilled\n",
    )
    hits = search(query="HomelabPodOOMKilled").hits
    assert hits[0].url.startswith(VELERO)
    assert hits[0].kind == "runbook"
    assert hits[0].score > 1 >= hits[1].score


def test_a_hit_inside_a_section_links_to_its_anchor(imported):
    hit = search(query="kopia repositories").hits[0]
    assert hit.url == f"{VELERO}#root-cause"
    assert hit.section == "Root Cause"


def test_snippets_mark_the_words_found_and_escape_everything_else():
    save(
        "xss.md",
        "---\nkind: runbook\n---\n# Escaping\n\n## Notes\n\nThe zanzibar step prints `<script>alert(1)</script>` & more.\n",
    )
    snippet = search(query="zanzibar").hits[0].snippet
    assert "<mark>zanzibar</mark>" in snippet
    assert "<script>" not in snippet  # escaped on SQLite; PostgreSQL's ts_headline drops tags itself
    assert "alert(1)" in snippet and "&amp; more" in snippet


@pytest.mark.parametrize(
    "text, word, shown",
    [
        (
            "Clear `/var/lib/quillet/pods/` on the node, then restart it.",
            "quillet",
            "/var/lib/<mark>quillet</mark>/pods/",
        ),
        (
            "The board is https://grafana.zephyr.example/d/abc?orgId=1 for now.",
            "zephyr",
            "https://grafana.<mark>zephyr</mark>.example/d/",
        ),
        ("Its logs are in /ferrox/logs/app.log until noon.", "ferrox", "/<mark>ferrox</mark>/logs/app.log"),
        (
            "Edit ringfold.conf on db-01.ringfold.lan and reload it.",
            "ringfold",
            "<mark>ringfold</mark>.conf on db-01.<mark>ringfold</mark>.lan",
        ),
    ],
)
def test_a_word_inside_a_path_an_address_or_a_file_name_is_found_and_marked_as_written(text, word, shown):
    # PostgreSQL's parser reads each of these as one word: it found no folder by its name, and marked nothing in them.
    save("paths.md", f"---\nkind: runbook\n---\n# Paths\n\n## Fix\n\n{text}\n")
    hit = search(query=word).hits[0]
    assert hit.section == "Fix"
    assert shown in hit.snippet
    assert "\u200b" not in hit.snippet


def test_a_section_snippet_is_the_text_as_read_not_its_markdown():
    save(
        "zorp.md",
        "---\nkind: runbook\n---\n# Zorp\n\n## Fix\n\nUpgrade the _zorp chart_ as [the guide][g] says.\n\n[g]: https://example.org/guide\n",
    )
    hit = search(query="zorp chart guide").hits[0]
    assert hit.section == "Fix"
    assert "the guide" in hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert not any(markup in hit.snippet for markup in ("_", "[", "example.org"))


def test_a_document_matched_outside_its_sections_shows_its_own_text_and_links_to_its_top():
    save(
        "quokka.md",
        "---\nkind: runbook\n---\n# Quokka gateway down\n\nThe quokka gateway fronts the shop.\n\n## Fix\n\nRestart it.\n",
    )
    save("wombat.md", "---\nkind: runbook\n---\n# Wombat\n\n## Fix\n\nThe quokka gateway needs a restart.\n")
    hits = {hit.title: hit for hit in search(query="quokka gateway").hits}
    top = hits["Quokka gateway down"]
    assert (top.url, top.section) == ("/runbooks/quokka/", "")
    assert "<mark>quokka</mark> <mark>gateway</mark> fronts" in top.snippet
    assert (hits["Wombat"].url, hits["Wombat"].section) == ("/runbooks/wombat/#fix", "Fix")


def test_runbooks_post_mortems_and_incidents_come_in_one_list(imported):
    kinds = {hit.kind for hit in search(query="HomelabPodOOMKilled oom").hits}
    assert kinds == {"runbook", "postmortem", "incident"}


def test_it_finds_an_incident_by_its_reference(imported):
    hit = search(query="#236").hits[0]
    assert (hit.kind, hit.title, hit.alert) == ("incident", "#236", "HomelabPodOOMKilled")
    assert hit.url.startswith("/incidents/")


def test_a_quoted_phrase_must_appear_as_written(imported):
    assert pages('"kopia uploader"') == [VELERO]
    assert pages('"uploader kopia"') == []


def test_a_minus_excludes_documents_with_that_word(imported):
    assert VELERO in pages("oom")
    assert VELERO not in pages("oom -velero")
    assert KURED in pages("oom -velero")


def test_archived_documents_drop_out_of_the_results(imported):
    Document.objects.filter(slug="velero-oomkilled").update(archived=True)  # what `import_docs --prune` does
    assert VELERO not in pages("velero")


def test_a_changed_document_is_found_by_its_new_words_only(imported):
    text = "# Quux runbook (QuuxDown)\n\n## Fix\n\nRestart the frobnicator.\n"
    save("quux.md", text)
    assert pages("frobnicator") == ["/runbooks/quux/"]
    save("quux.md", text.replace("frobnicator", "defibrillator"))
    assert pages("frobnicator") == []
    assert pages("defibrillator") == ["/runbooks/quux/"]


def test_it_corrects_no_typo_to_a_word_no_document_holds_any_more():
    quux = "# Quux runbook (QuuxDown)\n\n## Fix\n\nRestart the frobnicator.\n"
    corge = "# Corge runbook (CorgeDown)\n\n## Fix\n\nOil the frobnicator.\n"
    save("quux.md", quux)
    save("corge.md", corge)
    save("quux.md", quux.replace("frobnicator", "defibrillator"))
    assert search(query="frobnicatr").corrected == "frobnicator"  # corge.md still says it
    assert search(query="defibrilator").corrected == "defibrillator"
    save("corge.md", corge.replace("frobnicator", "gearbox"))
    results = search(query="frobnicatr")
    assert (results.corrected, results.hits) == (None, [])


def test_reindex_rebuilds_the_index_from_the_documents(imported):
    SearchEntry.objects.all().delete()
    assert pages("velero") == []
    out = StringIO()
    call_command("reindex", stdout=out)
    assert "search index rebuilt" in out.getvalue()
    assert pages("velero")[0] == VELERO


def test_an_interrupted_reindex_leaves_the_index_as_it_was(imported, monkeypatch):
    """The index is rebuilt a few documents at a time, in one transaction."""
    from kb.search import index

    read = []

    def interrupted(html):
        read.append(html)
        if len(read) == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C while the second document is read
        return texts_of(html)

    words = SearchTerm.objects.count()
    texts_of = index.SearchTexts.of
    monkeypatch.setattr(index.SearchTexts, "of", interrupted)
    monkeypatch.setattr(index, "REBUILT_AT_ONCE", 1)  # the first document's rows written before the interruption
    with pytest.raises(KeyboardInterrupt):
        call_command("reindex", stdout=StringIO())
    assert len(read) == 2
    monkeypatch.undo()
    assert pages("velero")[0] == VELERO
    assert SearchTerm.objects.count() == words > 0  # the vocabulary the spelling corrections read, too


@pytest.mark.parametrize("query", ["", "   ", "!!!", '"', "-", "-velero", "or", '"unclosed phrase', "a*b:c|d&(e)"])
def test_odd_queries_return_a_list_and_never_an_error(imported, query):
    assert isinstance(search(query=query).hits, list)


def test_incidents_written_elsewhere_are_indexed_in_a_fixed_number_of_queries(django_assert_num_queries):
    from kb.models import Alert
    from kb.search import search_index_incidents

    alert = Alert.objects.create(name="NodeDiskPressure")
    incidents = [
        Incident.objects.create(alert=alert, fingerprint=f"f{n}", labels={"node": f"worker-{n}"}) for n in range(5)
    ]
    # Read the words of their old rows, delete those, insert the new ones, add new words; on SQLite, merge
    # FTS5's segments a few pages.
    with django_assert_num_queries(5 if connection.vendor == "sqlite" else 4):
        search_index_incidents(incidents=incidents)
    hits = search(query="worker-3").hits
    assert [(hit.kind, hit.alert) for hit in hits] == [("incident", "NodeDiskPressure")]


def test_it_finds_an_incident_written_in_the_incident_form_by_its_title_as_last_edited(editor_client):
    editor_client.post(
        "/incidents/new/", {"reference": "#901", "title": "Frobnicator meltdown", "alert_name": "BrandNewAlert"}
    )
    assert [hit.url for hit in search(query="frobnicator meltdown").hits] == ["/incidents/901/"]
    url = "/incidents/901/edit/"
    editor_client.post(url, form_data(editor_client.get(url).content.decode(), url) | {"title": "Defibrillator outage"})
    assert [hit.url for hit in search(query="defibrillator outage").hits] == ["/incidents/901/"]
    assert search(query="frobnicator meltdown").hits == []
    assert search(query="frobnicatr").corrected is None


def test_an_incident_saved_in_the_admin_is_found_by_search(admin_client):
    response = admin_client.post(
        "/admin/kb/incident/add/",
        {
            "reference": "#4242",
            "title": "Quokka exporter meltdown",
            "status": "firing",
            "labels": "{}",
            "annotations": "{}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [hit.title for hit in search(query="quokka meltdown", limit=5).hits] == ["Quokka exporter meltdown"]


def test_a_thousand_new_alert_names_find_the_documents_that_name_them(imported):
    # An Alertmanager group of 1,000 alerts new to the knowledge base: their names are looked up at once.
    names = [f"GeneratedAlert{n}" for n in range(999)] + ["HomelabPodOOMKilled"]
    naming = search_documents_naming(names=names)
    assert naming and naming == search_documents_naming(names=["HomelabPodOOMKilled"])


def test_an_incident_naming_an_alert_is_not_among_the_documents_naming_it(imported):
    from kb.alerting.incidents import incident_save

    incident = incident_save(incident=Incident(reference="#77", title="Quokka", notes="HomelabPodOOMKilled again"))
    assert SearchEntry.objects.filter(incident=incident).exists()
    naming = search_documents_naming(names=["HomelabPodOOMKilled"])
    # Document ids only: an incident's row has none (None is no document's).
    assert naming and naming <= set(Document.objects.values_list("pk", flat=True))


def test_a_search_takes_a_few_queries_however_many_words_hits_and_alerts_named(imported, django_assert_max_num_queries):
    from kb.models import Alert
    from kb.search import search_index_incidents

    alert = Alert.objects.create(name="VeleroBackupPartiallyFailed")
    incidents = [
        Incident.objects.create(alert=alert, fingerprint=f"b{n}", labels={"schedule": f"velero-daily-{n}"})
        for n in range(30)
    ]
    search_index_incidents(incidents=incidents)
    for query in (
        "HomelabPodOOMKilled",
        "velero memory limit backup",
        "velero backup partially failed",
        'velero "memory limit" -staging',
    ):
        # 1. the index's stamp (the key of a kept answer), with which of the words the index knows  2. how many
        # rows each term matches, counted up to a bound  3. the candidates, ranked and cut to the window in the
        # database, with the runbooks of an alert named exactly  4. the best section and snippet of each hit (on
        # PostgreSQL, the best sections first, where documents are found: not for incidents alone)
        with django_assert_max_num_queries(SEARCH_STATEMENTS):
            hits = search(query=query, limit=20).hits
        assert hits, query


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics of the index")
def test_on_postgresql_words_the_statistics_call_common_are_not_counted_apart(imported, django_assert_num_queries):
    from kb.search import engines
    from kb.search.engines.common_words import COMMON_WORDS_KEY

    # The words (stemmed) a worker keeps from pg_stats when the index holds thousands of rows of each: here set
    # as it would keep them, the test's index being too small for any.
    cache.set(COMMON_WORDS_KEY, "{backup,memori,velero}", 300)
    # The stamp (with the terms' stems), the candidates, the best sections, the snippets: no counting, as
    # PostgreSQL would decide.
    with django_assert_num_queries(4):
        assert search(query="velero memory backup").hits
    assert engines.current_engine().term_counts(understand("velero memory backup")) == [301, 301, 301]
    # One word not common: counted, as before.
    with django_assert_num_queries(5):
        assert search(query="velero memory kopia").hits


def test_misspelt_words_take_one_query_more_however_many(imported, django_assert_num_queries):
    for query, corrected in (("valero", "velero"), ("valero oomkiled memroy", "velero oomkilled memory")):
        # those of every search, and the known words near the misspelt ones, all of them at once
        with django_assert_num_queries(SEARCH_STATEMENTS + 1):
            results = search(query=query)
        assert results.corrected == corrected
        assert results.hits[0].url.startswith(VELERO)


@pytest.mark.parametrize(
    "query",
    ["pod oom killed", "velero memory limit backup", "kured reboot", "oomkilled memory", "memory limit", "node"],
)
def test_a_word_in_many_rows_changes_none_of_the_first_hits(imported, monkeypatch, query):
    # A term matching more rows than COMMON_ROWS is not ranked in all of them (that would grow with the
    # knowledge base): only in the rows of the query's rarer terms, or, when every term is that common,
    # in the newest rows holding them all. With the bound at 2 rows, most words here are common.
    from kb.search import engines

    expected = pages(query, limit=3)
    assert expected, query
    monkeypatch.setattr(engines.Engine, "COMMON_ROWS", 2)
    assert pages(query, limit=3) == expected


def test_a_common_word_still_counts_in_the_rows_of_a_rarer_one(imported, monkeypatch):
    from kb.search import engines

    # Both hold both words; only how much each holds "memory" tells them apart.
    save("quasar-drift.md", "# Quasar drift\n\nThe quasar exporter drifts, memory too.\n")
    save(
        "quasar-wobble.md",
        "# Quasar wobble\n\nThe quasar exporter wobbles at dawn.\n\n## Memory\n\nIts memory runs low: memory, memory.\n",
    )
    monkeypatch.setattr(engines.Engine, "COMMON_ROWS", 2)  # "memory" is common here, "quasar" is not
    quasar, memory = engines.current_engine().term_counts(understand("quasar memory"))
    assert quasar <= engines.Engine.COMMON_ROWS < memory
    assert [hit.title for hit in search(query="quasar memory", limit=2).hits] == ["Quasar wobble", "Quasar drift"]


def fts5_segments() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(DISTINCT segid) FROM kb_searchentry_fts_idx")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5's segments; PostgreSQL's GIN indexes have none")
def test_imports_leave_the_index_in_few_segments_whatever_their_size(tmp_path):
    # Each write transaction adds an FTS5 segment that every query then searches for each of its terms;
    # FTS5 alone leaves up to three a level.
    from kb.documents import importing

    def quasar(n: int, folder: str = "") -> Path:
        path = tmp_path / folder / f"quasar-{n}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"# Quasar {n} drifting\n\n## Fix\n\nRestart the quasar {n}.\n")
        return path

    for n in range(40):
        quasar(n, "first")
    importing.import_paths([tmp_path / "first"])
    assert fts5_segments() == 1  # a large share of the knowledge base: rewritten whole
    for n in range(40, 46):  # small ones, a Git sync's: merged in proportion (FTS5 alone: 12 segments)
        importing.import_paths([quasar(n)])
    assert fts5_segments() <= 2
    for n in range(46, 52):  # fewer than a quarter of the documents: merged, not rewritten
        quasar(n, "more")
    importing.import_paths([tmp_path / "more"])
    assert fts5_segments() <= 2
    for n in range(52, 70):  # a quarter or more: rewritten whole again
        quasar(n, "most")
    importing.import_paths([tmp_path / "most"])
    assert fts5_segments() == 1
    assert len(search(query="quasar", limit=80).hits) == 70


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5's segments; PostgreSQL's GIN indexes have none")
def test_writes_of_incidents_leave_the_index_in_few_segments():
    # The webhook writes a group of alerts at a time, each write a segment (FTS5 alone: 12 after these 12).
    from kb.alerting.webhook import parse_webhook, webhook_store

    for group in range(12):
        alerts = [
            {
                "status": "firing",
                "labels": {"alertname": "PulsarLagHigh", "topic": f"t{group}-{n}"},
                "startsAt": "2027-01-01T00:00:00Z",
                "fingerprint": f"g{group}n{n}",
            }
            for n in range(20)
        ]
        body = {"version": "4", "status": "firing", "receiver": "kb", "groupKey": f"g{group}", "alerts": alerts}
        webhook_store(payload=parse_webhook(json.dumps(body).encode()))
    assert fts5_segments() <= 3
    assert len(search(query="pulsar lag high", limit=100).hits) == 100


def test_a_search_asked_again_is_answered_from_what_was_kept_until_the_index_changes(django_assert_num_queries):
    from kb.alerting.incidents import incidents_create
    from kb.models import Alert

    save("quux.md", "# Quux runbook (QuuxDown)\n\n## Fix\n\nRestart the frobnicator.\n")
    first = search(query="frobnicator")
    with django_assert_num_queries(1):  # the index's stamp (with the words it knows) only
        assert search(query="frobnicator") == first
    assert pages("frobnicator") == ["/runbooks/quux/"]
    # Each write to what search reads changes the answer at once: an incident recorded, a document archived.
    alert = Alert.objects.get(name="QuuxDown")
    (incident,) = incidents_create(incidents=[Incident(alert=alert, fingerprint="q1", labels={"pod": "frobnicator-7"})])
    assert sorted(pages("frobnicator")) == [incident.get_absolute_url(), "/runbooks/quux/"]
    Document.objects.filter(slug="quux").update(archived=True, updated_at=timezone.now())
    assert "/runbooks/quux/" not in pages("frobnicator")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics of its GIN index")
def test_a_word_the_statistics_place_in_far_more_rows_than_the_bound_is_common_without_counting(monkeypatch):
    from kb.alerting.incidents import incidents_create
    from kb.models import Alert
    from kb.search import engines

    monkeypatch.setattr(engines.Engine, "COMMON_ROWS", 2)  # common beyond 2 rows; surely so beyond 40
    alert = Alert.objects.create(name="FrobnicatorDown")
    incidents_create(
        incidents=[Incident(alert=alert, fingerprint=f"f{n}", labels={"pod": f"frobnicator-{n}"}) for n in range(60)]
    )
    save("quux.md", "# Quux runbook (QuuxDown)\n\n## Fix\n\nRestart the defibrillator.\n")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE kb_searchentry")
    engine = engines.current_engine()
    assert engine.term_counts(understand("frobnicator defibrillator")) == [3, 1]
    # Its rows gone but the statistics not read again (kept a few minutes): still common, so it was not counted.
    SearchEntry.objects.filter(incident__isnull=False).delete()
    assert engine.term_counts(understand("frobnicator defibrillator")) == [3, 1]
    cache.clear()  # a worker reads them again after a while, from statistics that still say so until ANALYZE
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE kb_searchentry")
    assert engine.term_counts(understand("frobnicator defibrillator")) == [0, 1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics of whole rows' words")
def test_a_word_in_every_section_of_one_document_is_not_common_by_the_statistics(monkeypatch):
    from kb.search import engines

    monkeypatch.setattr(engines.Engine, "COMMON_ROWS", 2)  # common beyond 2 whole rows; surely so beyond 4
    steps = "".join(f"## Step {n}\n\nCharge the defibrillator.\n\n" for n in range(50))
    save("quux.md", f"# Quux runbook (QuuxDown)\n\n{steps}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE kb_searchentry")
    # In 51 rows of the index (the document's whole row and its sections'), but in one whole row: rare, so every
    # row holding it is ranked, and it weighs as a rare word does.
    assert engines.current_engine().term_counts(understand("defibrillator")) == [1]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps statements compiled by their text")
@pytest.mark.parametrize("common_rows", [300, 2])
@pytest.mark.parametrize("kept_by_the_other_thread", [False, True])
def test_on_sqlite_a_worker_thread_s_warm_up_runs_every_statement_its_first_searches_run(
    imported, monkeypatch, common_rows, kept_by_the_other_thread
):
    # A statement's text new to a connection is compiled in the search that runs it (1-2 ms at 12,000 documents):
    # the warm-up at a worker thread's start runs each text the searches of a few words run, its terms rare
    # (COMMON_ROWS 300 here) or common (2), so that none of them compiles one. A worker's threads warm up together:
    # the second one's warm query finds the first one's answer kept, and must run its statements all the same.
    from kb.search import engines, search_warm

    monkeypatch.setattr(engines.Engine, "COMMON_ROWS", common_rows)
    if kept_by_the_other_thread:
        search(query="service restart")
    texts: list[str] = []

    def recorded(execute, sql, params, many, context):
        texts.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(recorded):
        search_warm(query="service restart")
        warmed = set(texts)
        for query in ("velero", "pod oom killed", "velero memory limit backup", "oomkilled memory", "kured reboot"):
            assert search(query=query).hits, query
    assert set(texts) - warmed == set()


NAS = """# Sicherung auf dem Zürich-NAS schlägt fehl

## Diagnose

Der nächtliche Job kann `/srv/Übung/Größe.conf` auf `nas-zürich-01` nicht schreiben: Prüfen Sie die Freigabe.
"""


@pytest.mark.parametrize(
    "query, marked",
    [
        ("Zürich", "zürich"),
        ("schlägt fehl", "schlägt"),
        ('"nächtliche Job"', None),
        ("Größe", None),
        ("nas-zürich-01", None),
    ],
)
def test_words_of_other_letters_are_found_as_written(query, marked):
    """A word with letters beyond ASCII is one word, as the engines index it: "Zürich" was searched as "z" and
    "rich", "Größe" as "gr" and "e", and found nothing; in a path or a host name too (their identifiers' terms).
    Marked in the snippet where it is prose (PostgreSQL's headline reads a path as one word)."""
    save("sicherung.md", NAS)
    save("other.md", "# Disk full\n\n## Diagnosis\n\nThe rich zone and a gr e path.\n")
    hits = search(query=query).hits
    assert [hit.title for hit in hits] == ["Sicherung auf dem Zürich-NAS schlägt fehl"]
    if marked:
        assert f"<mark>{marked}</mark>" in str(hits[0].snippet)


def test_a_misspelt_word_of_other_letters_is_corrected_to_it():
    save("sicherung.md", NAS)
    results = search(query="Sicherng Zürich")
    assert results.corrected == "sicherung Zürich"
    assert [hit.title for hit in results.hits][:1] == ["Sicherung auf dem Zürich-NAS schlägt fehl"]


@pytest.mark.parametrize("query", ["zurich", "Zürich"])
def test_a_word_is_found_with_or_without_its_accents(query):
    """FTS5 folds accents (`remove_diacritics`), and PostgreSQL's configuration does too (migration 0030): with both
    spellings known, each finds both documents, as the other engine's does."""
    save("nas.md", "# Zürich NAS full\n\n## Diagnosis\n\nThe Zürich share is full.\n")
    save("backup.md", "# Backup to Zurich slow\n\n## Diagnosis\n\nThe Zurich link is saturated.\n")
    results = search(query=query)
    assert results.corrected is None
    assert sorted(hit.title for hit in results.hits) == ["Backup to Zurich slow", "Zürich NAS full"]


@pytest.mark.django_db(transaction=True)
def test_documents_stored_before_the_upgrade_are_found_without_their_accents_after_it():
    apps = migrated([("kb", "0029_search_sections_found_in_their_whole_rows_vector")])
    Note, SearchEntry_ = apps.get_model("kb", "Note"), apps.get_model("kb", "SearchEntry")
    note = Note.objects.create(kind="note", slug="nas", identity="nas.md", title="Zürich NAS", source_text="", html="")
    SearchEntry_.objects.create(
        kind="note",
        document_id=note.pk,
        title="Zürich NAS",
        scope="whole",
        url="/notes/nas/",
        title_terms="Zürich NAS",
        body="The Zürich share is full.",
    )
    try:
        migrated_to_latest()
        titles = [hit.title for hit in search(query="zurich").hits]
    finally:
        migrated_to_latest()
    assert titles == ["Zürich NAS"]
