"""Pygments' regular-expression lexers, each state's rules tried by one expression: the same tokens.

A `RegexLexer` tries the rules of its current state one by one at each position, from Python, until
one matches: about seventeen `match` calls a token for a shell block, most of highlighting's time.
Here consecutive rules of a state are joined into one alternation, each rule a group of its own;
at a given position an alternation tries its alternatives in order and takes the first that
matches, as the loop did, and the group that matched names the rule, whose own expression is then
matched again for the match object its action reads. A rule whose expression could not sit in an
alternation unchanged (back-references, named groups, conditionals, flags set for the whole
expression) is tried alone, in its place.
"""

from __future__ import annotations

import re
import types

from pygments.lexer import RegexLexer
from pygments.token import Error, Whitespace, _TokenType

# What an expression may not hold to be one alternative among others: group numbers and names
# change there, and flags for the whole expression are refused (a literal backslash before a digit
# or a `g` is caught too, and only costs that rule its place in an alternation).
ALONE = re.compile(r"\\[1-9g]|\(\?P[<=]|\(\?<[A-Za-z_]|\(\?\(|^\(\?[aiLmsux]+\)")


def _segments(rules: list) -> list[tuple[re.Pattern | None, list]]:
    """The state's rules in order, runs of them joined: (alternation, [rules by group]) or (None, [rule])."""
    segments: list[tuple[re.Pattern | None, list]] = []
    run: list = []

    def close() -> None:
        if len(run) == 1:
            segments.append((None, list(run)))
        elif run:
            alternation = "|".join(f"({rule[0].__self__.pattern})" for rule in run)
            compiled = re.compile(alternation, run[0][0].__self__.flags)
            by_group: list = [None] * (compiled.groups + 1)
            group = 1
            for rule in run:
                by_group[group] = rule
                group += rule[0].__self__.groups + 1
            segments.append((compiled, by_group))
        run.clear()

    for rule in rules:
        pattern = getattr(rule[0], "__self__", None)
        joinable = (
            isinstance(pattern, re.Pattern)
            and getattr(rule[0], "__name__", "") == "match"
            and isinstance(pattern.pattern, str)
            and not ALONE.search(pattern.pattern)
            and not pattern.flags & re.VERBOSE  # a comment would swallow the group's end
        )
        if joinable and run and run[0][0].__self__.flags != pattern.flags:
            close()
        if joinable:
            run.append(rule)
        else:
            close()
            segments.append((None, [rule]))
    close()
    return segments


_by_class: dict[type, dict[str, list]] = {}


def _states(lexer: RegexLexer) -> dict[str, list]:
    cls = type(lexer)
    if cls not in _by_class:
        _by_class[cls] = {state: _segments(rules) for state, rules in lexer._tokens.items()}
    return _by_class[cls]


def joined(lexer):
    """`lexer`, its states' rules joined when it is a plain `RegexLexer` (one that keeps its engine)."""
    if isinstance(lexer, RegexLexer) and type(lexer).get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed:
        lexer.get_tokens_unprocessed = types.MethodType(_get_tokens_unprocessed, lexer)
    return lexer


def _get_tokens_unprocessed(self, text, stack=("root",)):
    """`RegexLexer.get_tokens_unprocessed` (Pygments 2.21), the rules tried through `_segments`."""
    pos = 0
    states = _states(self)
    statestack = list(stack)
    segments = states[statestack[-1]]
    while 1:
        for alternation, rules in segments:
            if alternation is None:
                rexmatch, action, new_state = rules[0]
                m = rexmatch(text, pos)
                if not m:
                    continue
            else:
                found = alternation.match(text, pos)
                if found is None:
                    continue
                rexmatch, action, new_state = rules[found.lastindex]
                m = rexmatch(text, pos)
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
                segments = states[statestack[-1]]
            break
        else:
            # no rule matched here
            try:
                if text[pos] == "\n":
                    # at EOL, reset state to "root"
                    statestack = ["root"]
                    segments = states["root"]
                    yield pos, Whitespace, "\n"
                    pos += 1
                    continue
                yield pos, Error, text[pos]
                pos += 1
            except IndexError:
                break
