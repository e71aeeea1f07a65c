"""`narrowing.matches` finds what each pattern's own `finditer` finds, however it narrows the search."""

import random
import re

import pytest

from kb.entities.grammar import (
    ABSOLUTE_PATH,
    ALERT_AFTER,
    ALERT_BEFORE,
    BARE_FILE,
    CAMEL_TOKEN,
    CONTEXT_RULES,
    COORDINATED,
    IPV4,
    METRIC_CONTEXT,
    METRIC_NAME,
    METRIC_TOKEN,
    PM_REFERENCE,
    RELATIVE_PATH,
)
from kb.entities.narrowing import lowered_text, matches

PATTERNS = [pattern for _, pattern, _ in CONTEXT_RULES] + [
    ALERT_AFTER,
    ALERT_BEFORE,
    BARE_FILE,
    CAMEL_TOKEN,
    COORDINATED,
    IPV4,
    METRIC_CONTEXT,
    METRIC_TOKEN,
    PM_REFERENCE,
    ABSOLUTE_PATH,
    RELATIVE_PATH,
]
# Names, the neighbours that vouch for them, and what sits between: quotes, every kind of space,
# punctuation a name may or may not hold.
PIECES = [
    "velero", "kube-system", "node3", "db.lan", "DiskFull", "HighLatency", "x_y", "a", "9", "K", "\u212a",
    "ı", "ſ", "émile", " namespace", " namespaces", "namespace", " node", " nodes", " host", " vm", " machine",
    " pod", " pods", " app", " application", " service", " daemon set", " statefulset", " job", " binary",
    " alert", " alerts", " fires", " is fired", " went off", " alerting rule", " and ", " or ", ", ", " + ",
    "/", "&", "`", "'", '"', "“", "”", "’", " ", "  ", "\t", "\n", "\u00a0", "\u2003", ".", "-", ":", "(",
    ")", "=", "-n ", "--namespace=", "namespace=", "host: ", "on ", "running on ", "ssh ", " the May 16 PM",
    " post-mortem of 2026-05-16", " metric ", " series", ".yaml", ".YML", ".go", "values", ".tar", ".gz", "@", "+", "$", "/etc",
    # The nouns a match begins with (narrowing.STARTS), in other cases and forms.
    "Pod", " POD", "cron job", " replicaset", " deployments", "Deploy", " servers", " hostname", "instance",
    " ssh", " sshed into ", " ran on ", " Stuck on ", " scheduled", " landed", "processes", " sidecar", " binaries",
    "node=", "App=", "app.kubernetes.io/name=", "Alertname: ", "ALERT ", "\u0130", "svc", "10", "255", "0", "10.20.30.40", "192.168.1.2", "aB", "Q", "and", "or", "./", "~/", "etc/x", "node_cpu",
    # What a post-mortem reference needs besides its words: a year or a month's name; "pm" in other words.
    " PIR from 16th of May", "2026", " Sept.", "deployment", "npm", "Pm", " incident", " outage on ", "MAY",
]  # fmt: skip


def spans(found):
    return [(m.start(), m.end(), m.groups()) for m in found]


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.pattern[:40])
def test_it_finds_what_the_pattern_finds(pattern):
    generator = random.Random(5)
    for _ in range(1500):
        text = "".join(generator.choice(PIECES) for _ in range(generator.randint(0, 24)))
        expected = spans(pattern.finditer(text))
        assert spans(matches(pattern, text)) == expected, text
        assert spans(matches(pattern, text, lowered_text(text))) == expected, text


METRIC_PIECES = ["node", "_", "_*", "*", ":", "9", "a", "Z", "é", "bytes", " ", ".", "-", "/", "(", "$", "@", "{", "\n"]


def test_it_finds_as_metric_tokens_the_tokens_with_an_underscore_among_all():
    every_token = re.compile(rf"(?<![\w:.$/@-])({METRIC_NAME})(?![\w:/-])")
    generator = random.Random(7)
    for _ in range(5000):
        text = "".join(generator.choice(METRIC_PIECES) for _ in range(generator.randint(0, 16)))
        expected = [m for m in spans(every_token.finditer(text)) if "_" in m[2][0]]
        assert spans(METRIC_TOKEN.finditer(text)) == expected, text
        assert spans(matches(METRIC_TOKEN, text)) == expected, text
