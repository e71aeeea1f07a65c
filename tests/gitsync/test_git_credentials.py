"""HTTPS credentials reach git from the environment through the credential helper, never in a URL."""

from kb.gitsync.git import Repository, without_credentials


def test_git_is_handed_the_token_from_the_environment_when_a_server_asks(tmp_path, monkeypatch):
    monkeypatch.setenv("KB_GIT_USERNAME", "kb-sync")
    monkeypatch.setenv("KB_GIT_PASSWORD", "glpat-from-the-environment")
    answer = Repository(tmp_path).run("credential", "fill", stdin="protocol=https\nhost=git.example.org\n\n")
    assert "username=kb-sync\n" in answer and "password=glpat-from-the-environment\n" in answer


def test_a_url_with_a_token_is_shown_without_it():
    shown = without_credentials("fatal: unable to access 'https://kb:glpat-secret@git.example.org/ops/runbooks.git/'")
    assert shown == "fatal: unable to access 'https://***@git.example.org/ops/runbooks.git/'"
