"""What a document mentions: alerts, metrics, components, namespaces, hosts, files, incidents and
other post-mortems, read from the outline of the one Python-Markdown pass. Pure: no database.

Precision first. A name becomes an entity on evidence only: a shape no ordinary word has (an
IPv4 address, a path, a Prometheus metric, an alert-style CamelCase name), a telling neighbour
("namespace `velero`", "the `kured-sentinel-gate` pod", "PVCStuckPending fires"), a command
(`kubectl -n velero get pods`), a PromQL selector; or because the knowledge base already knows
the name (`Vocabulary`: alerts, curated entities and their aliases). Table headers, field
names, section titles and ordinary words are never evidence. Once a document shows that a name
is an entity, every occurrence of it in that document counts.

The shapes and neighbours are kb.entities.grammar; finding them in each passage, one vote a hit, is
kb.entities.evidence; here the votes of the whole document are counted (`extract`), names already
known are added (`Vocabulary`), and each entity is reported once a section (`Finding`).
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

from kb.entities.evidence import (
    Hit,
    Pair,
    Passage,
    alert_hits,
    context_hits,
    coordinated_alerts,
    passages,
    reference_hits,
    shape_hits,
    side_by_side,
)
from kb.entities.grammar import ALERT, COMPONENT, HOST, K8S_NAME, KINDS, NAMESPACE, is_plain_word
from kb.entities.names import NameFinder
from kb.markdown.parsing import ParsedDocument
from kb.markdown.references import numbers_are_links
from kb.markdown.rendering import Block


@dataclass(frozen=True)
class Vocabulary:
    """Names the knowledge base already knows, lower-cased, each with its entity's name and kind."""

    known: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # Names and aliases of entities a curator ignored for good: never extracted again.
    ignored: frozenset[str] = frozenset()
    # Built on first use and shared by the vocabularies `with_alert` derives (see `_KnownIndex`).
    _index: _KnownIndex | None = field(default=None, compare=False, repr=False)
    # The alerts `with_alert` added, in order, as a digest: two vocabularies derived alike from one have the same
    # (an import's parsing process extracts ahead with its own, kb.documents.reading).
    mark: bytes = field(default=b"", compare=False, repr=False)

    def resolve(self, name: str, kind: str) -> tuple[str, str] | None:
        key = name.lower()
        if key in self.ignored:
            return None
        return self.known.get(key, (name, kind))

    def with_alert(self, name: str) -> Vocabulary:
        """This vocabulary knowing one more alert name; a curated or ignored name of that spelling stays as it is."""
        key = name.lower()
        if key in self.known or key in self.ignored:
            return self
        if self._index is not None:
            self._index.add(key)
        mark = hashlib.blake2b(self.mark + key.encode(), digest_size=16).digest()
        return replace(self, known=_Known.of(self.known).plus(key, (name, ALERT)), mark=mark)

    def of_document(self, parsed: ParsedDocument) -> Vocabulary:
        """The vocabulary `parsed`'s mentions are extracted with: a runbook's alert is known (saved just before
        them), as it will be to the documents after it."""
        subject = document_subject(parsed)
        return self.with_alert(subject) if subject else self

    def known_in(self, lowered: str) -> list[str]:
        """The known names that occur in `lowered` (a lower-cased text), without trying every name:
        an import's vocabulary holds every alert of the knowledge base."""
        if self._index is None:
            object.__setattr__(self, "_index", _KnownIndex(self.known))
        return [key for key in self._index.candidates(lowered) if key in self.known and key in lowered]


class _Known(Mapping[str, tuple[str, str]]):
    """A vocabulary's names as `with_alert` derives them: the names it began with, shared, and those added
    since. An import derives a vocabulary for every runbook (twice: its save's and the next files'), and
    copying every known name each time was quadratic: 1.5 s of 12,000 documents, 100 million entries
    copied. The added names are copied into a new base when they are `MERGE_AT`."""

    MERGE_AT = 64
    __slots__ = ("base", "added")

    def __init__(self, base: Mapping[str, tuple[str, str]], added: dict[str, tuple[str, str]]):
        self.base, self.added = base, added

    @classmethod
    def of(cls, known: Mapping[str, tuple[str, str]]) -> _Known:
        return known if isinstance(known, _Known) else cls(known, {})

    def plus(self, key: str, value: tuple[str, str]) -> _Known:
        added = {**self.added, key: value}
        return _Known({**self.base, **added}, {}) if len(added) >= self.MERGE_AT else _Known(self.base, added)

    def __getitem__(self, key: str) -> tuple[str, str]:
        found = self.added.get(key)
        return found if found is not None else self.base[key]

    def get(self, key: str, default: Any = None) -> Any:
        found = self.added.get(key)
        return found if found is not None else self.base.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.added or key in self.base

    def __iter__(self) -> Iterator[str]:
        yield from self.base
        yield from self.added  # `plus` is given only names the base lacks

    def __len__(self) -> int:
        return len(self.base) + len(self.added)


class _KnownIndex:
    """Names by their first few characters: a name occurs in a text only if its first characters do.
    A long name is also indexed by its first `LONG` characters, read at each place its first few occur:
    a knowledge base's alerts share few beginnings ("Kube", "Node"; 39 among the 9,930 of the generated
    12,000 documents), and each name under a beginning the text holds was looked for in the whole text.
    Shared by a vocabulary and those derived from it, so it may hold names a vocabulary lacks."""

    WIDTH = 4
    LONG = 12

    def __init__(self, names: Iterable[str]):
        self.by_start: dict[str, set[str]] = {}
        self.long_by_start: dict[str, dict[str, set[str]]] = {}
        self.short: set[str] = set()
        for name in names:
            self.add(name)

    def add(self, name: str) -> None:
        if len(name) < self.WIDTH:
            self.short.add(name)
        elif len(name) < self.LONG:
            self.by_start.setdefault(name[: self.WIDTH], set()).add(name)
        else:
            self.long_by_start.setdefault(name[: self.WIDTH], {}).setdefault(name[: self.LONG], set()).add(name)

    def candidates(self, text: str) -> set[str]:
        found = self.short.union(*(self.by_start[start] for start in self._starts(text, self.by_start)))
        for start in self._starts(text, self.long_by_start):
            by_beginning = self.long_by_start[start]
            at = text.find(start)
            while at >= 0:
                names = by_beginning.get(text[at : at + self.LONG])
                if names:
                    found |= names
                at = text.find(start, at + 1)
        return found

    def _starts(self, text: str, index: dict[str, Any]) -> Iterable[str]:
        """The beginnings of `index` that occur in the text."""
        if len(index) * self.LOOKUPS_A_WINDOW < len(text):
            # Fewer beginnings than the text has windows: each is looked for (a substring search in C).
            return [start for start in index if start in text]
        return {text[i : i + self.WIDTH] for i in range(len(text) - self.WIDTH + 1)} & index.keys()

    # A beginning looked for in a text costs about as much as taking this many windows of it.
    LOOKUPS_A_WINDOW = 16


class _KnownAlerts:
    """Whether a lower-cased name is an alert the vocabulary knows (or one of `also`), without
    gathering the vocabulary's alerts for each document."""

    def __init__(self, known: Mapping[str, tuple[str, str]], also: Iterable[str] = ()):
        self.known, self.also = known, frozenset(also)

    def __contains__(self, key: object) -> bool:
        return key in self.also or self.known.get(key, ("", ""))[1] == ALERT  # type: ignore[call-overload]

    def __or__(self, other: Iterable[str]) -> _KnownAlerts:
        return _KnownAlerts(self.known, self.also | frozenset(other))


@dataclass
class Finding:
    """One entity in one section of a document."""

    name: str
    kind: str
    section: int  # index of the outline block; 0 is the text before the first heading
    heading: str
    anchor: str
    surface: str  # as first written in that section
    snippet: str  # the sentence of the first occurrence
    count: int


# --- the whole document -------------------------------------------------------------------

MAX_NAME = 300  # the longest entity name the database stores
# The end of a sentence's mark looked behind first: tried at every position of a passage, it fails at most of
# them on one character, where the abbreviations' four looks behind came first (a snippet 3x sooner).
SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)\s+(?=\S)|\n")
SNIPPET_CHARS = 240


@lru_cache(maxsize=64)
def _sentence_ends(text: str) -> tuple[int, ...]:
    """Where each of the text's sentences ends (`SENTENCE_END` as `finditer` finds it, in order): a passage naming
    many entities had it searched from its beginning again for each of their snippets."""
    return tuple(match.end() for match in SENTENCE_END.finditer(text))


def snippet(text: str, start: int, end: int) -> str:
    """The sentence (or, in code, the line) around text[start:end], cut around it when long."""
    ends = _sentence_ends(text)
    at = bisect_right(ends, start)
    left = ends[at - 1] if at else 0
    following = SENTENCE_END.search(text, end)
    right = following.start() if following else len(text)
    if right - left > SNIPPET_CHARS:
        window_left = max(left, min(start - SNIPPET_CHARS // 3, right - SNIPPET_CHARS))
        window_right = min(right, window_left + SNIPPET_CHARS)
        prefix, suffix = ("…" if window_left > left else ""), ("…" if window_right < right else "")
        left, right = window_left, window_right
    else:
        prefix = suffix = ""
    return prefix + " ".join(text[left:right].split()) + suffix


@dataclass
class Evidence:
    """What a document's passages show whatever the knowledge base knows (`evidence_found`): the most
    of extraction's work, which an import does in its parsing process."""

    passages: list[Passage]
    references: list[tuple[int, Hit]]  # (passage, hit)
    # Each passage's hits in the order found, each with None (a vote) or, for an alert a neighbour
    # names, whether it is one whatever the vocabulary (see `alert_hits`).
    hits: list[list[tuple[Hit, bool | None]]]
    # Each passage's names written beside another (`side_by_side`): alerts when one of them is.
    pairs: list[list[Pair]]


def evidence_found(blocks: list[Block], *, own_date: date | None = None, bare_incidents: bool = False) -> Evidence:
    all_passages = list(passages(blocks))
    references: list[tuple[int, Hit]] = []
    hits: list[list[tuple[Hit, bool | None]]] = []
    for n, passage in enumerate(all_passages):
        references.extend((n, hit) for hit in reference_hits(passage, own_date, bare_incidents=bare_incidents))
        hits.append(
            [
                *((hit, None) for hit in (*shape_hits(passage), *context_hits(passage))),
                *alert_hits(passage),
            ]
        )
    return Evidence(all_passages, references, hits, [side_by_side(passage) for passage in all_passages])


def evidence_of(parsed: ParsedDocument) -> Evidence:
    """`evidence_found` over a document as kb.markdown.parsing read it (as `extract_parsed` reads it)."""
    return evidence_found(parsed.outline, own_date=parsed.date, bare_incidents=not numbers_are_links(parsed.body))


def extract(
    blocks: list[Block],
    *,
    vocabulary: Vocabulary = Vocabulary(),
    subject: str | None = None,
    labels: Mapping[str, str] | None = None,
    own_date: date | None = None,
    bare_incidents: bool = False,
    found: Evidence | None = None,
) -> list[Finding]:
    """Every entity the document mentions, once per section, with the sentence and the count.

    `subject` is the alert a runbook is for and `labels` its scope (both already read by
    kb.markdown.parsing); `own_date` is a post-mortem's own date, which is no reference to another one;
    `bare_incidents`: a bare `#236` may be an incident (kb.markdown.syntax.incident_references).
    `found`: `evidence_found` of the same blocks, already computed.
    """
    seen = found if found is not None else evidence_found(blocks, own_date=own_date, bare_incidents=bare_incidents)
    all_passages, references = seen.passages, seen.references
    lowered = "\n".join(p.text for p in all_passages).lower()
    known_alerts = _KnownAlerts(vocabulary.known)

    votes: dict[str, Counter] = {}
    spelled: dict[str, str] = {}
    evidence: dict[tuple[int, int], Hit] = {}  # by (passage, start)

    def vote(n: int, hit: Hit) -> None:
        key = hit.name.lower()
        votes.setdefault(key, Counter())[hit.kind] += 1
        spelled.setdefault(key, hit.name)
        evidence[(n, hit.start)] = hit

    for n, hits in enumerate(seen.hits):
        for hit, alert_shaped in hits:
            if alert_shaped is not False or hit.name.lower() in known_alerts:
                vote(n, hit)
    alerts = known_alerts | {k for k, c in votes.items() if c.most_common(1)[0][0] == ALERT}
    for n, (passage, pairs) in enumerate(zip(all_passages, seen.pairs)):
        for hit in coordinated_alerts(passage, pairs, alerts):
            vote(n, hit)

    local: dict[str, tuple[str, str]] = {}
    if subject:
        local[subject.lower()] = (subject, ALERT)
    for key, counter in votes.items():
        best = max(counter.items(), key=lambda kv: (kv[1], -KINDS.index(kv[0])))[0]
        local.setdefault(key, (spelled[key], best))
    for label, value in (labels or {}).items():
        kind = {"namespace": NAMESPACE, "node": HOST, "instance": HOST, "severity": None, "cluster": None}.get(
            label, COMPONENT
        )
        if kind and re.fullmatch(K8S_NAME, str(value)):
            local.setdefault(str(value).lower(), (str(value), kind))
    names: dict[str, tuple[str, str]] = {}
    for key, value in [*local.items(), *((k, vocabulary.known[k]) for k in vocabulary.known_in(lowered))]:
        if key in vocabulary.known:
            value = vocabulary.known[key]
        if key not in vocabulary.ignored and 2 <= len(key) <= MAX_NAME:
            names.setdefault(key, value)

    occurrences: dict[tuple[int, int], tuple[int, str, str]] = {}  # (passage, start): end, surface, key
    for (n, start), hit in evidence.items():
        if hit.name.lower() in names:
            occurrences[(n, start)] = (hit.end, hit.surface, hit.name.lower())
    for n, start, end in NameFinder(names).finditer_each([passage.text for passage in all_passages]):
        passage = all_passages[n]
        surface = passage.text[start:end]
        key = surface.lower()
        if key not in names or (n, start) in occurrences:
            continue
        if is_plain_word(surface) and surface not in passage.spans and not (key == (subject or "").lower()):
            continue
        occurrences[(n, start)] = (end, surface, key)
    for n, hit in references:
        resolved = vocabulary.resolve(hit.name, hit.kind)
        if resolved:
            names.setdefault(hit.name.lower(), resolved)
            occurrences[(n, hit.start)] = (hit.end, hit.surface, hit.name.lower())

    findings: dict[tuple[str, int], Finding] = {}
    for (n, start), (end, surface, key) in sorted(occurrences.items()):
        passage = all_passages[n]
        name, kind = names[key]
        block = blocks[passage.section]
        finding = findings.get((name.lower(), passage.section))
        if finding is None:
            findings[(name.lower(), passage.section)] = Finding(
                name=name,
                kind=kind,
                section=passage.section,
                heading=block.heading,
                anchor=block.anchor,
                surface=surface,
                snippet=snippet(passage.text, start, end),
                count=1,
            )
        else:
            finding.count += 1
            if finding.snippet == block.heading and not passage.heading:
                # A heading is a poor sentence: the first one in the section's text says more.
                finding.surface, finding.snippet = surface, snippet(passage.text, start, end)
    return sorted(findings.values(), key=lambda f: (f.section, f.name.lower()))


def document_subject(parsed: ParsedDocument) -> str | None:
    """The alert a runbook is for; a post-mortem is for none."""
    return parsed.alert if parsed.kind == "runbook" else None


def extract_parsed(parsed: ParsedDocument, *, vocabulary: Vocabulary, found: Evidence | None = None) -> list[Finding]:
    """`extract` over a document as kb.markdown.parsing read it: its outline, subject, label scope and
    own date; `found`: its `evidence_of`, already computed."""
    return extract(
        parsed.outline,
        vocabulary=vocabulary,
        subject=document_subject(parsed),
        labels=parsed.labels,
        own_date=parsed.date,
        bare_incidents=not numbers_are_links(parsed.body),
        found=found,
    )
