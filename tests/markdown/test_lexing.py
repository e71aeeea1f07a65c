"""A lexer whose states' rules are tried a run at a time (kb/markdown/lexing.py) makes the tokens Pygments' own does."""

import re
from pathlib import Path

import pytest
from pygments.lexer import RegexLexer, bygroups
from pygments.lexers import get_lexer_by_name
from pygments.token import Keyword, Name, Punctuation, Text

from kb.markdown.lexing import _segments, with_states_joined

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

CODE = {
    "bash": (
        "#!/bin/bash\nset -euo pipefail\nkubectl -n velero get pods -o wide | grep -v Running && echo ok || exit 1\n"
        'for node in $(kubectl get nodes -o name); do echo "${node#node/}: $((1 + 2))" `date`; done\n'
        "cat <<EOF > /tmp/x\nhello $USER\nEOF\ncat <<-'END'\n\tliteral $x\n\tEND\nx=$'a\\tb' y='q' z=\"$x\" # comment\n"
        "case $1 in start) systemctl start kubelet;; *) exit 2;; esac\narr=(a b c); echo ${arr[@]} ${#arr} \\\n  done\n"
    ),
    "promql": (
        'sum by (namespace) (rate(container_cpu_usage_seconds_total{pod=~"velero-.*", ns!=""}[5m])) > 0.9\n'
        "# a comment\nhistogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m:1m])) by (le))\n"
    ),
    "yaml": "groups:\n  - name: disk\n    rules:\n      - alert: DiskFull\n        expr: node_filesystem_avail_bytes < 1e9\n",
    "python": 'def f(x: int) -> str:\n    return f\'{x!r}\' if x else """doc"""  # note\n',
    "console": "$ kubectl get pods\nNAME   READY\nweb-1  1/1\n",
}


@pytest.mark.parametrize("language", CODE)
def test_it_makes_the_tokens_pygments_makes(language):
    expected = list(get_lexer_by_name(language).get_tokens(CODE[language]))
    assert list(with_states_joined(get_lexer_by_name(language)).get_tokens(CODE[language])) == expected


def test_it_makes_the_tokens_pygments_makes_for_the_fixtures_code():
    fence = re.compile(r"^ *```(bash|sh|shell|promql|yaml)\n(.*?)^ *```", re.M | re.S)
    blocks = [m.groups() for path in FIXTURES.rglob("*.md") for m in fence.finditer(path.read_text())]
    assert blocks
    for language, code in blocks:
        expected = list(get_lexer_by_name(language).get_tokens(code))
        assert list(with_states_joined(get_lexer_by_name(language)).get_tokens(code)) == expected, code


class Awkward(RegexLexer):
    """Rules that cannot all stand in one alternation: a back reference, a global flag, a group name twice."""

    tokens = {
        "root": [
            (r"(\w+)(=)(\1)", bygroups(Name, Punctuation, Name)),
            (r"(?P<word>[a-z]+)!", Keyword),
            (r"(?P<word>[A-Z]+)!", Keyword),
            (r"(?i)stop", Keyword),
            (r"\s+", Text),
            (r"(')([^']*)(\2)", bygroups(Punctuation, Text, Punctuation)),
            (r"\w+", Name),
            (r".", Punctuation),
        ]
    }


def test_it_keeps_the_rules_order_where_they_cannot_be_joined():
    text = "a=a b=c STOP stop x! Y! 'q' ''z'' done.\n"
    lexer = Awkward()
    assert list(with_states_joined(Awkward()).get_tokens(text)) == list(lexer.get_tokens(text))
    # The back reference renumbered, the other two runs tried rule by rule where they do not compile.
    assert len(_segments(lexer._tokens["root"])) > 1


def test_it_leaves_a_lexer_with_its_own_tokenizer_alone():
    lexer = get_lexer_by_name("console")
    assert with_states_joined(lexer).get_tokens_unprocessed.__func__ is type(lexer).get_tokens_unprocessed
