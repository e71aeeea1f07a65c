"""A document's URL comes from its file name, as its readers know the file."""

from io import StringIO

import pytest
from django.core.management import call_command

from kb.models import Document

pytestmark = pytest.mark.django_db


def test_a_static_site_page_keeps_its_name_without_the_page_extension(tmp_path):
    alerts = tmp_path / "manual" / "alerts"
    alerts.mkdir(parents=True)
    (alerts / "swap-usage-high.html.md").write_text(
        "---\ntitle: Swap usage high\nsection: Icinga alerts\n---\n\nCheck what uses swap with `smem -s swap`.\n"
    )
    (alerts / "ntp.md").write_text("# NTP\n\nCheck `chronyc tracking` on the host.\n")
    call_command("import_docs", str(tmp_path), stdout=StringIO())
    urls = sorted(document.get_absolute_url() for document in Document.objects.all())
    assert any(url.endswith("/swap-usage-high/") for url in urls), urls
    assert not any("html" in url for url in urls), urls
