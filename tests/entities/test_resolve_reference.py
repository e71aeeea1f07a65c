"""/resolve/: a Hugo `{{< ref "X.md" >}}` link in a document leads to the document it names."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.mark.corpus
def test_a_hugo_ref_link_leads_to_the_referenced_runbook(client, corpus):
    call_command("import_docs", str(corpus / "runbooks"), stdout=StringIO())
    response = client.get(
        "/resolve/", {"ref": "./NodeRAIDDegraded.md", "from": "prometheus-operator/node/NodeRAIDDiskFailure.md"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/runbooks/noderaiddegraded/"


def test_a_hugo_ref_to_a_document_not_imported_is_a_404(client):
    assert client.get("/resolve/", {"ref": "./Nope.md", "from": "x/y.md"}).status_code == 404
