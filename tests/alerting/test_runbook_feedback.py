"""Did the runbook help? One click by a logged-in reader, recorded once, shown on the runbook page, in
insights and the API; a runbook whose alert fired since its last edit and whose last answers were "no",
or whose review date has passed, is flagged stale."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kb.alerting.feedback import feedback_record
from kb.alerting.incidents import incident_save
from kb.models import Incident, IncidentStatus, Runbook, RunbookFeedback
from tests.authoring_support import form_data
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

URL = "/runbooks/loki-ingester-oom/"
FEEDBACK = "/runbooks/loki-ingester-oom/feedback/"


def save_loki_runbook(front_matter: str = "") -> Runbook:
    return save_document(
        f"""
        ---
        kind: runbook
        slug: loki-ingester-oom
        alert: LokiIngesterOOMKilled
        labels: {{namespace: logging}}
        {front_matter}
        ---
        # Loki ingester OOMKilled

        ## Mitigation

        Raise the ingester's memory limit in `loki/values.yaml`.
        """,
        identity="loki-ingester-oom.md",
    )


@pytest.fixture
def runbook() -> Runbook:
    """Last edited a month ago."""
    saved = save_loki_runbook()
    Runbook.objects.filter(pk=saved.pk).update(updated_at=timezone.now() - timedelta(days=30))
    saved.refresh_from_db()
    return saved


def fired(runbook: Runbook, *, ago: timedelta = timedelta(hours=1)) -> Incident:
    incident = Incident(
        title="Loki ingester OOMKilled",
        alert=runbook.alert,
        status=IncidentStatus.RESOLVED,
        started_at=timezone.now() - ago,
        resolved_at=timezone.now() - ago + timedelta(minutes=20),
        runbook=runbook,
        labels={"alertname": "LokiIngesterOOMKilled", "namespace": "logging"},
    )
    return incident_save(incident=incident)


def answer(runbook, user, value: str, **kwargs) -> RunbookFeedback:
    return feedback_record(runbook=runbook, user=user, answer=value, **kwargs)


def test_a_visitor_is_offered_a_log_in_link_and_cannot_answer(client, runbook):
    html = client.get(URL).content.decode()
    assert "Did it help?" in html and "Log in to answer" in html
    assert 'name="answer"' not in html
    response = client.post(FEEDBACK, {"answer": "yes"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not RunbookFeedback.objects.exists()


def test_an_answer_without_the_csrf_token_is_refused(reader, runbook):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    assert client.post(FEEDBACK, {"answer": "no"}).status_code == 403
    assert not RunbookFeedback.objects.exists()


def test_one_click_records_the_answer_and_the_runbook_page_shows_the_tally_and_last_answers(reader, runbook):
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    page = client.get(URL).content.decode()
    data = {**form_data(page, FEEDBACK), "answer": "partly", "note": "the values file moved to loki/helm/"}
    response = client.post(FEEDBACK, data)
    assert response.status_code == 302 and response["Location"] == f"{URL}#feedback"
    html = client.get(URL).content.decode()
    assert "0 yes · 1 partly · 0 no" in html
    assert "rita" in html and "“the values file moved to loki/helm/”" in html
    assert "is recorded for Loki ingester OOMKilled" in html


def test_a_reader_answers_from_the_incident_page_and_answering_again_changes_the_answer(client, reader, runbook):
    incident = fired(runbook)
    client.force_login(reader)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Did the runbook help?" in page
    data = form_data(page, FEEDBACK)
    assert data["incident"] == str(incident.pk)
    client.post(FEEDBACK, {**data, "answer": "no"})
    response = client.post(FEEDBACK, {**data, "answer": "yes"})
    assert response["Location"] == f"{incident.get_absolute_url()}#feedback"
    assert [(f.answer, f.incident, f.user) for f in RunbookFeedback.objects.all()] == [("yes", incident, reader)]
    assert "1 yes · 0 partly · 0 no" in client.get(URL).content.decode()


def test_an_incident_without_a_runbook_asks_nothing(client, reader, runbook):
    incident = incident_save(incident=Incident(title="Something else", status=IncidentStatus.FIRING))
    client.force_login(reader)
    assert "Did the runbook help?" not in client.get(incident.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    "data, message",
    [
        ({"answer": "maybe"}, "answer: 'maybe' is not one of yes, partly, no"),
        ({"answer": "yes", "incident": "abc"}, "incident: 'abc' is not an incident number"),
        ({"answer": "yes", "incident": "99999"}, "incident: no incident 99999"),
        ({"answer": "yes", "note": "x" * 2001}, "note: 2001 characters, at most 2000"),
    ],
)
def test_a_bad_answer_is_refused_naming_the_field(client, reader, runbook, data, message):
    client.force_login(reader)
    response = client.post(FEEDBACK, data)
    assert response.status_code == 400
    assert response.content.decode() == message
    assert not RunbookFeedback.objects.exists()


def test_a_runbook_whose_alert_fired_since_its_edit_and_whose_last_answers_were_no_is_stale(client, runbook, reader):
    incident = fired(runbook)
    answer(runbook, reader, "no", incident=incident)
    html = client.get(URL).content.decode()
    assert '<span class="badge stale">stale</span>' in html
    assert "Its alert fired since it was last edited and the last answer was that it did not help" in html
    assert '<span class="badge stale"' in client.get("/runbooks/").content.decode()
    assert client.get("/api/runbooks/loki-ingester-oom").json()["stale"] is True


def test_the_insights_list_a_runbook_answered_no_as_stale_as_soon_as_its_alert_fires(client, runbook, reader):
    answer(runbook, reader, "no")
    stale = 'id="stale-runbooks"'
    assert "No runbook is stale." in client.get("/insights/").content.decode().split(stale)[1]
    fired(runbook)  # an incident written: the stale runbooks are read again, not served from the cache
    listed = client.get("/insights/").content.decode().split(stale)[1].split("</section>")[0]
    assert "Loki ingester OOMKilled" in listed and "its alert fired since it was last edited" in listed


def test_a_yes_among_the_last_answers_or_no_firing_since_the_edit_is_not_stale(client, runbook, reader, editor):
    answer(runbook, reader, "no")
    assert client.get("/api/runbooks/loki-ingester-oom").json()["stale"] is False  # it has not fired since
    fired(runbook)
    answer(runbook, editor, "yes")
    assert client.get("/api/runbooks/loki-ingester-oom").json()["stale"] is False  # the latest answer says it helped


def test_an_edit_after_the_no_answers_clears_the_flag(client, runbook, reader):
    fired(runbook, ago=timedelta(days=2))
    answer(runbook, reader, "no")
    assert client.get("/api/runbooks/loki-ingester-oom").json()["stale"] is True
    Runbook.objects.filter(pk=runbook.pk).update(updated_at=timezone.now() + timedelta(seconds=1))
    assert client.get("/api/runbooks/loki-ingester-oom").json()["stale"] is False


def test_a_runbook_past_its_review_date_is_stale(client):
    reviewed = timezone.localdate() - timedelta(days=100)
    save_loki_runbook(f"last_reviewed_on: {reviewed:%Y-%m-%d}\n        review_in: 90d")
    api = client.get("/api/runbooks/loki-ingester-oom").json()
    due = reviewed + timedelta(days=90)
    assert (api["stale"], api["review_due"]) == (True, f"{due:%Y-%m-%d}")
    assert api["stale_reasons"] == [f"its review was due on {due:%Y-%m-%d}"]
    assert f"Its review was due on {due:%Y-%m-%d}" in client.get(URL).content.decode()


def test_a_runbook_within_its_review_period_is_not_stale(client):
    reviewed = timezone.localdate() - timedelta(days=100)
    save_loki_runbook(f"last_reviewed_on: {reviewed:%Y-%m-%d}\n        review_in: 6 months")
    assert client.get("/api/runbooks/loki-ingester-oom").json()["stale"] is False


def test_without_review_in_the_kb_setting_gives_the_review_period(client, settings):
    reviewed = timezone.localdate() - timedelta(days=40)
    save_loki_runbook(f"last_reviewed_on: {reviewed:%Y-%m-%d}")
    settings.KB_RUNBOOK_REVIEW_DAYS = 60
    assert client.get("/api/runbooks/loki-ingester-oom").json()["stale"] is False
    settings.KB_RUNBOOK_REVIEW_DAYS = 30
    assert client.get("/api/runbooks/loki-ingester-oom").json()["stale_reasons"] == [
        f"its review was due on {reviewed + timedelta(days=30):%Y-%m-%d}"
    ]


def test_insights_and_the_api_list_the_runbooks_answered_no_most(client, runbook, reader, editor):
    other = save_document(
        "---\nkind: runbook\nslug: other\nalert: TempoCompactorFailing\n---\n# Tempo compactor failing\n",
        identity="other.md",
    )
    answer(other, reader, "no")
    answer(runbook, reader, "no", note="the values file moved")
    answer(runbook, editor, "no")
    html = client.get("/insights/").content.decode()
    assert "Runbooks that did not help" in html
    assert html.index("Loki ingester OOMKilled</a>") < html.index("Tempo compactor failing</a>")
    assert "2 no · 0 partly · 0 yes" in html
    api = client.get("/api/insights").json()
    assert [(r["slug"], r["feedback"]["no"]) for r in api["runbooks_answered_no"]] == [
        ("loki-ingester-oom", 2),
        ("other", 1),
    ]
    detail = client.get("/api/runbooks/loki-ingester-oom").json()["feedback"]
    assert (detail["yes"], detail["partly"], detail["no"]) == (0, 0, 2)
    assert [(a["answer"], a["user"], a["note"]) for a in detail["last"]] == [
        ("no", "erin", ""),
        ("no", "rita", "the values file moved"),
    ]


def test_the_runbook_list_takes_two_queries_whatever_the_answers(client, runbook, reader, django_assert_num_queries):
    for n in range(3):
        fired(runbook, ago=timedelta(hours=n + 1))
        answer(runbook, reader, "no")
    # the page's keys, then its runbooks with their alerts, tallies, last answers and whether their alert fired since
    # the edit
    with django_assert_num_queries(2):
        assert client.get("/runbooks/").status_code == 200


def test_insights_list_every_stale_runbook_whatever_made_it_stale_and_no_other(client, reader, settings, monkeypatch):
    settings.KB_RUNBOOK_REVIEW_DAYS = 30
    today = timezone.localdate()

    def runbook_named(slug: str, front_matter: str = "") -> Runbook:
        return save_document(
            f"---\nkind: runbook\nslug: {slug}\nalert: {slug.title().replace('-', '')}\n{front_matter}---\n# {slug}\n",
            identity=f"{slug}.md",
        )

    runbook_named("review-in-passed", f"last_reviewed_on: {today - timedelta(days=100):%Y-%m-%d}\nreview_in: 90d\n")
    runbook_named(
        "review-in-running", f"last_reviewed_on: {today - timedelta(days=100):%Y-%m-%d}\nreview_in: 6 months\n"
    )
    runbook_named("setting-passed", f"last_reviewed_on: {today - timedelta(days=40):%Y-%m-%d}\n")
    runbook_named("setting-running", f"last_reviewed_on: {today - timedelta(days=20):%Y-%m-%d}\n")
    never_reviewed = runbook_named("edited-long-ago")
    Runbook.objects.filter(pk=never_reviewed.pk).update(updated_at=timezone.now() - timedelta(days=31))
    did_not_help = runbook_named("did-not-help")
    Runbook.objects.filter(pk=did_not_help.pk).update(updated_at=timezone.now() - timedelta(days=2))
    did_not_help.refresh_from_db()
    answer(did_not_help, reader, "no", incident=fired(did_not_help))
    runbook_named("just-written")

    listed = {row["slug"]: row["stale_reasons"] for row in client.get("/api/insights").json()["stale_runbooks"]}
    assert sorted(listed) == ["did-not-help", "edited-long-ago", "review-in-passed", "setting-passed"]
    assert "did not help" in listed["did-not-help"][0]
    # Read a few candidates at a time, by title, until enough are stale: the same list, cut at the limit.
    from kb.alerting import feedback

    monkeypatch.setattr(feedback, "STALE_CHUNK", 2)
    assert [r.slug for r in feedback.runbooks_stale()] == sorted(listed)
    assert [r.slug for r in feedback.runbooks_stale(limit=3)] == sorted(listed)[:3]


def tally(runbook: Runbook) -> tuple[int, int, int]:
    runbook.refresh_from_db()
    return runbook.feedback_yes, runbook.feedback_partly, runbook.feedback_no


def test_the_tally_kept_on_the_runbook_follows_new_and_changed_answers(runbook, reader, editor):
    incident = fired(runbook)
    answer(runbook, reader, "no", incident=incident)
    answer(runbook, editor, "partly")
    answer(runbook, editor, "partly")
    assert tally(runbook) == (0, 2, 1)
    answer(runbook, reader, "yes", incident=incident)  # the same reader and incident: the answer changes
    assert tally(runbook) == (1, 2, 0)
    answer(runbook, reader, "yes", incident=incident)
    assert tally(runbook) == (1, 2, 0)


def test_answers_deleted_in_the_admin_leave_the_tally(admin_client, client, runbook, reader):
    kept, deleted, also_deleted = (answer(runbook, reader, value) for value in ("yes", "no", "no"))
    response = admin_client.post(f"/admin/kb/runbookfeedback/{deleted.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert tally(runbook) == (1, 0, 1)
    admin_client.post(
        "/admin/kb/runbookfeedback/",
        {"action": "delete_selected", "_selected_action": [also_deleted.pk], "post": "yes"},
    )
    assert tally(runbook) == (1, 0, 0)
    assert "1 yes · 0 partly · 0 no" in client.get(URL).content.decode()


def test_the_runbook_page_reads_the_stale_rules_from_its_last_answers(
    client, runbook, reader, django_assert_num_queries
):
    fired(runbook)
    client.get(URL)
    answer(runbook, reader, "yes")
    # The page's queries (tests/views/test_runbook_page.py) without history or related documents, with the
    # last answers (the tally says there are some).
    cold_view = 6
    # Not all "no": whether the alert fired since the edit is not asked.
    with django_assert_num_queries(cold_view):
        client.get(URL)
    answer(runbook, reader, "no")
    answer(runbook, reader, "no")
    with django_assert_num_queries(cold_view + 1):  # the last answers were "no": has the alert fired since the edit?
        assert "did not help" in client.get(URL).content.decode()
