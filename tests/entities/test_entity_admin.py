"""The entity admin: every change a curator makes there goes through kb.entities.curation and re-reads the documents."""

from io import StringIO

import pytest
from django.core.management import call_command

from kb.entities import curation
from kb.models import Entity
from tests.pages_support import save_document

pytestmark = pytest.mark.django_db

POSTMORTEM = """
# Post-mortem: reboots held

**Date:** 2026-07-01

## Summary

The `kured-sentinel-gate` pod held every reboot past the maintenance window.

## Timeline

The gate pod kept its lock for a day.

## Impact

The sentinel gate kept every node on its old kernel.
"""


@pytest.fixture
def gate() -> Entity:
    save_document(POSTMORTEM, identity="reboots.md")
    return Entity.objects.get(name="kured-sentinel-gate")


def change_form(entity: Entity, **fields) -> dict:
    """The change page's form as the browser sends it back, its alias rows included, with `fields` changed."""
    aliases = list(entity.aliases.all()) if entity.pk else []
    form = {
        "name": entity.name,
        "kind": entity.kind,
        "merge_into": "",
        "aliases-TOTAL_FORMS": str(len(aliases) + 1),
        "aliases-INITIAL_FORMS": str(len(aliases)),
        "aliases-MIN_NUM_FORMS": "0",
        "aliases-MAX_NUM_FORMS": "1000",
    }
    if entity.ignored:
        form["ignored"] = "on"
    for n, alias in enumerate(aliases):
        form |= {
            f"aliases-{n}-id": str(alias.pk),
            f"aliases-{n}-entity": str(entity.pk),
            f"aliases-{n}-name": alias.name,
        }
    form |= {f"aliases-{len(aliases)}-entity": str(entity.pk or ""), f"aliases-{len(aliases)}-name": ""}
    return {key: value for key, value in (form | fields).items() if value is not None}


def linked(client, name: str) -> list[str]:
    """The words of the post-mortem page linked to the entity `name`."""
    html = client.get("/postmortems/reboots/").content.decode()
    marker = f'<a class="entity" href="/entities/{name}/"'
    return [part.split(">", 1)[1].split("</a>", 1)[0] for part in html.split(marker)[1:]]


def test_it_renames_merges_and_ignores(admin_client, seeds):
    call_command("import_docs", str(seeds), stdout=StringIO())
    gate = Entity.objects.get(name="kured-sentinel-gate")
    form = change_form(gate, name="kured-gate", **{"aliases-0-name": "sentinel gate"})
    response = admin_client.post(f"/admin/kb/entity/{gate.pk}/change/", form)
    assert response.status_code == 302
    gate.refresh_from_db()
    assert gate.name == "kured-gate" and gate.curated
    assert sorted(a.name for a in gate.aliases.all()) == ["kured-sentinel-gate", "sentinel gate"]
    agent = Entity.objects.get(name="hermes-agent")
    response = admin_client.post(f"/admin/kb/entity/{agent.pk}/change/", change_form(agent, merge_into=str(gate.pk)))
    assert response["Location"] == f"/admin/kb/entity/{gate.pk}/change/"
    assert "hermes-agent" in [a.name for a in gate.aliases.all()]
    ip = Entity.objects.get(name="192.168.1.13")
    admin_client.post("/admin/kb/entity/", {"action": "ignore_for_good", "_selected_action": [ip.pk]})
    assert Entity.objects.get(pk=ip.pk).ignored


def test_it_renames_an_alias_edited_in_place_and_relinks_the_documents(admin_client, client, gate):
    curation.entity_alias_add(entity=gate, alias="the gate pod")
    assert linked(client, "kured-sentinel-gate") == ["<code>kured-sentinel-gate</code>", "The gate pod"]
    response = admin_client.post(
        f"/admin/kb/entity/{gate.pk}/change/", change_form(gate, **{"aliases-0-name": "sentinel gate"})
    )
    assert response.status_code == 302
    assert [a.name for a in gate.aliases.all()] == ["sentinel gate"]
    assert linked(client, "kured-sentinel-gate") == ["<code>kured-sentinel-gate</code>", "sentinel gate"]


def test_a_deleted_alias_no_longer_links_the_entity(admin_client, client, gate):
    curation.entity_alias_add(entity=gate, alias="the gate pod")
    response = admin_client.post(f"/admin/kb/entity/{gate.pk}/change/", change_form(gate, **{"aliases-0-DELETE": "on"}))
    assert response.status_code == 302
    assert not gate.aliases.exists()
    assert linked(client, "kured-sentinel-gate") == ["<code>kured-sentinel-gate</code>"]


def test_unticking_ignored_brings_the_entity_back_in_the_documents(admin_client, client, gate):
    curation.entity_ignore(entity=gate)
    assert client.get("/entities/kured-sentinel-gate/").status_code == 404
    response = admin_client.post(f"/admin/kb/entity/{gate.pk}/change/", change_form(gate, ignored=None))
    assert response.status_code == 302
    assert not Entity.objects.get(pk=gate.pk).ignored
    assert "Post-mortem: reboots held" in client.get("/entities/kured-sentinel-gate/").content.decode()
    assert linked(client, "kured-sentinel-gate") == ["<code>kured-sentinel-gate</code>"]


def test_an_entity_added_by_hand_is_found_in_the_documents_already_stored(admin_client, client, gate):
    form = change_form(Entity(name="maintenance window", kind="component"))
    response = admin_client.post("/admin/kb/entity/add/", form)
    assert response.status_code == 302
    created = Entity.objects.get(name="maintenance window")
    assert created.curated and created.kind_curated
    assert linked(client, "maintenance%20window") == ["maintenance window"]


def test_an_entity_cannot_be_added_under_another_ones_alias(admin_client, gate):
    curation.entity_alias_add(entity=gate, alias="the gate pod")
    response = admin_client.post("/admin/kb/entity/add/", change_form(Entity(name="The Gate Pod", kind="component")))
    assert response.status_code == 200
    assert (
        "&#x27;The Gate Pod&#x27; is already an alias of &#x27;kured-sentinel-gate&#x27;" in response.content.decode()
    )
    assert not Entity.objects.filter(name__iexact="the gate pod").exists()
