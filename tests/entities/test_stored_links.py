"""A document's linked HTML is stored with its mentions (kb.entities.links), so that a page's first view links
nothing; every change to what a link says (a curator's rename, kind, merge or ignore, another document's vote
on a kind) stores it again, and a reference to a post-mortem by date is still linked as the page is shown."""

import pytest

from kb.entities import curation
from kb.models import Document, Entity
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

POSTMORTEM = """
# Post-mortem: certificates expired

**Date:** 2026-08-03

## Summary

The `cert-renewer` job stopped renewing after `kubectl -n infra rollout restart deploy/cert-renewer` failed.

## Timeline

We restarted cert-renewer by hand.
"""


@pytest.fixture
def postmortem() -> Document:
    return save_document(POSTMORTEM, identity="certificates.md")


def page(client) -> str:
    return client.get("/postmortems/certificates/").content.decode()


def stored(document: Document) -> str:
    return Document.objects.get(pk=document.pk).linked_html


def test_it_stores_the_links_and_marked_commands_with_the_mentions(postmortem):
    html = stored(postmortem)
    assert (
        '<a class="entity" href="/entities/cert-renewer/" title="Component cert-renewer"><code>cert-renewer</code></a>'
        in html
    )
    assert '<code class="command">kubectl -n infra rollout restart deploy/cert-renewer</code>' in html


def test_the_page_shows_the_stored_links_as_they_are(client, postmortem):
    Document.objects.filter(pk=postmortem.pk).update(linked_html=stored(postmortem).replace("Timeline", "Stored"))
    assert ">Stored</h2>" in page(client)


def test_an_edit_stores_the_links_of_the_new_text(client, postmortem):
    save_document(
        POSTMORTEM.replace("We restarted cert-renewer by hand.", "The `cert-issuer` pod was fine."),
        identity="certificates.md",
    )
    html = page(client)
    assert 'href="/entities/cert-issuer/"' in html and "We restarted" not in html


def test_a_rename_links_the_new_name(client, postmortem):
    curation.entity_rename(entity=Entity.objects.get(name="cert-renewer"), name="certificate-renewer")
    html = page(client)
    assert 'href="/entities/certificate-renewer/" title="Component certificate-renewer"' in html
    assert 'href="/entities/cert-renewer/"' not in html


def test_a_kind_set_by_a_curator_changes_the_title_of_the_links(client, postmortem):
    curation.entity_set_kind(entity=Entity.objects.get(name="cert-renewer"), kind="namespace")
    assert 'title="Namespace cert-renewer"' in page(client)


def test_an_ignored_entity_is_no_longer_linked(client, postmortem):
    curation.entity_ignore(entity=Entity.objects.get(name="cert-renewer"))
    html = page(client)
    assert 'href="/entities/cert-renewer/"' not in html and "<code>cert-renewer</code>" in html


def test_a_merged_entity_links_to_the_one_it_was_merged_into(client, postmortem):
    save_document("# Renewals\n\nThe `cert-manager` pod renews them.\n", identity="renewals.md")
    curation.entity_merge(source=Entity.objects.get(name="cert-renewer"), into=Entity.objects.get(name="cert-manager"))
    html = page(client)
    assert 'href="/entities/cert-manager/" title="Component cert-manager"><code>cert-renewer</code>' in html


def test_a_kind_another_document_votes_for_changes_the_title_of_the_links(client, postmortem):
    entity = Entity.objects.get(name="cert-renewer")
    for n in range(2):
        save_document(f"# Namespace {n}\n\nEverything runs in namespace `cert-renewer`.\n", identity=f"ns-{n}.md")
    entity.refresh_from_db()
    assert entity.kind == "namespace"
    assert 'title="Namespace cert-renewer"' in page(client)


def test_a_reference_to_a_postmortem_by_date_is_linked_when_shown(client):
    referring = save_document(
        "# Post-mortem: again\n\n**Date:** 2026-09-01\n\n## Summary\n\nThe same as the 2026-08-03 PM.\n",
        identity="again.md",
    )
    assert stored(referring) == ""
    save_document(POSTMORTEM, identity="certificates.md")  # the post-mortem of that day, written after
    assert 'title="post-mortem of 2026-08-03"' in client.get("/postmortems/again/").content.decode()
