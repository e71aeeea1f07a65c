"""A post-mortem page shows each fact once: the metadata, follow-up and lesson cards, and a body that
leaves out what they show, never a word they lack."""

import pytest

from tests.pages_support import save_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def postmortem():
    return save_document(
        """
        # Grafana down after the SQLite volume filled

        - **Date**: 2026-08-14
        - **Duration**: 1h 5m
        - **Severity**: SEV3
        - **Affected**: dashboards and alert silences
        - **Status**: closed

        ## What happened

        The Grafana PVC filled with rendered images.

        ## Follow-ups

        | Task | Owner | Due | Status |
        |------|-------|-----|--------|
        | Expire rendered images after a day | @jon | 2026-08-20 | Done |
        | Alert on the Grafana PVC at 80% | @mara | 2026-09-01 | Open |

        ## Lessons learned

        1. A cache needs an expiry.
        """,
        identity="grafana-pvc.md",
    )


def body(html: str) -> str:
    start = html.index('<div class="prose">')
    return html[
        start : html.index('<footer class="provenance"', start) if '<footer class="provenance"' in html else None
    ]


def test_metadata_follow_ups_and_lessons_appear_once(client, postmortem):
    html = client.get("/postmortems/grafana-pvc/").content.decode()
    for text in (
        "dashboards and alert silences",
        "1h 5m",
        "Alert on the Grafana PVC at 80%",
        "A cache needs an expiry.",
    ):
        assert html.count(text) == 1, text
    assert 'Shown above, in <a href="#follow-ups-title">Follow-ups</a>' in body(html)
    assert 'Shown above, in <a href="#lessons-title">Lessons</a>' in body(html)
    # what no card shows stays in the body
    assert "The Grafana PVC filled with rendered images." in body(html)


def test_text_the_cards_lack_stays_in_the_body(client):
    save_document(
        """
        # 2026-02-10 Immich database disk full

        **Severity:** SEV3
        Written by the on-call of the week, reviewed on Friday.

        ## Action items

        We agreed on these in the review; the second waits for the new NAS.

        - [ ] Alert on PVC usage above 80%
        - [ ] Move the thumbnails to the NAS

        ### Process

        - [ ] Review PVC sizes every quarter

        ## What went wrong

        - Nobody watched the PVC
        """,
        identity="immich-disk.md",
    )
    html = client.get("/postmortems/immich-disk/").content.decode()
    prose = body(html)
    assert "Written by the on-call of the week, reviewed on Friday." in prose
    assert "We agreed on these in the review; the second waits for the new NAS." in prose
    assert html.count("Alert on PVC usage above 80%") == 1
    assert html.count("Review PVC sizes every quarter") == 1
    assert html.count("Nobody watched the PVC") == 1
    # the group wholly in the cards leaves the body and the outline
    assert 'id="process"' not in html and 'href="#process"' not in html
    assert 'href="#action-items"' in html


def test_a_follow_up_with_a_link_keeps_its_line_in_the_body(client):
    save_document(
        """
        # 2026-03-03 Gitea runner stuck

        ## Follow-ups

        - [ ] Upgrade the runner ([changelog](https://gitea.example.org/runner/releases))
        """,
        identity="gitea-runner.md",
    )
    prose = body(client.get("/postmortems/gitea-runner/").content.decode())
    assert 'href="https://gitea.example.org/runner/releases"' in prose
