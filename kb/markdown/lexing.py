"""Pygments' regular-expression lexers, each state's rules tried in one search rather than one by one.

A `RegexLexer` tries the rules of its state in order at each position, the first that matches making the
token: Bash's code tried seventeen rules a token, each a call into the `re` module from Python (a sixteenth
of an import's parsing went to lexing code blocks; the 4,833 of 2,000 generated files took 0.54 s, 0.35 s so). Here consecutive rules are joined into one alternation,
each rule's expression in a group of its own: `(a)|(b)|(c)` matches where the first of `a`, `b`, `c` that
matches does, and the group it closed last (`lastindex`) names that rule, whose own expression then makes
the match the rule's action reads, as before. A rule that cannot stand in an alternation (a back reference,
which the groups before it would renumber; verbose or other flags than its neighbours') is tried alone,
between the runs, and a run that does not compile is tried rule by rule. The tokens are the same, in the
same order (tests/markdown/test_lexing.py).
"""

from __future__ import annotations

import re
from types import MethodType

from pygments.lexer import RegexLexer
from pygments.token import Error, Whitespace, _TokenType

# Conditionals and named back references are not renumbered; verbose expressions may end in a comment.
_ALONE = re.compile(r"\(\?\(|\(\?P=")
# A back reference by number, renumbered for the groups before its rule's (an escaped backslash read whole).
_BACK_REFERENCE = re.compile(r"\\\\|\\([1-9][0-9]?)")

# A state's rules as runs: (match, rule index) for one rule alone, (match, {group: rule index}) for a run.
Segments = list[tuple[object, int | dict[int, int]]]
_segments_by_class: dict[type, dict[int, Segments]] = {}


def with_states_joined(lexer):
    """The lexer, its `get_tokens_unprocessed` the one below where it is `RegexLexer`'s own."""
    if type(lexer).get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed:
        lexer.get_tokens_unprocessed = MethodType(_tokens_unprocessed, lexer)
    return lexer


def _segments(rules: list) -> Segments:
    segments: Segments = []
    run: list[int] = []

    def close() -> None:
        if len(run) > 1:
            segments.extend(_joined(rules, run))
        elif run:
            segments.append((rules[run[0]][0], run[0]))
        run.clear()

    for index, (rexmatch, _, _) in enumerate(rules):
        pattern = getattr(rexmatch, "__self__", None)
        if not isinstance(pattern, re.Pattern) or getattr(rexmatch, "__name__", "") != "match":
            close()
            segments.append((rexmatch, index))
        elif pattern.flags & re.VERBOSE or _ALONE.search(pattern.pattern):
            close()
            segments.append((rexmatch, index))
        else:
            if run and rules[run[0]][0].__self__.flags != pattern.flags:
                close()
            run.append(index)
    close()
    return segments


def _joined(rules: list, run: list[int]) -> Segments:
    which, group, parts = {}, 1, []
    for index in run:
        pattern = rules[index][0].__self__
        parts.append("(" + _BACK_REFERENCE.sub(lambda m: _renumbered(m, group), pattern.pattern) + ")")
        which[group] = index
        group += 1 + pattern.groups
    try:
        joined = re.compile("|".join(parts), rules[run[0]][0].__self__.flags)
    except re.error:  # a global flag inside, a group's name twice
        return [(rules[index][0], index) for index in run]
    return [(joined.match, which)]


def _renumbered(match: re.Match, group: int) -> str:
    return f"\\{int(match.group(1)) + group}" if match.group(1) else match.group()


def _state_segments(lexer) -> dict[int, Segments]:
    found = _segments_by_class.get(type(lexer))
    if found is None:
        found = _segments_by_class[type(lexer)] = {id(rules): _segments(rules) for rules in lexer._tokens.values()}
    return found


def _tokens_unprocessed(self, text, stack=("root",)):
    """`RegexLexer.get_tokens_unprocessed` (Pygments 2.21), each state's rules tried by their segments."""
    segments = _state_segments(self)
    pos = 0
    tokendefs = self._tokens
    statestack = list(stack)
    statetokens = tokendefs[statestack[-1]]
    while 1:
        for matcher, rule in segments[id(statetokens)]:
            m = matcher(text, pos)
            if m:
                if type(rule) is dict:
                    group = m.lastindex
                    _, action, new_state = statetokens[rule[group]]
                    if type(action) is _TokenType:
                        yield pos, action, m.group(group)
                    elif action is not None:
                        # A callback reads the groups of its own rule's match.
                        yield from action(self, statetokens[rule[group]][0](text, pos))
                else:
                    _, action, new_state = statetokens[rule]
                    if action is not None:
                        if type(action) is _TokenType:
                            yield pos, action, m.group()
                        else:
                            yield from action(self, m)
                pos = m.end()
                if new_state is not None:
                    # state transition
                    if isinstance(new_state, tuple):
                        for state in new_state:
                            if state == "#pop":
                                if len(statestack) > 1:
                                    statestack.pop()
                            elif state == "#push":
                                statestack.append(statestack[-1])
                            else:
                                statestack.append(state)
                    elif isinstance(new_state, int):
                        # pop, but keep at least one state on the stack
                        if abs(new_state) >= len(statestack):
                            del statestack[1:]
                        else:
                            del statestack[new_state:]
                    elif new_state == "#push":
                        statestack.append(statestack[-1])
                    else:
                        raise AssertionError(f"wrong state def: {new_state!r}")
                    statetokens = tokendefs[statestack[-1]]
                break
        else:
            # No rule of the state matches here.
            try:
                if text[pos] == "\n":
                    # at EOL, reset state to "root"
                    statestack = ["root"]
                    statetokens = tokendefs["root"]
                    yield pos, Whitespace, "\n"
                    pos += 1
                    continue
                yield pos, Error, text[pos]
                pos += 1
            except IndexError:
                break
