"""Entities and incidents without junk: an incident, an alert, a host or a post-mortem reference only
where the text means one. Pure where it can be (the extraction), through the importer where a user
would notice (incident rows, links on the page)."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from kb.entities.extraction import Vocabulary, extract_parsed
from kb.markdown.errors import NotADocument, ParseError
from kb.markdown.parsing import parse_document
from kb.models import Incident, PostMortem
from tests.entities.corpus_labels import corpus_labels, extracted, score

FIXTURES = Path(__file__).parents[1] / "fixtures" / "entities"
GRAFANA_PM = FIXTURES / "2026-06-02-grafana-proxy-outage.md"
KURED_PM = FIXTURES / "2026-05-16-kured-reboot-backlog.md"

RUNBOOK_WITH_HISTORY = """---
kind: runbook
alert: GrafanaProxyErrors
---
# Grafana proxy errors

## Mitigation

Roll back `oauth2-proxy` (see PR #1187 and the Helm chart issue #88).

## Resolution history

| Date | Incident | Old | New | Notes |
|------|----------|-----|-----|-------|
| 2026-06-02 | #251, INC-252 | v7.5 | v7.6 | session store CRD missing |
| 2026-06-09 | - | v7.6 | v7.6 | false alarm |
| 2026-06-10 | n/a | v7.6 | v7.6 | probe flapped |
"""


def found(text: str, name: str = "doc.md") -> dict[str, str]:
    return {f.name: f.kind for f in extract_parsed(parse_document(text, name), vocabulary=Vocabulary())}


def of_kind(entities: dict[str, str], kind: str) -> set[str]:
    return {name for name, k in entities.items() if k == kind}


@pytest.fixture
def grafana_pm() -> dict[str, str]:
    return found(GRAFANA_PM.read_text(), GRAFANA_PM.name)


def test_incidents_come_only_from_references_meant_as_incidents(grafana_pm):
    # Not the e-mail autolink (&#100;&#97;… entities), PR #1187, "fixes #45", the GitHub URL anchors,
    # colours #a1b2c3, #333 and #000000, "issue #47" or "step #2": only the incident field, "incident #251"
    # and INC-252.
    assert of_kind(grafana_pm, "incident") == {"#251", "INC-252"}
    parsed = parse_document(GRAFANA_PM.read_text(), GRAFANA_PM.name)
    assert parsed.incidents == ["#251", "INC-252"]


def test_an_email_autolink_names_no_incident():
    text = "# Post-mortem: x\n\n**Date:** 2026-01-02\n\nCreated by: Ann <ann.lee@example.com>\n\n## Summary\n\nDown.\n"
    assert parse_document(text, "pm.md").incidents == []
    assert of_kind(found(text), "incident") == set()


@pytest.mark.parametrize(
    "sentence",
    [
        "Merged PR #236 to fix it.",
        "This fixes #236.",
        "Tracked in issue #236.",
        "Text colour #236 on a #fff background.",
        "See [the alert section](#236) and https://github.com/org/repo/pull/236#discussion_r1.",
        "Step #236 of the checklist.",
    ],
)
def test_a_bare_number_sign_is_no_incident(sentence):
    text = f"# Post-mortem: x\n\n**Date:** 2026-01-02\n\n## Summary\n\n{sentence}\n"
    assert parse_document(text, "pm.md").incidents == []
    assert of_kind(found(text), "incident") == set()


@pytest.mark.parametrize(
    "sentence, references",
    [
        ("It was incident #236.", ["#236"]),
        ("Incidents: #236, #237 and #238.", ["#236", "#237", "#238"]),
        ("Paged as INC-240 by the status page.", ["INC-240"]),
        ("Velero was OOM-killed during the kopia backup (#301).", ["#301"]),
        ("Reverted [#12](https://github.com/org/repo/pull/12); incident #236 followed.", ["#236"]),
    ],
)
def test_an_incident_named_as_one_is_an_incident(sentence, references):
    text = f"# Post-mortem: x\n\n**Date:** 2026-01-02\n\n## Summary\n\n{sentence}\n"
    assert parse_document(text, "pm.md").incidents == references
    assert of_kind(found(text), "incident") == set(references)


def test_a_document_that_links_its_numbers_to_pull_requests_names_no_incident_by_a_bare_number():
    text = (
        "# Post-mortem: x\n\n**Date:** 2026-01-02\n\n## Summary\n\n"
        "Deployed [#254](https://github.com/org/deploy/pull/254); the rollback came with #255.\n"
    )
    assert parse_document(text, "pm.md").incidents == []
    assert of_kind(found(text), "incident") == set()


def test_a_resolution_history_keeps_its_incidents_and_no_placeholders():
    parsed = parse_document(RUNBOOK_WITH_HISTORY, "grafana-proxy-errors.md")
    assert [row.incidents for row in parsed.resolution_history] == [["#251", "INC-252"], [], []]
    assert parsed.incidents == ["#251", "INC-252"]  # PR #1187 and issue #88 in the prose are not incidents


def test_severity_words_and_resource_kinds_are_no_alerts(grafana_pm):
    assert of_kind(grafana_pm, "alert") == {"GrafanaProxyErrors"}
    for word in [
        "Critical",
        "Warning",
        "Info",
        "Page",
        "Ticket",
        "CephBlockPool",
        "PersistentVolumeClaim",
        "StatefulSet",
        "CustomResourceDefinition",
        "ProxySessionStore",
        "ServiceEntry",
        "BackendTrafficPolicy",
    ]:
        assert word not in grafana_pm


@pytest.mark.parametrize(
    "sentence",
    [
        "The `Critical` alert went to the pager.",
        "A `Warning` alert fired twice.",
        "Create a CephObjectBucketClaim for the backups.",
        "Check the custom resource `RedisFailover` status.",
        "@OnCallPerson pinged @DanaTheOps about it.",
        "It renamed the argument names from `WhitelistRouteRegexp` to `AllowRouteRegexp`.",
        "The node logged `Normal DeletingAllPods Node worker-3`.",
        "Kiam provides AWSAssumeRole for external-dns.",
        "The RecoverLostJobsJob retried the DigestInitiatorJob.",
    ],
)
def test_words_near_alert_vocabulary_are_no_alerts(sentence):
    assert of_kind(found(f"# Post-mortem: x\n\n**Date:** 2026-01-02\n\n## Summary\n\n{sentence}\n"), "alert") == set()


def test_a_name_used_as_an_alert_stays_an_alert():
    entities = found("# Post-mortem: x\n\n**Date:** 2026-01-02\n\n## Summary\n\nThe `CephPoolQuotaFull` alert fired.\n")
    assert entities.get("CephPoolQuotaFull") == "alert"


def test_hosts_look_like_hosts(grafana_pm):
    assert of_kind(grafana_pm, "host") == {"k8s-worker-3", "db-1.lan.example.org"}
    for word in ["third-party", "read-only", "e-mail", "relay"]:
        assert word not in grafana_pm


@pytest.mark.parametrize(
    "sentence",
    [
        "Same blind spot as the 2026-05-16 PM.",
        "The post-mortem of May 16 had asked for a probe.",
        "As in the May 16th incident, nobody looked.",
        "See the postmortem from 16th of May.",
        "The Post-mortem dated 16 May 2026 says so.",
    ],
)
def test_a_postmortem_referenced_by_its_day_is_found(sentence):
    text = f"# Post-mortem: x\n\n**Date:** 2026-06-02\n\n## Summary\n\n{sentence}\n"
    assert of_kind(found(text), "postmortem") == {"post-mortem 2026-05-16"}


def test_a_day_without_a_reference_word_is_no_postmortem_reference():
    text = "# Post-mortem: x\n\n**Date:** 2026-06-02\n\n## Summary\n\nOn May 16 we upgraded; the incident on May 20 was small.\n"
    assert of_kind(found(text), "postmortem") == set()


@pytest.mark.django_db
def test_the_page_links_a_postmortem_referenced_by_its_day_and_imports_only_real_incidents(client, tmp_path):
    runbook = tmp_path / "grafana-proxy-errors.md"
    runbook.write_text(RUNBOOK_WITH_HISTORY)
    call_command("import_docs", str(KURED_PM), str(GRAFANA_PM), str(runbook), stdout=StringIO())
    assert sorted(Incident.objects.values_list("reference", flat=True)) == ["#251", "INC-252"]
    grafana = PostMortem.objects.get(date="2026-06-02")
    html = client.get(grafana.get_absolute_url()).content.decode()
    kured_url = PostMortem.objects.get(date="2026-05-16").get_absolute_url()
    assert f'href="{kured_url}" title="post-mortem of 2026-05-16">2026-05-16 PM</a>' in html


@pytest.mark.corpus
def test_no_corpus_document_names_an_incident_or_a_junk_alert(corpus):
    # The corpus names no incident of its own: every `#N` in it is a pull request, an issue, a chat
    # channel or an HTML entity of an e-mail address.
    incidents, alerts = {}, set()
    for path in sorted(p for p in corpus.rglob("*.md") if p.is_file()):
        try:
            parsed = parse_document(path.read_text(), path.relative_to(corpus).as_posix())
        except (NotADocument, ParseError):
            continue  # refused documents are issue #10's other part; their entities are never stored
        named = parsed.incidents + [ref for row in parsed.resolution_history for ref in row.incidents]
        if named:
            incidents[path.name] = named
        alerts |= of_kind(found(path.read_text(), path.name), "alert")
    assert incidents == {}
    assert alerts & {"Critical", "Warning", "Info", "CloudNativePG", "BenTheElder", "CephBlockPool"} == set()


@pytest.mark.corpus
def test_entities_of_the_labelled_corpus_documents_are_precise(corpus):
    right = wrong = missed = 0
    mistakes = {}
    for relative, labels in corpus_labels().items():
        good, bad, lost = score(extracted(corpus / relative, relative), labels)
        right, wrong, missed = right + len(good), wrong + len(bad), missed + len(lost)
        if bad:
            mistakes[relative] = sorted(bad)
    assert right / (right + wrong) >= 0.95, mistakes
    assert right / (right + missed) >= 0.75


@pytest.mark.parametrize(
    "sentence, kind, word",
    [
        ("Starting a ten-hour deploy process at 5pm was unwise.", "component", "ten-hour"),
        ("`service mysql status` may return `stop/killed`.", "file", "stop/killed"),
        ("HTTPSConnectionPool(host='x.x.x.x', port=443) failed.", "host", "x.x.x.x"),
        ("Two k8s nodes were drained.", "host", "k8s"),
    ],
)
def test_durations_word_pairs_and_placeholders_are_no_entities(sentence, kind, word):
    assert word not in of_kind(found(f"# Post-mortem: x\n\n**Date:** 2026-01-02\n\n## Summary\n\n{sentence}\n"), kind)


@pytest.mark.django_db
def test_a_reference_by_a_day_without_its_year_links_to_that_days_postmortem(client, tmp_path):
    later = tmp_path / "2026-06-10-reboots-again.md"
    later.write_text(
        "# Post-mortem: reboots stalled again\n\n**Date:** 2026-06-10\n\n## Summary\n\n"
        "Like the May 16th incident, kured held the lock for days.\n"
    )
    call_command("import_docs", str(KURED_PM), str(later), stdout=StringIO())
    html = client.get(PostMortem.objects.get(date="2026-06-10").get_absolute_url()).content.decode()
    kured_url = PostMortem.objects.get(date="2026-05-16").get_absolute_url()
    assert f'href="{kured_url}" title="post-mortem of 2026-05-16">May 16th incident</a>' in html
