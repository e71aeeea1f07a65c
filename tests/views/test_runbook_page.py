"""The runbook page: what an operator reads when an alert fires."""

import pytest

from kb.models import Runbook
from tests.pages_support import import_related_postmortem, save_document

pytestmark = pytest.mark.django_db

URL = "/runbooks/velero-oomkilled/"


def test_it_shows_title_alert_scope_and_a_table_of_contents(client, imported):
    html = client.get(URL).content.decode()
    assert '<h1 id="document-title">Velero server OOMKilled (HomelabPodOOMKilled)</h1>' in html
    assert html.count("<h1") == 1
    assert '<a href="/runbooks/#alert-homelabpodoomkilled"><code>HomelabPodOOMKilled</code></a>' in html
    assert "container=<strong>velero</strong>" in html and "namespace=<strong>velero</strong>" in html
    assert '<li class="toc-level-2"><a href="#investigation-steps">Investigation Steps</a></li>' in html
    assert '<h2 id="investigation-steps">Investigation Steps</h2>' in html


def test_its_table_of_contents_follows_an_edit_of_its_headings(client):
    text = "---\nkind: runbook\nslug: disk-full\nalert: NodeDiskFull\n---\n# Disk full\n\n## {0}\n\nDo it.\n"
    save_document(text.format("Check the disk"), identity="disk-full.md")
    assert '<a href="#check-the-disk">Check the disk</a>' in client.get("/runbooks/disk-full/").content.decode()
    save_document(text.format("Free some space"), identity="disk-full.md")
    html = client.get("/runbooks/disk-full/").content.decode()
    assert '<li class="toc-level-2"><a href="#free-some-space">Free some space</a></li>' in html
    assert "check-the-disk" not in html


def test_it_sums_up_the_resolution_history_and_links_its_incidents(client, imported):
    html = client.get(URL).content.decode()
    assert "<strong>Trend:</strong> Memory limit raised once: 512Mi → 1Gi" in html
    assert '<a href="/incidents/236/">#236</a>' in html
    # under the document's own history heading, above its table
    assert html.index('id="resolution-history"') < html.index('id="history-summary"') < html.index("<th>Old Limit</th>")


def test_it_shows_where_the_document_comes_from(client, imported):
    html = client.get(URL).content.decode()
    assert "velero-oomkilled.txt</code>" in html
    assert "<dt>Revisions</dt><dd>1</dd>" in html
    assert "<dt>Last updated</dt>" in html


def test_it_fills_placeholders_from_the_alert_labels(client, imported):
    html = client.get(URL + "?namespace=velero&container=velero&pod=velero-7d9f8-x2k4q").content.decode()
    assert ('velero <mark class="filled" title="from the alert&#x27;s pod label">velero-7d9f8-x2k4q</mark>') in html
    assert "Opened from an alert" in html
    assert "<code>&lt;velero-pod-name&gt;</code> ← pod" in html
    assert '<a href="/runbooks/velero-oomkilled/">Show the runbook without the alert\'s labels</a>' in html


def test_without_labels_the_placeholders_stay(client, imported):
    html = client.get(URL).content.decode()
    assert "&lt;velero-pod-name&gt;" in html
    assert 'class="filled"' not in html
    assert "Opened from an alert" not in html


def test_label_values_are_escaped_and_dangerous_ones_never_filled(client, imported):
    html = client.get(URL, {"pod": "<script>alert(1)</script>", "namespace": "velero; rm -rf /"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "pod=&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'class="filled" title' not in html
    assert "No placeholder in this runbook" in html


def test_a_runbook_without_an_alert_or_history_still_reads_well(client):
    save_document(
        """
        ---
        kind: runbook
        ---
        # Rotating the TLS certificates

        ## Steps

        ```
        kubectl -n $NAMESPACE delete secret tls
        ```
        """,
        identity="tls.md",
    )
    response = client.get("/runbooks/tls/?namespace=ingress")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Runbook</p>" in html and "Trend:" not in html
    assert '<mark class="filled" title="from the alert&#x27;s namespace label">ingress</mark>' in html


def test_an_unknown_runbook_is_a_404(client):
    assert client.get("/runbooks/nope/").status_code == 404


def test_the_runbook_page_takes_a_fixed_number_of_queries(client, imported, django_assert_num_queries):
    import_related_postmortem()
    # 0. the ETag, with its revision count and place in Git (kb/views/conditional.py); 1. the runbook with its
    # alert; 2. its resolution entries; 3. its last incidents, its alert's without a runbook ("Last time"), its
    # alert's last incidents with the alert's counts of incidents, and those its resolution entries name, in one
    # query; 4. the documents sharing its entities, with the names they share (related). Its outline, its entity
    # links and its tally of answers to "did it help?" are stored with it: nobody answered, none is read.
    with django_assert_num_queries(5):
        html = client.get(URL + "?namespace=velero&pod=x").content.decode()
    assert 'id="related-heading"' in html


def test_it_warns_when_the_alert_labels_contradict_the_runbook_scope(client, imported):
    html = client.get(URL + "?namespace=media&pod=x").content.decode()
    assert "This runbook is scoped to <code>namespace=velero</code>" in html
    assert (
        '<a href="/alerts/HomelabPodOOMKilled/?namespace=media&amp;pod=x">Find the runbook for these labels</a>' in html
    )


def test_an_archived_runbook_says_so(client, imported):
    Runbook.objects.filter(slug="velero-oomkilled").update(archived=True)
    assert "<strong>Archived:</strong>" in client.get(URL).content.decode()
