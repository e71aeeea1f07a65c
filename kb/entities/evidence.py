"""Evidence in one passage of a document: where text is (`passages`: headings, prose, list items,
table cells, code blocks) and what in it points at an entity (`Hit`s: a shape, a telling neighbour, a
command, an alert named beside another, a reference to an incident or a post-mortem). Pure: no
database. Each hit is one vote; kb.entities.extraction counts the votes of the whole document.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import date

from kb.entities.grammar import (
    ABSOLUTE_PATH,
    ALERT,
    ALERT_AFTER,
    ALERT_BEFORE,
    ARGOCD_APP,
    BARE_FILE,
    CAMEL_TOKEN,
    COMMAND_WORDS,
    COMPARISON_AFTER,
    COMPONENT,
    COORDINATED,
    FILE,
    HOST,
    INCIDENT,
    IPV4,
    K8S_NAME,
    KNOWN_EXTENSION,
    KUBECTL_CONTAINER,
    KUBECTL_POD,
    KUBECTL_SLASHED,
    KUBECTL_TARGET,
    KUBECTL_TYPES,
    LIST_NEXT,
    METRIC,
    METRIC_CONTEXT,
    METRIC_TOKEN,
    NODE_COMMAND,
    NOT_HOSTS,
    PM_REFERENCE,
    POSTMORTEM,
    PROMQL_FUNCTION_BEFORE,
    QUOTE,
    RELATIVE_PATH,
    SELECTOR_AFTER,
    SERVICE_COMMAND,
    VERSION,
    file_name,
    is_metric_shaped,
    looks_like_alert,
    postmortem_reference,
    referenced_day,
)
from kb.entities.lookalikes import (
    SAME_SORT_BETWEEN,
    VOCABULARY_NOUN,
    VOCABULARY_NOUN_BEFORE,
    is_english_compound,
    is_vocabulary_word,
)
from kb.entities.narrowing import context_rules_in, lowered_text, matches
from kb.markdown.references import cell_columns, incident_references
from kb.markdown.rendering import Block
from kb.markdown.syntax import ALERT_NAME, is_alert_like

# --- where text is ----------------------------------------------------------------------


@dataclass
class Passage:
    section: int
    text: str
    spans: frozenset[str]  # the code spans of its section
    code: bool = False  # a code block: commands and configuration, not prose
    heading: bool = False
    field_name: bool = False  # the first cell of a key/value table row
    column: str = ""  # a table cell's column header (and row key, in a key/value table)


def passages(blocks: list[Block]) -> Iterator[Passage]:
    for i, block in enumerate(blocks):
        spans = frozenset(s.strip() for s in block.code_spans)
        code = block.code_blocks
        flat = [" ".join(c.split()) for c in code]

        def prose(text: str) -> str:
            for c in flat:
                if c and c in text:
                    text = text.replace(c, " ")
            return text

        if block.heading:
            yield Passage(i, block.heading, spans, heading=True)
        for text in [*block.paragraphs, *block.other_text]:
            yield Passage(i, prose(text), spans)
        for lst in block.lists:
            for item in lst.items:
                yield Passage(i, prose(item.text), spans)
        for table in block.tables:
            key_value = len(table.headers) == 2
            for row in table.rows:
                for n, (cell, column) in enumerate(cell_columns(table.headers, row)):
                    if cell.strip():
                        yield Passage(i, cell, spans, field_name=key_value and n == 0, column=column)
        for text in code:
            yield Passage(i, text, spans, code=True)


# --- evidence ----------------------------------------------------------------------------


@dataclass
class Hit:
    name: str
    kind: str
    start: int  # where in the passage the name (or the phrase, for references) is
    end: int
    surface: str


# Compiled once: `re.search(pattern_text, …)` looks its pattern up in the `re` module's cache at every call.
HOST_TOKEN = re.compile(r"[a-z0-9][\w.-]*[a-z0-9]|[a-z0-9]")
K8S_TOKEN = re.compile(K8S_NAME)
HOST_MARK = re.compile(r"\.\w|\d$|\d.*-|-.*\d")
HYPHEN_OR_DIGIT = re.compile(r"[-\d]")
LOWER_LETTER = re.compile(r"[a-z]")
# "AlertManager fires `HomelabPodOOMKilled`": after "X fires", a word and a CamelCase name.
SENDER_FIRES = re.compile(r"\s+\w+\s+" + QUOTE + r"[A-Za-z]+[A-Z]")


def _token_ok(token: str, passage: Passage, *, kind: str, strong: bool) -> bool:
    shape = HOST_TOKEN if kind == HOST else K8S_TOKEN
    if VERSION.match(token) or not shape.fullmatch(token) or token.isdigit():
        return False
    if kind == HOST and NOT_HOSTS.match(token):
        return False  # a placeholder ("x.x.x.x") or an address of no one host
    if strong:
        return True
    if kind == HOST and not HOST_MARK.search(token):
        return False  # "a k8s node", "third-party hosts", "`querier` nodes" name no host; "k8s-master", "node3", "db.lan" do
    if token in passage.spans and not passage.code:
        return True
    return bool(HYPHEN_OR_DIGIT.search(token)) and bool(LOWER_LETTER.search(token)) and not is_english_compound(token)


def context_hits(passage: Passage) -> Iterator[Hit]:
    text = passage.text
    lowered = lowered_text(text)
    for kind, pattern, strong in context_rules_in(lowered):
        for match in matches(pattern, text, lowered):
            token = match.group(1).rstrip(".")
            if text[match.start(1) + len(token) : match.start(1) + len(token) + 1] in ("*", "-", "<", "$", "{"):
                continue  # a glob or a placeholder: `velero-*`, `<velero-pod-name>`
            if text[match.start(1) - 1 : match.start(1)] == "-" or token in COMMAND_WORDS:
                continue  # a flag (`--all-namespaces`) or a subcommand (`port-forward`)
            if _token_ok(token, passage, kind=kind, strong=strong):
                yield Hit(token, kind, match.start(1), match.start(1) + len(token), token)
                yield from _listed_after(passage, kind, match.start(1) + len(token))
    for offset, code in _code_of(passage):
        # A verb's target follows it after a space or a tab (`get pod x`), a slashed one its slash (`pod/x`): most
        # code spans are one word with neither, and the verbs' `\b` was tried at each of their positions.
        spaced, slashed = " " in code or "\t" in code, "/" in code
        for pattern in (KUBECTL_TARGET,) * spaced + (KUBECTL_SLASHED,) * slashed:
            for match in pattern.finditer(code):
                name = match.group(2)
                if not VERSION.match(name):
                    yield Hit(name, KUBECTL_TYPES[match.group(1)], offset + match.start(2), offset + match.end(2), name)
        for pattern, kind, words in COMMANDS:
            if words[0] not in code and words[-1] not in code:
                continue
            for match in pattern.finditer(code):
                yield Hit(match.group(1), kind, offset + match.start(1), offset + match.end(1), match.group(1))


# The commands that name a host or a component, each with the words (two at most) one of which its match holds:
# most code is none of them, and most code spans hold none of the words.
COMMANDS = (
    (NODE_COMMAND, HOST, ("cordon", "drain")),
    (SERVICE_COMMAND, COMPONENT, ("ctl",)),
    (ARGOCD_APP, COMPONENT, ("argocd",)),
    (KUBECTL_POD, COMPONENT, ("kubectl",)),
    (KUBECTL_CONTAINER, COMPONENT, ("kubectl",)),
)


def _listed_after(passage: Passage, kind: str, end: int) -> Iterator[Hit]:
    """ "nodes k8s-worker-1, k8s-worker-2 and k8s-master": the names listed after the first one."""
    while match := LIST_NEXT.match(passage.text, end):
        token = match.group(1).rstrip(".")
        if not _token_ok(token, passage, kind=kind, strong=False):
            return
        yield Hit(token, kind, match.start(1), match.start(1) + len(token), token)
        end = match.start(1) + len(token)


def _code_of(passage: Passage) -> Iterator[tuple[int, str]]:
    """The code in a passage, with its offset: all of a code block, else each code span found in it."""
    if passage.code:
        yield 0, passage.text
        return
    for span in passage.spans:
        if len(span) > 3:
            start = passage.text.find(span)
            while start >= 0:
                yield start, span
                start = passage.text.find(span, start + len(span))


def shape_hits(passage: Passage) -> Iterator[Hit]:
    text = passage.text
    # Each shape has a character most passages lack: a dot (addresses, file names), a slash (paths) or
    # an underscore (the metrics these loops take).
    for match in matches(IPV4, text):
        if not NOT_HOSTS.match(match.group()):
            yield Hit(match.group(), HOST, match.start(), match.end(), match.group())
    in_span = lambda s: s in passage.spans  # noqa: E731
    taken: list[tuple[int, int]] = []
    for pattern in (ABSOLUTE_PATH, RELATIVE_PATH, BARE_FILE):
        if ("." if pattern is BARE_FILE else "/") not in text:
            continue
        for match in matches(pattern, text, lowered_text(text) if pattern is BARE_FILE else None):
            if any(a <= match.start(1) < b for a, b in taken):
                continue
            if (
                passage.code
                and pattern is not BARE_FILE
                and not KNOWN_EXTENSION.search(match.group(1))
                and pattern is RELATIVE_PATH
            ):
                continue
            name = file_name(match.group(1), in_span=in_span(match.group(1).rstrip(".,;:")), in_code=passage.code)
            if name:
                taken.append((match.start(1), match.end(1)))
                yield Hit(name, FILE, match.start(1), match.start(1) + len(name), name)
    code_at = [(offset, offset + len(code)) for offset, code in _code_of(passage)] if "_" in text else []
    for match in matches(METRIC_TOKEN, text):
        name = match.group(1)
        if any(a <= match.start(1) < b for a, b in taken):
            continue
        after, before = text[match.end(1) : match.end(1) + 40], text[max(0, match.start(1) - 60) : match.start(1)]
        if after.lstrip().startswith("("):
            continue  # a function: `predict_linear(`, `pg_size_pretty(`
        in_code = any(a <= match.start(1) < b for a, b in code_at)
        if (
            is_metric_shaped(name)
            or (in_code and (SELECTOR_AFTER.match(after) or PROMQL_FUNCTION_BEFORE.search(before)))
            or (in_code and not passage.code and COMPARISON_AFTER.match(after))
        ):
            yield Hit(name, METRIC, match.start(1), match.end(1), name)
    for match in matches(METRIC_CONTEXT, text, lowered_text(text)) if "_" in text else ():
        group = 1 if match.group(1) else 2
        name = match.group(group)
        if "_" in name:
            yield Hit(name, METRIC, match.start(group), match.end(group), name)


def alert_hits(passage: Passage) -> Iterator[tuple[Hit, bool | None]]:
    """The alerts of a passage, each with whether it counts whatever the vocabulary: None for a name
    shaped like an alert; for one a neighbour names ("X fires"), True when its shape makes it an alert
    and False when it is one only if the vocabulary knows it (`extraction.extract` decides)."""
    text = passage.text
    lowered = lowered_text(text)
    for pattern in (ALERT_BEFORE, ALERT_AFTER):
        for match in matches(pattern, text, lowered):
            name = match.group(1)
            if pattern is ALERT_AFTER and SENDER_FIRES.match(text, match.end()):
                continue  # "AlertManager fires `HomelabPodOOMKilled`": the one firing is the sender
            yield Hit(name, ALERT, match.start(1), match.end(1), name), _alert_candidate(name, passage)
    if not passage.code and not passage.field_name:
        vocabulary_end = -1  # where the last name said to be vocabulary ("argument `X`") ends
        for match in matches(CAMEL_TOKEN, text):
            name = match.group(1)
            if not looks_like_alert(name):
                continue
            if (
                VOCABULARY_NOUN.match(text, match.end())
                or VOCABULARY_NOUN_BEFORE.search(text, 0, match.start())
                or (vocabulary_end >= 0 and SAME_SORT_BETWEEN.fullmatch(text, vocabulary_end, match.start()))
            ):
                vocabulary_end = match.end()
                continue
            yield Hit(name, ALERT, match.start(1), match.end(1), name), None


def _alert_candidate(name: str, passage: Passage) -> bool:
    if not ALERT_NAME.match(name) or is_vocabulary_word(name) or len(name) < 4:
        return False
    return is_alert_like(name) or (name in passage.spans and any(c.isupper() for c in name))


# Two names side by side ("A + B", "A and B"): each name with where it starts and ends.
Pair = tuple[tuple[str, int, int], tuple[str, int, int]]


def side_by_side(passage: Passage) -> list[Pair]:
    """The names written beside another in a passage, whatever the knowledge base knows (see `coordinated_alerts`)."""
    return [
        ((m.group(1), m.start(1), m.end(1)), (m.group(2), m.start(2), m.end(2)))
        for m in matches(COORDINATED, passage.text)
    ]


def coordinated_alerts(passage: Passage, pairs: list[Pair], alerts: Container[str]) -> Iterator[Hit]:
    """ "drives PVCStuckPending + ExternalAccessDivergence": named beside an alert, an alert too.
    `pairs`: the passage's `side_by_side`."""
    for first, second in pairs:
        for this, (other, start, end) in ((first[0], second), (second[0], first)):
            if this.lower() in alerts and other.lower() not in alerts and _alert_candidate(other, passage):
                yield Hit(other, ALERT, start, end, other)


def reference_hits(passage: Passage, own_date: date | None, *, bare_incidents: bool = False) -> Iterator[Hit]:
    if passage.code:
        return
    text = passage.text
    for match in matches(PM_REFERENCE, text, lowered_text(text)):
        day = referenced_day(match, own_date)
        if day and day != own_date:
            yield Hit(postmortem_reference(day), POSTMORTEM, match.start(), match.end(), match.group())
    for match in incident_references(text, column=passage.column, bare=bare_incidents):
        yield Hit(match.group(), INCIDENT, match.start(), match.end(), match.group())
