"""/coverage/: the runbook coverage of the rule files in KB_RULE_FILES."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def kube_prometheus(corpus, settings):
    call_command("import_docs", str(corpus / "runbooks" / "prometheus-operator" / "kubernetes"), stdout=StringIO())
    settings.KB_RULE_FILES = [str(corpus / "rules" / "kube-prometheus" / "kube*.yaml")]
    return corpus


@pytest.mark.corpus
def test_it_shows_which_alerts_of_the_rule_files_have_no_runbook(client, kube_prometheus, django_assert_num_queries):
    with django_assert_num_queries(1):  # the runbooks and their alerts
        html = client.get("/coverage/").content.decode()
    assert "in 3 files:" in html
    without = html.split('id="without-runbook"')[1].split("</section>")[0]
    assert '<a href="/alerts/KubeNodeEviction/"><code>KubeNodeEviction</code></a>' in without
    assert "KubePodCrashLooping" not in without
    assert '<a href="/runbooks/kubepodcrashlooping/">' in html
    assert (
        'elsewhere: <code class="url">https://runbooks.prometheus-operator.dev/runbooks/kubernetes/kubepodcrashlooping</code>'
        in html
    )
    # The kube-prometheus rules not listed (node, etcd, …) are not reported as runbooks without rules,
    # but runbooks for alerts none of the files defines are.
    orphans = html.split('id="runbooks-without-rules"')[1]
    assert "<code>KubeProxyDown</code>" in orphans


@pytest.mark.corpus
def test_a_file_that_cannot_be_read_is_named_and_the_others_still_reported(client, kube_prometheus, settings, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("groups:\n  - name: x\n    rules: {\n")
    settings.KB_RULE_FILES = [*settings.KB_RULE_FILES, str(broken), str(tmp_path / "missing.yaml")]
    html = client.get("/coverage/").content.decode()
    assert f"{broken}:4: not valid YAML" in html
    assert f"{tmp_path / 'missing.yaml'}: No such file or directory" in html
    assert "KubeNodeEviction" in html


def test_without_rule_files_it_says_how_to_configure_them(client, settings):
    settings.KB_RULE_FILES = []
    html = client.get("/coverage/").content.decode()
    assert "No rule files are configured. Set <code>KB_RULE_FILES</code>" in html
