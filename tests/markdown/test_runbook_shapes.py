"""Runbooks in the shapes teams write them: many alerts in one file, stubs, pages with front matter
and no H1, setext headings, indented code, review dates and files that lost their newlines."""

from datetime import date
from pathlib import Path

from kb.markdown.parsing import parse_document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runbooks"


def parse(name: str):
    return parse_document((FIXTURES / name).read_text(encoding="utf-8"), f"runbooks/{name}")


def test_a_playbooks_file_gives_one_runbook_per_alert_section():
    playbooks = parse("playbooks.md")
    assert [part.alert for part in playbooks.parts] == [
        "QueueBacklogHigh",
        "QueueBacklogCritical",
        "QueueConsumerCrashLooping",
        "QueueDeadLetterGrowing",
    ]
    assert [part.parsed.alert for part in playbooks.parts] == [part.alert for part in playbooks.parts]
    assert playbooks.alert is None  # the file itself answers no one alert


def test_procedures_and_names_not_used_as_alerts_are_not_cut_out_as_runbooks():
    alerts = {part.alert for part in parse("playbooks.md").parts}
    assert "KafkaConnect" not in alerts  # CamelCase, but under "Manual procedures" and never said to fire
    assert not any("Restart" in alert or "Resizing" in alert for alert in alerts)


def test_an_alert_section_keeps_its_subsections_text_and_code():
    high = parse("playbooks.md").parts[0]
    assert high.anchor == "queuebackloghigh"
    assert [s.heading for s in high.parsed.sections] == ["When the consumers are healthy"]
    assert "kubectl -n orders scale deployment/consumer --replicas=6" in high.parsed.sections[0].markdown
    assert "<pre>" in high.parsed.html
    assert "QueueBacklogCritical" not in high.text  # it ends where the next alert begins


def test_a_same_as_section_is_a_stub_naming_the_real_runbook():
    parts = {part.alert: part.parsed for part in parse("playbooks.md").parts}
    assert parts["QueueBacklogCritical"].stub_of == "QueueBacklogHigh"
    assert parts["QueueBacklogHigh"].stub_of == ""


def test_links_to_the_rest_of_the_file_still_lead_there_from_an_alert_page():
    parts = {part.alert: part.parsed for part in parse("playbooks.md").parts}
    assert 'href="/alerts/QueueBacklogHigh/"' in parts["QueueBacklogCritical"].html
    assert 'href="/resolve/?ref=playbooks.md&amp;from=runbooks/playbooks.md#resizing-the-queue-volume"' in (
        parts["QueueDeadLetterGrowing"].html
    )


def test_a_whole_file_saying_it_moved_is_a_stub():
    moved = parse_document(
        "# DiskFull\n\nThis alert has been moved to [`NodeDiskFull`](NodeDiskFull.md).\n", "DiskFull.md"
    )
    assert (moved.alert, moved.stub_of) == ("DiskFull", "NodeDiskFull")


def test_one_alert_named_heading_in_an_ordinary_runbook_is_not_a_part():
    text = (
        "# Disk full (NodeDiskFull)\n\n## Alert\n\n### NodeDiskFull\n\nThis alert fires at 95%.\n\n## Fix\n\nGrow it.\n"
    )
    runbook = parse_document(text, "disk.md")
    assert (runbook.alert, runbook.parts) == ("NodeDiskFull", [])


def test_a_page_with_front_matter_and_no_h1_takes_its_title_and_review_dates_from_front_matter():
    page = parse("queue-alerts.html.md")
    assert page.title == "Order queue alerts"
    assert (page.last_reviewed_on, page.review_in) == (date(2026, 4, 1), "6 months")


def test_the_alerts_of_a_front_matter_only_page_are_its_alert_headings():
    page = parse("queue-alerts.html.md")
    assert [part.alert for part in page.parts] == [
        "OrdersQueueStalled",
        "OrdersQueueSlow",
        "OrdersHostCPUHigh",
        "OrdersHostMemoryHigh",
    ]
    stalled = page.parts[0].parsed
    assert stalled.last_reviewed_on == date(2026, 4, 1)
    # its reference links resolve although their targets sit at the end of the file
    assert 'href="https://example.org/rules/orders.yaml#L4"' in stalled.html


def test_alerts_listed_under_a_heading_about_alerts_share_its_text():
    listed = {part.alert: part for part in parse("queue-alerts.html.md").parts}
    cpu, memory = listed["OrdersHostCPUHigh"], listed["OrdersHostMemoryHigh"]
    assert cpu.anchor == memory.anchor == "queue-host-alerts"
    assert "Both mean the broker needs a bigger node." in cpu.parsed.html


def test_a_list_of_related_alerts_in_a_runbook_for_one_alert_makes_no_runbooks():
    text = (
        "# Disk full (NodeDiskFull)\n\n## Mitigation\n\nGrow the volume.\n\n## Related alerts\n\n"
        "- `NodeDiskAlmostFull`\n- `NodeInodesFull`\n"
    )
    runbook = parse_document(text, "disk.md")
    assert (runbook.alert, runbook.parts) == ("NodeDiskFull", [])


def test_indented_code_is_code_in_the_page_and_in_its_sections():
    stalled = parse("queue-alerts.html.md").parts[0].parsed
    assert "<pre>" in stalled.html and "# then watch the offsets move" in stalled.html
    assert "<h1" not in stalled.html  # the shell comment is not a heading
    setext = parse("setext-runbook.md")
    diagnosis = next(s for s in setext.sections if s.heading == "Diagnosis")
    assert "    # the offset of each partition" in diagnosis.markdown
    assert [s.heading for s in setext.sections] == ["Meaning", "Diagnosis", "Mitigation"]


def test_a_setext_runbook_reads_its_title_levels_and_the_alert_its_text_names():
    setext = parse("setext-runbook.md")
    assert setext.title == "Queue consumer stalled"
    assert {s.level for s in setext.sections} == {2}
    assert setext.alert == "QueueConsumerStalled"
    assert '<h2 id="mitigation">Mitigation</h2>' in setext.html


def test_a_flattened_runbook_keeps_the_rows_of_its_resolution_history():
    flat = parse("flattened-runbook.md")
    assert any(w.startswith("structure reconstructed") for w in flat.warnings)
    assert [(str(r.date), r.incidents, r.old, r.new) for r in flat.resolution_history] == [
        ("2026-03-02", ["#412"], "30s", "60s"),
        ("2026-04-11", ["#431"], "-", "-"),
        ("2026-06-20", ["#455"], "60s", "45s"),
    ]
    assert flat.alert == "LedgerReplicaLagHigh"


def test_a_flattened_runbook_keeps_its_front_matter_alert_and_labels():
    text = (
        "---\nkind: runbook\nalert: LedgerReplicaLagHigh\nlabels: {namespace: ledger}\nreview_in: 3 months\n---\n\n"
        "# Ledger replica lag\n\n## Diagnosis\n\nCheck the lag of the replica against the primary before anything"
        " else, then look at the WAL receiver.\n\n## Mitigation\n\nRestart the WAL receiver:\n\n```sh\n"
        "kubectl -n ledger exec ledger-db-1 -- pg_ctl restart\n```\n"
    )
    flat = parse_document(" ".join(text.split("\n")), "ledger.md")
    assert any(w.startswith("structure reconstructed") for w in flat.warnings)
    assert (flat.alert, flat.labels, flat.review_in) == ("LedgerReplicaLagHigh", {"namespace": "ledger"}, "3 months")
    assert [s.heading for s in flat.sections] == ["Diagnosis", "Mitigation"]


def test_a_see_stub_names_the_alert_of_the_page_it_links_to():
    text = '---\ntitle: Node RAID disk failure\n---\n\n# NodeRAIDDiskFailure\n\nSee [Node RAID degraded]({{< ref "./NodeRAIDDegraded.md" >}})\n'
    stub = parse_document(text, "node/NodeRAIDDiskFailure.md")
    assert (stub.alert, stub.stub_of) == ("NodeRAIDDiskFailure", "NodeRAIDDegraded")


def test_a_stub_pointing_at_a_wiki_page_keeps_its_address():
    stub = parse_document("# DiskFull\n\nSee [the disk runbook](https://wiki.example.org/disk).\n", "DiskFull.md")
    assert stub.stub_of == "https://wiki.example.org/disk"
