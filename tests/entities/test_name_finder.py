"""`NameFinder` finds what `name_pattern` finds, without compiling a pattern per document."""

import random

from kb.entities.extraction import Vocabulary
from kb.entities.names import NameFinder, name_pattern

NAMES = [
    "velero",
    "Velero",
    "kube-system",
    "node3",
    "db.lan",
    "/var/log",
    "oom",
    "OOMKilled",
    "a.b",
    "x_y",
    "$v",
    "k",
    "s",
]
NAMES += ["émile", "ix"]
ALPHABET = [
    "velero",
    "VELERO",
    "kube",
    "-system",
    "node3",
    "db.lan",
    ".",
    "-",
    "@",
    "/",
    "$",
    "_",
    " ",
    "a",
    "b",
    "x",
    "y",
]
ALPHABET += ["oom", "OOMKilled", "log", "/var", "\n", "3", ".b", "Ünïcode", "K", "é", "—", "٣", "ẞ", "\u212a", "ı", "ſ"]


def spans(found, text):
    return [(m.start(), m.end(), m.group()) for m in found.finditer(text)] if found else []


def test_it_finds_the_same_whole_names_as_the_pattern():
    generator = random.Random(12)
    for _ in range(3000):
        names = generator.sample(NAMES, generator.randint(1, len(NAMES)))
        text = "".join(generator.choice(ALPHABET) for _ in range(generator.randint(0, 30)))
        assert spans(NameFinder(names), text) == spans(name_pattern(names), text), (names, text)


def test_it_prefers_the_longest_name_that_ends_where_a_name_may_end():
    finder = NameFinder(["kube", "kube-system", "kube-sys"])
    assert [m.group() for m in finder.finditer("in KUBE-SYSTEM, kube-sys. and kube-systemd kube")] == [
        "KUBE-SYSTEM",
        "kube-sys",
        "kube",
    ]


def test_it_finds_nothing_without_names():
    assert not NameFinder([""])
    assert list(NameFinder([]).finditer("velero")) == []


def test_it_finds_every_known_name_a_text_holds_among_many_sharing_their_beginning():
    # An import's vocabulary holds every alert of the knowledge base, thousands under a few beginnings.
    generator = random.Random(7)
    parts = ["gate", "gateway", "way", "sync", "failed", "high", "kube", "pod", "x"]
    names = {"".join(generator.choice(parts) for _ in range(generator.randint(1, 5))) for _ in range(3000)}
    vocabulary = Vocabulary(known={name: (name, "alert") for name in names})
    for _ in range(300):
        text = "".join(generator.choice([*parts, " ", "."]) for _ in range(generator.randint(0, 30)))
        assert sorted(vocabulary.known_in(text)) == sorted(name for name in names if name in text), text
    assert vocabulary.with_alert("gatewaygatewaysyncfailedhigh").known_in("the gatewaygatewaysyncfailedhigh alert")


def test_it_finds_in_each_of_many_texts_what_it_finds_in_each_alone():
    generator = random.Random(13)
    for _ in range(2000):
        names = generator.sample(NAMES, generator.randint(1, len(NAMES)))
        texts = [
            "".join(generator.choice([*ALPHABET, "\x00"]) for _ in range(generator.randint(0, 12)))
            for _ in range(generator.randint(0, 5))
        ]
        finder = NameFinder(names)
        alone = [(n, m.start(), m.end()) for n, text in enumerate(texts) for m in finder.finditer(text)]
        assert list(finder.finditer_each(texts)) == alone, (names, texts)


def test_vocabularies_derived_one_alert_at_a_time_know_their_own_alerts_and_no_others():
    # An import derives a vocabulary for every runbook (kb.entities.extraction._Known shares the names it began with).
    generator = random.Random(11)
    start = Vocabulary(known={"velero": ("velero", "component")}, ignored=frozenset({"noise"}))
    lines: list[tuple[Vocabulary, dict]] = [(start, dict(start.known))]
    for n in range(400):
        vocabulary, expected = generator.choice(lines)  # derived from any earlier one, not only the last
        name = generator.choice([f"Alert{n}", "Velero", "noise", f"Alert{generator.randrange(n + 1)}"])
        derived = vocabulary.with_alert(name)
        if name.lower() not in expected and name.lower() != "noise":
            expected = expected | {name.lower(): (name, "alert")}
        lines.append((derived, expected))
    for vocabulary, expected in lines:
        assert dict(vocabulary.known) == expected
        assert len(vocabulary.known) == len(expected) and all(key in vocabulary.known for key in expected)
        assert vocabulary.resolve("Alert3", "metric") == expected.get("alert3", ("Alert3", "metric"))
