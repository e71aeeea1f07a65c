"""What kb.search.ranking asks an engine (kb.search.engines): the query as understood, in engine-neutral terms."""

from __future__ import annotations

from dataclasses import dataclass, field

MARK_START, MARK_END = "\x02", "\x03"  # stand-ins for <mark>, so that the rest of a snippet can be escaped
LEAD_CHARS = 240  # the snippet of a hit whose text did not match (an alert named exactly)


@dataclass(frozen=True)
class Term:
    text: str  # a word, or words that must stand together
    prefix: bool = False  # matches any word starting with it
    phrase: bool = False  # several words, in this order


@dataclass
class Query:
    """What the engines are asked: documents matching any of `terms` and all of `required`, none of `excluded`."""

    terms: list[Term] = field(default_factory=list)
    required: list[Term] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)
    alert_names: set[str] = field(default_factory=set)  # lower case: runbooks of these alerts come first
    corrected: str | None = None  # the query as corrected, when a word was

    @property
    def scored(self) -> list[Term]:
        return self.terms + self.required

    def __bool__(self) -> bool:
        return bool(self.scored)
