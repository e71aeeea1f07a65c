"""Pygments' lexers with their states' rules joined (kb/markdown/lexing.py) yield the same tokens."""

import random
import re
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name

from kb.markdown.lexing import joined

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LANGUAGES = ["bash", "console", "promql", "sql", "yaml", "json", "python", "ruby", "go", "ini", "text", "diff"]
SNIPPETS = [
    'kubectl -n monitoring get pods -l app=prometheus -o wide | grep -v Running\nexport X="$(date +%s)"\n',
    'cat <<EOF > /etc/x.conf\nkey = ${VALUE:-default}\nEOF\nfor i in 1 2; do echo "$i"; done\n',
    "echo 'single' $'c\\tstyle' `backticks` $((1 + 2)) # comment\n[[ -f x ]] && exit 1 || true\n",
    'sum by (pod) (rate(container_cpu_usage_seconds_total{namespace=~"prod|stage"}[5m])) > 0.9\n',
    "SELECT name, count(*) FROM incidents WHERE resolved_at IS NULL GROUP BY 1; -- open\n",
    "groups:\n  - name: node\n    rules:\n      - alert: DiskFull\n        expr: x > 1 # note\n",
    '{"a": [1, 2.5e3, true, null], "b": {"c": "d\\"e"}}\n',
    "def f(x: int) -> str:\n    return f'{x!r}' if x else r\"raw\\n\"\n",
    "$ systemctl status nginx\n● nginx.service - A high performance web server\n",
]
# Characters that open and close the lexers' states: quotes, brackets, expansions, comments, here-documents.
PIECES = ["'", '"', "`", "$", "(", ")", "{", "}", "[", "]", "<<", "EOF", "\\", "#", "\n", " ", "\t", "a", "x=1",
          "echo", "-n", "|", ";", "&&", "%", "*", "/", "1", "--", ":", "~", "!", "@", "=~", "<", ">"]  # fmt: skip


def tokens(lexer, text):
    return list(lexer.get_tokens(text))


def fixture_code():
    for file in sorted(FIXTURES.rglob("*.md")):
        yield from re.findall(r"```(\w*)\n(.*?)```", file.read_text(), re.S)


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_lexes_snippets_random_texts_and_the_fixtures_code_as_pygments_does(language):
    plain, fast = get_lexer_by_name(language), joined(get_lexer_by_name(language))
    generator = random.Random(language)
    texts = SNIPPETS + ["".join(generator.choice(PIECES) for _ in range(generator.randint(0, 40))) for _ in range(300)]
    texts += [code for _, code in fixture_code()]
    for text in texts:
        assert tokens(fast, text) == tokens(plain, text), text


def test_it_joins_the_rules_of_the_shell_lexer():
    lexer = joined(get_lexer_by_name("bash"))
    assert lexer.get_tokens_unprocessed.__func__ is not type(lexer).get_tokens_unprocessed
