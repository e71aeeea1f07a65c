"""An incident a document names carries what the document says about it: the date, alert, runbook,
change and fix of its resolution history row; the title, severity and fix of its post-mortem."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kb.models import Alert, Document, Incident, IncidentOrigin
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alerting"
RUNBOOK = "loki-ingester-oomkilled.md"
POSTMORTEM = "2026-04-03-loki-ingesters-oom.md"
GRAFANA = "2026-05-20-grafana-login-loop.md"


def save(name: str, text: str | None = None):
    return save_document(text if text is not None else (FIXTURES / name).read_text(), identity=name)


def incident(reference: str) -> Incident:
    return Incident.objects.select_related("alert", "runbook", "postmortem").get(reference=reference)


def test_a_history_row_gives_its_incident_the_date_alert_runbook_change_and_fix():
    runbook = save(RUNBOOK)
    found = incident("#301")
    assert found.started_at == datetime(2026, 1, 12, tzinfo=UTC)
    assert (found.alert.name, found.runbook, found.status, found.origin) == (
        "HomelabPodOOMKilled",
        runbook,
        "resolved",
        IncidentOrigin.DOCUMENT,
    )
    assert (found.change_from, found.change_to, found.change) == ("512Mi", "1Gi", "512Mi → 1Gi")
    assert found.fix == "Killed during the nightly compaction; raised the limit"
    assert found.title == "" and found.postmortem is None


def test_two_incidents_of_one_row_share_its_facts():
    save(RUNBOOK)
    assert [(i.started_at.date(), i.change) for i in (incident("#318"), incident("#319"))] == [
        (date(2026, 4, 3), "1Gi → 2Gi"),
        (date(2026, 4, 3), "1Gi → 2Gi"),
    ]


def test_a_postmortem_gives_its_incident_its_date_title_severity_and_fix_section():
    postmortem = save(GRAFANA)
    found = incident("#330")
    assert (found.started_at.date(), found.title, found.severity, found.postmortem) == (
        date(2026, 5, 20),
        "Post-Mortem: Grafana login loop",
        "SEV4",
        postmortem,
    )
    assert found.fix == (
        "Restored the GF_SERVER_ROOT_URL setting that the chart upgrade had dropped, then restarted Grafana."
    )
    assert found.status == "resolved" and found.alert is None and found.runbook is None


def test_a_history_row_and_the_postmortem_of_the_same_day_merge_whichever_is_saved_first():
    for order in ([POSTMORTEM, RUNBOOK], [RUNBOOK, POSTMORTEM]):
        Document.objects.all().delete()
        Incident.objects.all().delete()
        for name in order:
            save(name)
        found = incident("#318")
        # the history row's fix, the post-mortem's title and severity
        assert found.fix == "Two ingesters killed within an hour after the promtail rollout doubled the streams"
        assert found.change == "1Gi → 2Gi"
        assert (found.title, found.severity) == (
            "Post-Mortem: Loki ingesters OOMKilled after the promtail rollout",
            "SEV3",
        )
        assert found.postmortem.slug == "2026-04-03-loki-ingesters-oom"
        assert found.runbook.slug == "loki-ingester-oomkilled"
        assert sorted(d.kind for d in found.documents.all()) == ["postmortem", "runbook"]


def test_a_postmortem_recalling_an_earlier_incident_does_not_cover_it():
    save(RUNBOOK)
    save(POSTMORTEM)  # names #301, fixed in January, months before
    found = incident("#301")
    assert found.postmortem is None and found.title == "" and found.severity == ""
    assert found.started_at.date() == date(2026, 1, 12)
    assert found.documents.count() == 2


def test_a_reimport_updates_the_incident_and_never_duplicates_it():
    save(RUNBOOK)
    text = (FIXTURES / RUNBOOK).read_text()
    save(RUNBOOK, text.replace("| 512Mi | 1Gi | Killed", "| 512Mi | 768Mi | Killed"))
    assert Incident.objects.filter(reference="#301").count() == 1
    assert incident("#301").change == "512Mi → 768Mi"


def test_a_row_taken_out_of_the_history_takes_its_facts_away():
    save(RUNBOOK)
    text = (FIXTURES / RUNBOOK).read_text()
    save(RUNBOOK, "\n".join(line for line in text.split("\n") if "#301" not in line))
    found = incident("#301")
    assert (found.status, found.started_at, found.fix, found.change, found.runbook) == ("unknown", None, "", "", None)


def test_an_incident_written_by_hand_keeps_what_it_says_and_gets_its_blanks_filled():
    Incident.objects.create(reference="#301", title="Loki fell over", notes="Paged twice.")
    save(RUNBOOK)
    found = incident("#301")
    assert (found.title, found.notes, found.origin) == ("Loki fell over", "Paged twice.", IncidentOrigin.MANUAL)
    assert (found.fix, found.change, found.status) == (
        "Killed during the nightly compaction; raised the limit",
        "512Mi → 1Gi",
        "resolved",
    )


def test_a_reference_has_the_url_of_its_number_and_a_received_incident_its_own():
    save(RUNBOOK)
    received = Incident.objects.create(
        pk=301,  # the same number as #301: the two must not collide
        alert=Alert.objects.get(name="HomelabPodOOMKilled"),
        fingerprint="abc",
        origin=IncidentOrigin.ALERTMANAGER,
        started_at=datetime(2026, 6, 1, 3, 12, tzinfo=UTC),
        status="firing",
        labels={"namespace": "loki"},
    )
    assert incident("#301").get_absolute_url() == "/incidents/301/"
    assert received.get_absolute_url() == "/incidents/received/301/"
    assert Incident(reference="INC-42").get_absolute_url() == "/incidents/INC-42/"
    assert list(Incident.objects.at_url(key="301")) == [incident("#301")]
    assert list(Incident.objects.at_url(pk=301)) == [received]
    assert not Incident.objects.at_url(pk=incident("#301").pk).exclude(pk=301).exists()


def test_an_incident_is_found_by_what_fixed_it():
    from kb.search import search

    save(GRAFANA)
    hits = [hit.url for hit in search(query="GF_SERVER_ROOT_URL").hits]
    assert "/incidents/330/" in hits


def test_reindex_gives_incidents_written_before_the_upgrade_what_their_documents_say():
    from io import StringIO

    from django.core.management import call_command

    save(RUNBOOK)
    # As an older version left them: empty shells
    Incident.objects.update(status="unknown", started_at=None, fix="", change_from="", change_to="", runbook=None)
    out = StringIO()
    call_command("reindex", stdout=out)
    assert "incidents given what their documents say: 3 changed" in out.getvalue()
    found = incident("#301")
    assert (found.status, found.started_at.date(), found.change) == ("resolved", date(2026, 1, 12), "512Mi → 1Gi")
