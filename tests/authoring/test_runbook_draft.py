"""The runbook editor opened from an alert no runbook fits: alert, labels as scope, the usual sections,
and the post-mortems that implicate the alert; what it writes reads back as that alert's runbook."""

from dataclasses import dataclass
from datetime import date

import pytest

from kb.authoring.to_markdown import runbook_template
from kb.markdown.parsing import parse_document


@dataclass
class PostMortemLink:
    title: str
    date: date | None
    slug: str

    def get_absolute_url(self) -> str:
        return f"/postmortems/{self.slug}/"


@pytest.mark.parametrize(
    "labels",
    [
        {"namespace": "velero", "container": "velero"},
        {"instance": "10.0.0.7:9100", "job": "node"},
        {"severity": "yes", "version": "1.10", "path": "/var/lib/x: y", "quote": 'it\'s "odd"'},
    ],
)
def test_the_labels_become_the_scope_exactly_as_given(labels):
    parsed = parse_document(runbook_template("NodeFilesystemFull", labels=labels), "runbooks/new.md")
    assert (parsed.kind, parsed.alert, parsed.labels) == ("runbook", "NodeFilesystemFull", labels)


def test_the_draft_has_the_house_sections_and_links_the_postmortems():
    text = runbook_template(
        "HomelabPodOOMKilled",
        labels={"namespace": "velero"},
        postmortems=[
            PostMortemLink("Velero OOM [again]", date(2026, 4, 2), "velero-oom-again"),
            PostMortemLink("Undated outage", None, "undated"),
        ],
    )
    parsed = parse_document(text, "runbooks/new.md")
    headings = [s.heading for s in parsed.sections if s.level == 2]
    assert headings == ["Alert", "Symptoms", "Investigation Steps", "Fix", "Post-mortems", "Resolution History"]
    assert "- [Velero OOM \\[again\\]](/postmortems/velero-oom-again/) (2026-04-02)" in text
    assert "- [Undated outage](/postmortems/undated/)\n" in text
    assert parsed.warnings == []


def test_without_labels_or_postmortems_the_draft_is_as_before():
    text = runbook_template("KubePodCrashLooping")
    assert text.startswith("# KubePodCrashLooping\n") and "## Post-mortems" not in text
