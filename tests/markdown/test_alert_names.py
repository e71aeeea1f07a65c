"""Where runbook collections name the alerts of a page: the check a page is titled after and the
instances of it its sections name, names written before "alerts" in a sentence, and the rest of a
file with many alerts, which is a note. Fixtures: tests/fixtures/runbooks/ (written for these tests)."""

from pathlib import Path

from kb.markdown.parsing import parse_document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runbooks"


def parse(name: str, path: str = ""):
    return parse_document((FIXTURES / name).read_text(encoding="utf-8"), path or f"source/manual/alerts/{name}")


def test_sections_naming_the_pages_check_and_what_it_watches_are_each_an_alert():
    page = parse("low-free-memory.html.md")
    assert [part.alert for part in page.parts] == [
        "Low free memory on the cache hosts",
        "Low free memroy on /srv/search for search-1 and search-2",  # a slip in the heading, as written
    ]
    cache = page.parts[0].parsed
    assert (cache.kind, cache.alert) == ("runbook", "Low free memory on the cache hosts")
    assert "systemctl restart cache-daemon" in cache.html
    assert "du -sh" not in cache.html  # the next alert's section is not its own


def test_the_rest_of_a_file_with_many_alerts_is_a_note_holding_the_sections_the_alerts_share():
    page = parse("low-free-memory.html.md")
    assert (page.kind, page.alert) == ("note", None)
    assert [s.heading for s in page.sections] == ["Swap in use on a database host", "Finding what uses the memory"]
    assert "Move a replica away" in page.html and "systemctl restart cache-daemon" in page.html  # the whole file
    playbooks = parse_document((FIXTURES / "playbooks.md").read_text(encoding="utf-8"), "runbooks/playbooks.md")
    assert playbooks.kind == "note"
    assert "Manual procedures" in [s.heading for s in playbooks.sections]
    assert "QueueBacklogHigh" not in [s.heading for s in playbooks.sections]


def test_a_section_titled_like_the_check_alone_or_on_another_page_names_no_alert():
    page = parse("low-free-memory.html.md").parts
    assert "Swap in use on a database host" not in [part.alert for part in page]
    # the same headings on a page outside an alerts section: an ordinary document, no parts
    text = (FIXTURES / "low-free-memory.html.md").read_text(encoding="utf-8").replace("section: Icinga alerts\n", "")
    assert parse_document(text, "docs/memory.md").parts == []


def test_names_written_before_alerts_in_a_sentence_are_alerts_of_the_file():
    alerts = [part.alert for part in parse("tokens-alerts.html.md").parts]
    assert alerts == [
        "AssistantHighErrorRate",
        "AssistantSlowAnswers",
        "assistant-token-budget-75",
        "assistant-token-budget-95",
    ]
    assert "here" not in alerts and "values-{environment}.yaml" not in alerts


def test_a_lower_case_file_name_that_says_the_title_takes_the_titles_spelling():
    assert parse("backupfailed.html.md").alert == "Backup Failed"
    camel = "---\ntitle: Disk Will Fill\nsection: Icinga alerts\n---\n\nGrow the volume.\n"
    assert parse_document(camel, "alerts/DiskWillFill.md").alert == "DiskWillFill"
