"""The post-mortem page: the facts first, then follow-ups, lessons and the story."""

import re

import pytest

from tests.pages_support import import_related_postmortem, save_document

pytestmark = pytest.mark.django_db

URL = "/postmortems/kured-gate-oom/"


@pytest.fixture
def postmortem():
    return save_document(
        """
        # Post-mortem: Traefik outage during bulk photo upload

        **Date:** 2026-07-09
        **Duration:** 47 minutes
        **Severity:** SEV2
        **Affected:** every ingress route
        **Status:** resolved

        ## Summary

        Traefik ran out of memory.

        ## Timeline

        | Time | Event |
        |------|-------|
        | 10:02 | Alert fired |

        ## Action items

        - [x] Raise Traefik's memory limit
        - [ ] Rate-limit the upload endpoint

        ## Lessons learned

        1. Limits need headroom for bursts.
        """,
        identity="traefik-outage.md",
    )


def test_it_shows_a_metadata_card(client, postmortem):
    html = client.get(postmortem.get_absolute_url()).content.decode()
    assert '<h1 id="document-title">Post-mortem: Traefik outage during bulk photo upload</h1>' in html
    assert (
        '<dt>Date</dt><dd><time datetime="2026-07-09">2026-07-09</time> '
        '<span class="date-source">(from the metadata)</span></dd>'
    ) in html
    assert "<dt>Duration</dt><dd>47 minutes</dd>" in html
    assert '<span class="badge severity">SEV2</span>' in html
    assert "<dt>Affected</dt><dd>every ingress route</dd>" in html
    assert "<dt>Status</dt><dd>resolved</dd>" in html


def test_it_lists_follow_ups_with_their_status_and_the_lessons(client, postmortem):
    html = client.get(postmortem.get_absolute_url()).content.decode()
    assert "1 open of 2" in html
    assert re.search(
        r'<span class="badge status-done">Done</span>\s*<span class="text">Raise Traefik&#x27;s memory limit</span>',
        html,
    )
    assert re.search(
        r'<span class="badge status-open">Open</span>\s*<span class="text">Rate-limit the upload endpoint</span>', html
    )
    assert "<li>Limits need headroom for bursts.</li>" in html
    assert '<a href="#timeline">Timeline</a>' in html


def test_it_warns_when_the_structure_was_reconstructed(client, imported):
    html = client.get(URL).content.decode()
    assert "This document's structure was reconstructed from a flattened file." in html


def test_it_has_a_print_stylesheet(client, postmortem):
    html = client.get(postmortem.get_absolute_url()).content.decode()
    assert 'media="print"' in html and "kb/print" in html


def test_the_postmortem_page_takes_a_fixed_number_of_queries(client, imported, django_assert_num_queries):
    import_related_postmortem()
    # 0. the ETag, with its revision count and place in Git (kb/views/conditional.py); 1. the post-mortem (its
    # outline stored with it); 2. the incidents it names; 3. its entity mentions (links: it refers to a post-mortem
    # by date); 4. the post-mortems of the days it refers to ("the 2026-05-16 PM"); 5. the documents sharing its
    # entities, with the names they share (related); 6. follow-ups; 7. lessons
    with django_assert_num_queries(8):
        html = client.get(URL).content.decode()
    assert 'id="related-heading"' in html and 'title="post-mortem of 2026-05-16"' in html


def test_it_links_the_incidents_it_names(client):
    postmortem = save_document(
        """
        # Post-mortem: Postgres disk full

        **Date:** 2026-03-02

        ## Summary

        The disk of the primary filled up during incident #412, again in #415.
        """,
        identity="postgres-disk-full.md",
    )
    html = client.get(postmortem.get_absolute_url()).content.decode()
    named = html.split('id="incidents-named-title"')[1].split("</section>")[0]
    assert '<a href="/incidents/412/">#412</a>' in named and '<a href="/incidents/415/">#415</a>' in named
