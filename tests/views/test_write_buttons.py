"""Write buttons are shown only to those who may write; a visitor gets a link to log in instead."""

import pytest

from kb.models import Incident, PostMortem
from tests.authoring_support import SEED_POSTMORTEM, SEED_RUNBOOK

pytestmark = pytest.mark.django_db

RUNBOOK = f"/runbooks/{SEED_RUNBOOK}/"
POSTMORTEM = f"/postmortems/{SEED_POSTMORTEM}/"


def incident_url() -> str:
    return Incident.objects.order_by("pk").first().get_absolute_url()


def test_a_visitor_sees_no_edit_or_add_resolution_button_but_a_log_in_link(client, imported):
    for url in (RUNBOOK, POSTMORTEM, incident_url()):
        html = client.get(url).content.decode()
        assert f'href="{url}edit/"' not in html, url
        assert "resolutions/new/" not in html and "New post-mortem from this incident" not in html, url
        assert f'href="/accounts/login/?next={url}">Log in to edit</a>' in html, url


def test_an_editor_sees_the_write_buttons(editor_client, imported):
    runbook = editor_client.get(RUNBOOK).content.decode()
    assert (
        f'href="{RUNBOOK}edit/">Edit</a>' in runbook
        and f'href="{RUNBOOK}resolutions/new/">Add resolution</a>' in runbook
    )
    assert f'href="{POSTMORTEM}edit/">Edit</a>' in editor_client.get(POSTMORTEM).content.decode()
    assert "Edit incident" in editor_client.get(incident_url()).content.decode()
    assert "Log in to edit" not in runbook


def test_a_reader_without_the_permission_sees_neither_buttons_nor_a_log_in_link(client, reader, imported):
    client.force_login(reader)
    html = client.get(RUNBOOK).content.decode()
    assert f'href="{RUNBOOK}edit/"' not in html and "Log in to edit" not in html
    assert PostMortem.objects.filter(slug=SEED_POSTMORTEM).exists()
