"""Where a post-mortem's date was read is kept, so that readers know how far to trust it."""

from pathlib import Path

import pytest

from kb.documents.importing import import_paths
from kb.models import PostMortem

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "markdown"


@pytest.fixture
def checkout_down() -> PostMortem:
    import_paths([FIXTURES / "2024-03-02-checkout-down.md"])
    return PostMortem.objects.get()


def test_the_api_gives_the_date_and_where_it_was_read(client, checkout_down):
    data = client.get(f"/api/postmortems/{checkout_down.slug}").json()
    assert (data["date"], data["date_source"]) == ("2024-03-02", "title")
    assert (data["severity"], data["duration"]) == ("Major", "3 hours 10 minutes")
    assert [f["status"] for f in data["follow_ups"]] == ["done", "open", "done"]


def test_the_page_says_where_the_date_was_read(client, checkout_down):
    page = client.get(f"/postmortems/{checkout_down.slug}/").content.decode()
    assert "2024-03-02" in page and "(from the title)" in page


def test_a_post_mortem_without_a_date_has_no_source_and_a_warning(client, tmp_path):
    (tmp_path / "cache.md").write_text("---\nkind: postmortem\n---\n# Cache fell over\n\nWe restarted it.\n")
    import_paths([tmp_path])
    data = client.get(f"/api/postmortems/{PostMortem.objects.get().slug}").json()
    assert (data["date"], data["date_source"]) == (None, None)
    assert any(w.startswith("no incident date found") for w in data["warnings"])
