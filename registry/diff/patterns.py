"""Inclusion, equivalence and samples of JSON Schema ``pattern``s, decided on automata.

A ``pattern`` is an ECMA-262 regular expression (``u`` flag) that a string satisfies when it
matches *anywhere* in it: ``^[0-9]{2}:`` accepts every string that begins with two digits and
a colon. Each pattern becomes a minimal DFA over character classes (``registry.diff.regex``);
inclusion L(a) ⊆ L(b) is the emptiness of L(a) ∩ ¬L(b), found by a breadth-first search of the
product that also yields a shortest counterexample.

The languages are those the project's validator accepts — jsonschema-rs on the regex crate
(``registry/syntax/validators.py``; measured, see docs/diff.md "Patterns"): ``\\d`` is [0-9],
``\\w`` [A-Za-z0-9_], ``\\s`` ECMA-262's white space and line terminators, ``.``
every character but U+000A, ``^``/``$`` the ends of the string only, ``\\b``/``\\B`` with
Unicode word characters, lengths and characters counted in code points
(an astral character is one ``.``).

Answers are ``True``/``False`` when proven and ``None`` when unknown: the pattern is not valid
ECMA-262 (regress rejects it) or not accepted by jsonschema-rs (``[]``, ``\\0``); it uses a
construct that is not a regular language or that we do not hold exactly (look-arounds,
back-references, modifiers, ``\\p{…}`` without a table — the validator runs look-arounds and
back-references on fancy-regex, see ``registry/syntax/validators.py``); or an automaton would
pass ``max_states``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field

from registry.diff.regex.dfa import Dfa, determinize, literal_set
from registry.diff.regex.nfa import DOT, TooLarge, searched
from registry.diff.regex.search import Part, find
from registry.syntax import regexes, unicode_tables

MAX_STATES = 5_000
"""Default bound on the states of one pattern's DFA (and, ×20, of a product searched)."""

_PRODUCT_FACTOR = 20


@dataclass(frozen=True)
class Automaton:
    """The minimal DFA of the strings a ``pattern`` accepts (searched, as JSON Schema does)."""

    source: str
    dfa: Dfa

    @property
    def states(self) -> int:
        return self.dfa.size

    def matches(self, text: str) -> bool:
        """Whether the pattern accepts ``text`` (as jsonschema-rs would)."""
        return self.dfa.accepts(text)

    def is_empty(self) -> bool:
        """True when no string satisfies the pattern (``a^b``, ``[]``)."""
        return 0 not in self.dfa.reaching(True)


def compile_pattern(source: str, *, max_states: int = MAX_STATES) -> Automaton | None:
    """The automaton of ``source``, or None when unsupported, invalid, or past ``max_states``."""
    return _compile(source, max_states)


def clear_cache() -> None:
    """Forget compiled automata (benchmarks measure compilation from scratch)."""
    _compile.cache_clear()


@functools.lru_cache(maxsize=1024)
def _compile(source: str, max_states: int) -> Automaton | None:
    if regexes.compile_error(source) is not None or not _regex_engine_runs(source):
        return None
    limit = max(8 * max_states, 1000)
    try:
        tree = regexes.parse_exact(source, dot=DOT, boundaries=True)
        word = None
        if _has_boundary(tree):
            word = unicode_tables.word_characters()
            if word is None:
                return None
        return Automaton(source, determinize(searched(tree, limit, word), max_states))
    except (regexes.PatternSyntaxError, TooLarge, RecursionError):
        return None


def _has_boundary(node: regexes.Node) -> bool:
    return node.kind in ("boundary", "nonboundary") or any(_has_boundary(c) for c in node.children)


def _regex_engine_runs(source: str) -> bool:
    """Whether the project's validator runs ``source`` on the regex crate (registry/syntax/
    validators.py). It refuses some valid ECMA-262 (``[]``, ``[^]``, ``\\0``, ``[\\b]``: a schema
    holding one never validates anything) and look-arounds and back-references, which only
    fancy-regex runs — with its ``X+ M? X+`` rewrite; we hold neither exactly anyway."""
    from registry.syntax import validators  # imports jsonschema-rs only when a pattern is compiled

    return validators.regex_crate_accepts(source)


def _search(parts: list[Part], *, min_length: int = 0, max_length: int | None = None,
            max_states: int = MAX_STATES, prefer: str | None = None) -> tuple[bool, str | None]:
    """(decided, shortest string) — decided is False when the product passed its bound."""
    try:
        return True, find(parts, min_length=min_length, max_length=max_length,
                          max_states=max_states * _PRODUCT_FACTOR, prefer=prefer)
    except TooLarge:
        return False, None


def counterexample(a: str, b: str, *, max_states: int = MAX_STATES) -> str | None:
    """A shortest string ``a`` accepts and ``b`` rejects; None if there is none or unknown."""
    return _difference(a, b, max_states)[1]


def _difference(a: str, b: str, max_states: int) -> tuple[bool, str | None]:
    left, right = _compile(a, max_states), _compile(b, max_states)
    if left is None or right is None:
        return False, None
    return _search([Part(left.dfa, True), Part(right.dfa, False)], max_states=max_states)


def pattern_included(a: str, b: str, *, max_states: int = MAX_STATES) -> bool | None:
    """True if every string ``a`` accepts is accepted by ``b``; False if not; None: unknown."""
    if a == b:
        return True  # whatever the pattern means, even where we cannot represent it
    decided, witness = _difference(a, b, max_states)
    if not decided:
        return None
    return witness is None


def pattern_equivalent(a: str, b: str, *, max_states: int = MAX_STATES) -> bool | None:
    """True if ``a`` and ``b`` accept the same strings; False if not; None: unknown."""
    forward = pattern_included(a, b, max_states=max_states)
    if forward is False:
        return False
    backward = pattern_included(b, a, max_states=max_states)
    if backward is False:
        return False
    return True if forward and backward else None


def sample(a: str, *, min_length: int = 0, max_length: int | None = None,
           prefer: str | None = None, max_states: int = MAX_STATES) -> str | None:
    """A realistic string ``a`` accepts, of ``min_length``..``max_length`` code points.

    ``prefer`` is text to borrow characters from first (an example value, "山田太郎"); when it
    is itself accepted and within the bounds it is the answer. Otherwise digits, Latin letters,
    kana and kanji are preferred: ``^\\d{3}-\\d{4}$`` gives "123-4567". None when no string
    fits or the pattern is unsupported.
    """
    return StringSet(min_length, max_length, (a,)).witness(prefer=prefer, max_states=max_states)


@dataclass(frozen=True)
class StringSet:
    """Strings of ``min_length``..``max_length`` code points that every pattern of ``patterns``
    accepts, no pattern of ``not_patterns`` accepts, and (when ``enum`` is not None) are in
    ``enum`` — the string part of a schema (``minLength``, ``maxLength``, ``pattern``s from
    ``allOf``, ``not: {pattern}``, ``enum``/``const``).
    """

    min_length: int = 0
    max_length: int | None = None
    patterns: tuple[str, ...] = ()
    not_patterns: tuple[str, ...] = ()
    enum: frozenset[str] | None = None
    max_states: int = field(default=MAX_STATES, compare=False)

    def _parts(self, extra: Iterable[Part] = ()) -> tuple[list[Part], bool]:
        """The automata of the conjuncts, and whether some were left out (unsupported).

        Leaving a conjunct out only adds strings: "no string" stays a proof, a string found
        does not.
        """
        parts = []
        partial = False
        for source, want in [*((p, True) for p in self.patterns),
                             *((p, False) for p in self.not_patterns)]:
            automaton = _compile(source, self.max_states)
            if automaton is None:
                partial = True
                continue
            parts.append(Part(automaton.dfa, want))
        if self.enum is not None:
            parts.append(Part(literal_set(self.enum), True))
        return [*parts, *extra], partial

    def _find(self, extra: Iterable[Part] = (), *, min_length: int | None = None,
              max_length: int | None = None, prefer: str | None = None,
              max_states: int | None = None) -> tuple[bool, str | None]:
        """(decided, a shortest member of self ∩ extra within the length bounds)."""
        parts, partial = self._parts(extra)
        low = self.min_length if min_length is None else max(min_length, self.min_length)
        high = self.max_length
        if max_length is not None:
            high = max_length if high is None else min(high, max_length)
        decided, member = _search(parts, min_length=low, max_length=high, prefer=prefer,
                                  max_states=max_states or self.max_states)
        if partial and member is not None:
            return False, None  # a member of the over-approximation only
        return decided, member

    def witness(self, *, prefer: str | None = None, max_states: int | None = None) -> str | None:
        """A realistic member (see ``sample``); None when empty or unknown."""
        if prefer is not None and self.contains(prefer) is True:
            return prefer
        return self._find(prefer=prefer, max_states=max_states)[1]

    def contains(self, text: str) -> bool | None:
        """Whether ``text`` is a member; None when only an unsupported pattern could tell."""
        if not self.min_length <= len(text) <= (self.max_length if self.max_length is not None
                                                 else len(text)):
            return False
        if self.enum is not None and text not in self.enum:
            return False
        parts, partial = self._parts()
        if not all(p.dfa.accepts(text) == p.want for p in parts):
            return False
        return None if partial else True

    def is_empty(self) -> bool | None:
        """True when no string is a member; None when unknown."""
        decided, member = self._find()
        if not decided:
            return None
        return member is None

    def intersection(self, other: StringSet) -> StringSet:
        """The strings in both sets (``allOf`` of two string schemas)."""
        if self.max_length is None or other.max_length is None:
            high = self.max_length if other.max_length is None else other.max_length
        else:
            high = min(self.max_length, other.max_length)
        if self.enum is None or other.enum is None:
            enum = self.enum if other.enum is None else other.enum
        else:
            enum = self.enum & other.enum
        return StringSet(max(self.min_length, other.min_length), high,
                         tuple(dict.fromkeys(self.patterns + other.patterns)),
                         tuple(dict.fromkeys(self.not_patterns + other.not_patterns)), enum,
                         min(self.max_states, other.max_states))

    def witness_not_in(self, other: StringSet, *, prefer: str | None = None) -> str | None:
        """A shortest member of this set that ``other`` lacks; None if included or unknown.

        ``prefer``: text to spell it with first (see ``sample``); returned as is when it is a
        member of this set and not of ``other``.
        """
        if prefer is not None and self.contains(prefer) and other.contains(prefer) is False:
            return prefer
        return self._outside(other, prefer)[1]

    def included_in(self, other: StringSet) -> bool | None:
        """True if every member is a member of ``other``; False if not; None: unknown."""
        decided, member = self._outside(other)
        if member is not None:
            return False
        return True if decided else None

    def _outside(self, other: StringSet, prefer: str | None = None) -> tuple[bool, str | None]:
        """Search self ∩ ¬other, one disjunct of ¬other at a time: (all decided, a witness)."""
        decided = True
        best: str | None = None
        candidates: list[tuple[bool, str | None]] = []
        if other.min_length > self.min_length:
            candidates.append(self._find(max_length=other.min_length - 1, prefer=prefer))
        if other.max_length is not None and (self.max_length is None
                                             or self.max_length > other.max_length):
            candidates.append(self._find(min_length=other.max_length + 1, prefer=prefer))
        for source, want in [*((p, False) for p in other.patterns),
                             *((p, True) for p in other.not_patterns)]:
            if source in (self.patterns if not want else self.not_patterns):
                continue  # the same conjunct on both sides: nothing of self is outside it
            automaton = _compile(source, other.max_states)
            if automaton is None:
                candidates.append((False, None))
                continue
            candidates.append(self._find([Part(automaton.dfa, want)], prefer=prefer))
        if other.enum is not None:
            candidates.append(self._find([Part(literal_set(other.enum), False)], prefer=prefer))
        for ok, member in candidates:
            decided = decided and ok
            if member is not None and (best is None or (len(member), member) < (len(best), best)):
                best = member
        return decided, best
