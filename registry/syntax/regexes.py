"""ECMA-262 patterns: compilation with ``regress`` and a catastrophic-backtracking detector.

JSON Schema's ``pattern`` is an ECMA-262 regular expression with the ``u`` flag, searched (not
full-matched) in the string; browsers compile an HTML ``pattern`` attribute with the ``v`` flag.
``compile_error`` answers with regress, the ECMA-262 engine — never Python's ``re``.

The detector (``find_backtracking``) works on our own parse of the pattern:

1. The pattern is parsed into a tree (alternation, sequence, groups, quantifiers, character
   classes, anchors, look-arounds, back-references).
2. From the tree we build a Glushkov (position) automaton *with multiplicities*: every character
   atom is a state; an edge ``p → q`` counts the distinct ways a backtracking matcher can go from
   ``p`` to ``q``. ``(a+)+`` has one state ``a`` with a self-loop of multiplicity 2 (the inner and
   the outer loop), which is exactly the choice a backtracking engine explores twice per
   character. ECMA-262's empty-iteration check is modelled: an iteration of ``*``/``+``/``{n,m}``
   never matches the empty string, so ``(a?)*`` is linear, as it is in a browser.
3. **Exponential** (error): the automaton has exponential degree of ambiguity — in the product
   automaton (pairs of states reading the same character), a strongly connected component holds
   a diagonal pair ``(p, p)`` and either an off-diagonal pair or two distinct parallel edges.
   This finds nested quantifiers (``(a+)+``, ``(a*)*``, ``(\\d+\\d*)+``), quantified
   alternatives that overlap (``(a|a)*``, ``(\\w|\\d)+``, ``(a|ab)*``-style splits), and adjacent
   overlapping quantified atoms under a further quantifier (``(\\d+\\d+)+``,
   ``^(\\w+\\s?)+$``).
4. **Polynomial** (reported separately): infinite degree of ambiguity — states ``p ≠ q`` with
   ``p → p``, ``p → q`` and ``q → q`` all reading one word (``\\d+\\d+x``, and, because a pattern
   is *searched*, an unanchored ``\\s+$``).
5. A loop only hurts when the match can be made to fail after it. If a state the matcher can
   reach while reading the pumped text can end the match (nothing mandatory follows, e.g.
   unanchored ``(a+)+``), it succeeds at once and the loop is not reported. Otherwise an attack
   input is built — a prefix reaching the loop, a "pump" read around the loop two ways, and a
   final character — and kept only if a linear set simulation of the automaton *rejects* it;
   ``Backtracking.example(n)`` returns it (tests check it really is slow in regress, an
   ECMA-262 backtracking engine).

What it does **not** detect or model: the order in which a backtracking matcher tries
alternatives — a pattern that can also succeed by a lower-priority path (``^((\\w*)*x)?``
without ``$``) is taken as harmless, though a browser explores the slow path first; engine
short-cuts (a required literal checked up front) that make some reported inputs fast in one
engine; back-references and look-arounds are treated as matching
the empty string in the enclosing pattern (a back-reference can add ambiguity we do not see),
but each look-ahead's body is also analysed on its own — anchored when only ``^`` precedes it —
since a backtracking engine matches it wherever the look-ahead is tried (``^(?=(a+)+$)``);
look-behinds are not analysed; ``^`` is honoured only at
the start of every alternative, ``\\b``/``\\B`` never; counted repetitions above
``_EXPAND_LIMIT`` are treated as unbounded (``x{1,100}`` as ``x+``), which can over-report a
nest of bounded counts; ``\\p{…}`` classes other than Hiragana, Katakana and Han are treated as
any character, which can over-report an overlap; case-insensitive and multiline flags do not
exist in JSON Schema and are not modelled. Patterns larger than ``_MAX_POSITIONS`` character
atoms, or whose product automaton exceeds ``_PAIR_BUDGET`` edges (forty optional atoms under one
quantifier), are not analysed (``None``) rather than risk slow analysis.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import regress

MAX_CODE_POINT = 0x10FFFF
# Sentinel "characters" that only the anchors can read: below every real code point.
_END = -1

Interval = tuple[int, int]


class CharSet:
    """A set of code points as sorted, disjoint, inclusive intervals."""

    __slots__ = ("intervals",)

    def __init__(self, intervals: list[Interval] | None = None) -> None:
        merged: list[Interval] = []
        for lo, hi in sorted(intervals or []):
            if merged and lo <= merged[-1][1] + 1:
                if hi > merged[-1][1]:
                    merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        self.intervals = merged

    @classmethod
    def of(cls, *chars: str) -> CharSet:
        """The set of the given characters."""
        return cls([(ord(c), ord(c)) for c in chars])

    def union(self, other: CharSet) -> CharSet:
        """Set union."""
        return CharSet(self.intervals + other.intervals)

    def intersection(self, other: CharSet) -> CharSet:
        """Set intersection."""
        out: list[Interval] = []
        a, b = self.intervals, other.intervals
        i = j = 0
        while i < len(a) and j < len(b):
            lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
            if lo <= hi:
                out.append((lo, hi))
            if a[i][1] < b[j][1]:
                i += 1
            else:
                j += 1
        return CharSet(out)

    def complement(self) -> CharSet:
        """All real code points not in this set (anchors' sentinels are never included)."""
        out: list[Interval] = []
        start = 0
        for lo, hi in self.intervals:
            if hi < 0:
                continue
            lo = max(lo, 0)
            if lo > start:
                out.append((start, lo - 1))
            start = hi + 1
        if start <= MAX_CODE_POINT:
            out.append((start, MAX_CODE_POINT))
        return CharSet(out)

    def intersects(self, other: CharSet) -> bool:
        """True when the two sets share a code point."""
        a, b = self.intervals, other.intervals
        i = j = 0
        while i < len(a) and j < len(b):
            if a[i][1] < b[j][0]:
                i += 1
            elif b[j][1] < a[i][0]:
                j += 1
            else:
                return True
        return False

    def __repr__(self) -> str:
        return f"CharSet({self.intervals!r})"


DIGIT = CharSet([(0x30, 0x39)])
WORD = CharSet([(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
# ECMA-262 WhiteSpace and LineTerminator.
SPACE = CharSet([(0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A),
                 (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
                 (0xFEFF, 0xFEFF)])
LINE_TERMINATORS = CharSet([(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)])
DOT = LINE_TERMINATORS.complement()
ANY = CharSet([(0, MAX_CODE_POINT)])
END_OF_INPUT = CharSet([(_END, _END)])
_HIRAGANA = CharSet([(0x3041, 0x3096), (0x309D, 0x309F), (0x1B001, 0x1B11F)])
_KATAKANA = CharSet([(0x30A1, 0x30FA), (0x30FD, 0x30FF), (0x31F0, 0x31FF), (0x32D0, 0x32FE),
                     (0x3300, 0x3357), (0xFF66, 0xFF6F), (0xFF71, 0xFF9D)])
_HAN = CharSet([(0x2E80, 0x2FDF), (0x3005, 0x3005), (0x3007, 0x3007), (0x3021, 0x3029),
                (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF)])
# Marks whose Script is Common but whose Script_Extensions include kana (ー, ・, ゛, ゜, ゠).
_KANA_COMMON = CharSet([(0x309B, 0x309C), (0x30A0, 0x30A0), (0x30FB, 0x30FC), (0xFF70, 0xFF70),
                        (0xFF9E, 0xFF9F)])
_SCRIPTS = {"hiragana": _HIRAGANA, "hira": _HIRAGANA, "katakana": _KATAKANA, "kana": _KATAKANA,
            "han": _HAN, "hani": _HAN}


def compile_error(pattern: str, flags: str = "u") -> str | None:
    """None when ``pattern`` compiles under ECMA-262 with ``flags``; else regress's message."""
    try:
        regress.Regex(pattern, flags)
    except regress.RegressError as exc:
        return str(exc) or "invalid pattern"
    except Exception as exc:  # e.g. a lone surrogate that the binding cannot pass to Rust
        return f"{exc.__class__.__name__}: {exc}"
    return None


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> Any:
    return regress.Regex(pattern, "u")


def search(pattern: str, text: str) -> bool:
    """True when the ECMA-262 ``pattern`` (``u`` flag) matches somewhere in ``text``."""
    return _compiled(pattern).find(text) is not None


# --- the parse tree ------------------------------------------------------------------------


@dataclass
class Node:
    """A node of the pattern's parse tree."""

    # "boundary"/"nonboundary" (\b, \B) only in trees from ``parse_exact``.
    kind: Literal["chars", "seq", "alt", "repeat", "empty", "start", "end", "boundary",
                  "nonboundary"]
    chars: CharSet | None = None
    children: list[Node] = field(default_factory=list)
    min: int = 0
    max: int | None = None  # None: unbounded
    lazy: bool = False  # a lazy quantifier (same language; engines may rewrite it differently)
    text: str = ""  # the pattern text of a quantified atom (kept on the quantifier's child)


class PatternSyntaxError(ValueError):
    """Our parser could not read a pattern (regress is the authority; this is a safeguard)."""


_CONTROL_ESCAPES = {"t": 9, "n": 10, "v": 11, "f": 12, "r": 13, "0": 0}


class _Parser:
    def __init__(self, pattern: str, dot: CharSet = DOT, boundaries: bool = False) -> None:
        self.p = pattern
        self.i = 0
        self.dot = dot
        self.boundaries = boundaries  # \b, \B as nodes of their own (else: matching nothing)
        # What the tree only approximates (look-arounds, back-references, ...): see parse_exact.
        self.inexact: list[str] = []
        # Look-ahead bodies (and whether only ``^`` precedes them): each is matched on its own.
        self.lookaheads: list[tuple[Node, bool]] = []
        self._at_start = True

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.p[j] if j < len(self.p) else ""

    def parse(self) -> Node:
        node = self.alternation()
        if self.i != len(self.p):
            raise PatternSyntaxError(f"unexpected {self.peek()!r} at {self.i}")
        return node

    def alternation(self) -> Node:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else Node("alt", children=branches)

    def sequence(self) -> Node:
        items: list[Node] = []
        while self.peek() not in ("", "|", ")"):
            start = self.i
            self._at_start = all(n.kind == "start" for n in items)
            atom = self.atom()
            atom.text = self.p[start:self.i]
            items.append(self.quantified(atom))
        if not items:
            return Node("empty")
        return items[0] if len(items) == 1 else Node("seq", children=items)

    def quantified(self, atom: Node) -> Node:
        c = self.peek()
        lo: int
        hi: int | None
        if c == "*":
            lo, hi = 0, None
            self.i += 1
        elif c == "+":
            lo, hi = 1, None
            self.i += 1
        elif c == "?":
            lo, hi = 0, 1
            self.i += 1
        elif c == "{" and (bounds := self.braces()) is not None:
            lo, hi = bounds
        else:
            return atom
        lazy = self.peek() == "?"
        if lazy:
            self.i += 1  # lazy: the same choices, explored in another order
        return Node("repeat", children=[atom], min=lo, max=hi, lazy=lazy)

    def braces(self) -> tuple[int, int | None] | None:
        j = self.p.find("}", self.i)
        if j < 0:
            return None
        body = self.p[self.i + 1: j]
        lo_text, comma, hi_text = body.partition(",")
        if not lo_text.isdigit() or (hi_text and not hi_text.isdigit()):
            return None
        self.i = j + 1
        lo = int(lo_text)
        return lo, (int(hi_text) if hi_text else None) if comma else lo

    def atom(self) -> Node:
        c = self.peek()
        self.i += 1
        if c == "(":
            lookaround = lookahead = False
            at_start = self._at_start
            if self.p.startswith("?:", self.i):
                self.i += 2
            elif self.p.startswith(("?=", "?!"), self.i):
                self.i += 2
                lookaround = lookahead = True
            elif self.p.startswith(("?<=", "?<!"), self.i):
                self.i += 3
                lookaround = True
            elif self.p.startswith("?<", self.i):
                self.i = self.p.index(">", self.i) + 1
            elif self.peek() == "?":
                self.inexact.append("modifiers")
                self.i = self.p.index(":", self.i) + 1
            if lookaround:
                self.inexact.append("lookaround")
            inner = self.alternation()
            if self.peek() != ")":
                raise PatternSyntaxError("unbalanced parenthesis")
            self.i += 1
            if lookahead:
                self.lookaheads.append((inner, at_start))
            return Node("empty") if lookaround else inner
        if c == ".":
            return Node("chars", chars=self.dot)
        if c == "^":
            return Node("start")
        if c == "$":
            return Node("end", chars=END_OF_INPUT)
        if c == "[":
            return Node("chars", chars=self.char_class())
        if c == "\\":
            return self.escape_atom()
        return Node("chars", chars=CharSet.of(c))

    def escape_atom(self) -> Node:
        c = self.peek()
        if c in ("b", "B"):
            self.i += 1
            if self.boundaries:
                return Node("boundary" if c == "b" else "nonboundary")
            self.inexact.append("word boundary")
            return Node("empty")
        if c.isdigit() and c != "0":
            while self.peek().isdigit():
                self.i += 1
            self.inexact.append("back-reference")
            return Node("empty")  # back-reference: not modelled
        if c == "k" and self.peek(1) == "<":
            self.i = self.p.index(">", self.i) + 1
            self.inexact.append("back-reference")
            return Node("empty")
        return Node("chars", chars=self.escape_set())

    def escape_set(self) -> CharSet:
        """The set of one escape after the backslash (class escapes, code points, identities)."""
        c = self.peek()
        self.i += 1
        simple = {"d": DIGIT, "w": WORD, "s": SPACE}
        if c in simple:
            return simple[c]
        if c.lower() in simple:
            return simple[c.lower()].complement()
        if c in ("p", "P"):
            j = self.p.index("}", self.i)
            name = self.p[self.i + 1: j]
            self.i = j + 1
            prop, _, value = name.partition("=")
            exact = unicode_property(name)
            if exact is not None:
                return exact.complement() if c == "P" else exact
            self.inexact.append(f"\\{c}{{{name}}}")
            chars = _SCRIPTS.get((value or prop).lower(), ANY)
            if prop.lower() in ("scx", "script_extensions") and chars is not ANY:
                chars = chars.union(_KANA_COMMON)
            return chars.complement() if c == "P" and chars is not ANY else chars
        if c in _CONTROL_ESCAPES:
            return CharSet([(_CONTROL_ESCAPES[c],) * 2])
        if c == "c":
            letter = self.peek()
            self.i += 1
            return CharSet([(ord(letter) % 32,) * 2])
        if c == "x":
            code = int(self.p[self.i: self.i + 2], 16)
            self.i += 2
            return CharSet([(code, code)])
        if c == "u":
            if self.peek() == "{":
                j = self.p.index("}", self.i)
                code = int(self.p[self.i + 1: j], 16)
                self.i = j + 1
            else:
                code = int(self.p[self.i: self.i + 4], 16)
                self.i += 4
                if 0xD800 <= code <= 0xDFFF:
                    self.inexact.append("surrogate escape")
            return CharSet([(code, code)])
        return CharSet.of(c)

    def class_atom(self) -> tuple[CharSet, int | None]:
        """One class member: its set, and its code point when it can bound a range."""
        c = self.peek()
        if c == "\\":
            self.i += 1
            if self.peek() == "b":
                self.i += 1
                return CharSet([(8, 8)]), 8
            if self.peek() == "-":
                self.i += 1
                return CharSet.of("-"), ord("-")
            chars = self.escape_set()
            single = chars.intervals[0][0] if (len(chars.intervals) == 1 and chars.intervals[0][0]
                                               == chars.intervals[0][1]) else None
            return chars, single
        self.i += 1
        return CharSet.of(c), ord(c)

    def char_class(self) -> CharSet:
        negate = self.peek() == "^"
        if negate:
            self.i += 1
        result = CharSet()
        while self.peek() != "]":
            if self.peek() == "":
                raise PatternSyntaxError("unterminated character class")
            first, lo = self.class_atom()
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                second, hi = self.class_atom()
                if lo is not None and hi is not None:
                    result = result.union(CharSet([(lo, hi)]))
                    continue
                result = result.union(first).union(second).union(CharSet.of("-"))
                continue
            result = result.union(first)
        self.i += 1
        return result.complement() if negate else result


def parse(pattern: str) -> Node:
    """Parse an ECMA-262 pattern (one that regress accepts) into a tree."""
    try:
        return _Parser(pattern).parse()
    except (ValueError, IndexError) as exc:
        raise PatternSyntaxError(str(exc)) from None


class Inexact(PatternSyntaxError):
    """The pattern uses a construct the tree cannot represent exactly (``parse_exact``)."""


def parse_exact(pattern: str, dot: CharSet = DOT, boundaries: bool = False) -> Node:
    """Parse ``pattern`` into a tree whose language is exactly the pattern's, or raise.

    ``dot`` is the set ``.`` stands for (engines differ on the line terminators it excludes);
    with ``boundaries``, ``\\b``/``\\B`` become ``boundary``/``nonboundary`` nodes (the caller
    decides what a word character is), else they are inexact.
    Raises ``Inexact`` for look-arounds, back-references, ``\\b``/``\\B``, modifiers
    (``(?i:…)``), surrogate ``\\u`` escapes and ``\\p{…}`` properties without an exact table
    (see ``unicode_property``); ``PatternSyntaxError`` for what the reader cannot parse.
    """
    parser = _Parser(pattern, dot, boundaries)
    try:
        tree = parser.parse()
    except (ValueError, IndexError) as exc:
        raise PatternSyntaxError(str(exc)) from None
    if parser.inexact:
        raise Inexact(", ".join(dict.fromkeys(parser.inexact)))
    return tree


def unicode_property(name: str) -> CharSet | None:
    """The exact set of a ``\\p{name}`` property, or None when we hold no exact table for it."""
    from registry.syntax import unicode_tables  # large tables: loaded only when a \p is read

    return unicode_tables.lookup(name)


# --- facts about a tree ----------------------------------------------------------------------


def _anchored(node: Node, kind: Literal["start", "end"]) -> bool:
    """True when every way through ``node`` begins (ends) with the anchor ``kind``."""
    if node.kind == kind:
        return True
    if node.kind == "alt":
        return all(_anchored(c, kind) for c in node.children)
    if node.kind == "seq":
        ordered = node.children if kind == "start" else list(reversed(node.children))
        for child in ordered:
            if _anchored(child, kind):
                return True
            if not _matches_only_empty(child):
                return False
        return False
    return False


def _matches_only_empty(node: Node) -> bool:
    if node.kind in ("empty", "start", "end"):
        return True
    if node.kind in ("seq", "alt"):
        return all(_matches_only_empty(c) for c in node.children)
    if node.kind == "repeat":
        return node.max == 0 or _matches_only_empty(node.children[0])
    return False


def _max_length(node: Node) -> int | None:
    if node.kind == "chars":
        return 1
    if node.kind in ("empty", "start", "end"):
        return 0
    if node.kind == "seq":
        total = 0
        for child in node.children:
            n = _max_length(child)
            if n is None:
                return None
            total += n
        return total
    if node.kind == "alt":
        lengths = [_max_length(c) for c in node.children]
        return None if any(n is None for n in lengths) else max(n for n in lengths if n is not None)
    inner = _max_length(node.children[0])
    if inner == 0:
        return 0
    if inner is None or node.max is None:
        return None
    return inner * node.max


def _min_length(node: Node) -> int:
    if node.kind == "chars":
        return 1
    if node.kind in ("empty", "start", "end"):
        return 0
    if node.kind == "seq":
        return sum(_min_length(c) for c in node.children)
    if node.kind == "alt":
        return min(_min_length(c) for c in node.children)
    return _min_length(node.children[0]) * node.min


def min_match_length(pattern: str) -> int:
    """The shortest string a pattern can match (0 when it cannot be parsed)."""
    try:
        return _min_length(parse(pattern))
    except PatternSyntaxError:
        return 0


def max_match_length(pattern: str) -> int | None:
    """The longest string a pattern can accept, if it is anchored at both ends; else None.

    A searched pattern without ``^`` and ``$`` accepts any surrounding text, so it bounds nothing.
    """
    try:
        tree = parse(pattern)
    except PatternSyntaxError:
        return None
    if not (_anchored(tree, "start") and _anchored(tree, "end")):
        return None
    return _max_length(tree)


def is_anchored(pattern: str) -> tuple[bool, bool]:
    """(anchored at the start, anchored at the end) for every alternative of ``pattern``."""
    tree = parse(pattern)
    return _anchored(tree, "start"), _anchored(tree, "end")


# --- the automaton ---------------------------------------------------------------------------

_EXPAND_LIMIT = 12
_MAX_POSITIONS = 400
_PAIR_BUDGET = 400_000  # edges of the product automaton; beyond it we say nothing
_CAP = 2  # multiplicities only matter as "one" or "more than one"


@dataclass
class _Frag:
    first: Counter[int]
    last: Counter[int]
    empty: int


_Thunk = Callable[[], _Frag]


def _cap(counter: Counter[int]) -> Counter[int]:
    return Counter({k: min(v, _CAP) for k, v in counter.items() if v})


class _TooLarge(Exception):
    pass


class _Automaton:
    """Glushkov automaton with edge multiplicities; state 0 is the start."""

    def __init__(self) -> None:
        self.sets: list[CharSet] = [CharSet()]
        self.edges: Counter[tuple[int, int]] = Counter()

    def new_position(self, chars: CharSet) -> int:
        if len(self.sets) > _MAX_POSITIONS:
            raise _TooLarge
        self.sets.append(chars)
        return len(self.sets) - 1

    def link(self, last: Counter[int], first: Counter[int], times: int = 1) -> None:
        for p, a in last.items():
            for q, b in first.items():
                self.edges[(p, q)] = min(self.edges[(p, q)] + a * b * times, _CAP)

    def build(self, node: Node) -> _Frag:
        if node.kind in ("chars", "end"):
            assert node.chars is not None
            pos = self.new_position(node.chars)
            return _Frag(Counter({pos: 1}), Counter({pos: 1}), 0)
        if node.kind in ("empty", "start"):
            return _Frag(Counter(), Counter(), 1)
        if node.kind == "seq":
            return self.sequence([functools.partial(self.build, c) for c in node.children])
        if node.kind == "alt":
            frags = [self.build(c) for c in node.children]
            return _Frag(_cap(sum((f.first for f in frags), Counter())),
                         _cap(sum((f.last for f in frags), Counter())),
                         min(sum(f.empty for f in frags), _CAP))
        return self.repeat(node)

    def sequence(self, parts: list[_Thunk]) -> _Frag:
        result = _Frag(Counter(), Counter(), 1)
        for make in parts:
            frag = make()
            self.link(result.last, frag.first)
            first = result.first.copy()
            for q, n in frag.first.items():
                first[q] += n * result.empty
            last = frag.last.copy()
            for p, n in result.last.items():
                last[p] += n * frag.empty
            result = _Frag(_cap(first), _cap(last), min(result.empty * frag.empty, _CAP))
        return result

    def iteration(self, body: Node) -> _Frag:
        """One iteration of a quantifier: ECMA-262 rejects an iteration that matches nothing."""
        frag = self.build(body)
        return _Frag(frag.first, frag.last, 0)

    def star(self, body: Node) -> _Frag:
        frag = self.iteration(body)
        self.link(frag.last, frag.first)
        return _Frag(frag.first, frag.last, 1)

    def optional(self, make: _Thunk) -> _Frag:
        frag = make()
        return _Frag(frag.first, frag.last, 1)

    def repeat(self, node: Node) -> _Frag:
        body = node.children[0]
        lo, hi = node.min, node.max
        if hi is not None and hi > _EXPAND_LIMIT:
            hi = None
        if lo > _EXPAND_LIMIT:
            lo = _EXPAND_LIMIT
        if hi == 0:
            return _Frag(Counter(), Counter(), 1)
        # ECMA-262 checks for empty iterations only once the minimum is reached: the required
        # copies may match the empty string, the optional ones may not.
        parts: list[_Thunk] = [lambda: self.build(body) for _ in range(lo)]
        if hi is None:
            parts.append(lambda: self.star(body))
        else:
            # x{2,4} = x x (x (x)?)? — nested optionals, which add no ambiguity of their own.
            def nested(k: int) -> _Frag:
                if k == 0:
                    return _Frag(Counter(), Counter(), 1)
                return self.optional(lambda: self.sequence([lambda: self.iteration(body),
                                                            lambda: nested(k - 1)]))
            if hi > lo:
                parts.append(lambda: nested(hi - lo))
        frag = self.sequence(parts)
        if lo == 0:
            frag.empty = 1
        return frag



@dataclass(frozen=True)
class Backtracking:
    """A finding of the detector: how bad, and a readable reason."""

    kind: Literal["exponential", "polynomial"]
    reason: str
    reason_ja: str
    # An input that shows it: prefix + pump * n + suffix (exponential findings, when one is found).
    attack: tuple[str, str, str] | None = None

    def example(self, repeat: int = 24) -> str | None:
        """A concrete slow input: the pumped part repeated ``repeat`` times, then a failing end."""
        if self.attack is None:
            return None
        prefix, pump, suffix = self.attack
        return prefix + pump * repeat + suffix


def _sccs(nodes: list[tuple[int, ...]], succ: dict[tuple[int, ...], list[tuple[int, ...]]]) -> list[list[tuple[int, ...]]]:
    """Tarjan's strongly connected components, iterative (patterns can be long)."""
    index: dict[tuple[int, ...], int] = {}
    low: dict[tuple[int, ...], int] = {}
    on_stack: set[tuple[int, ...]] = set()
    stack: list[tuple[int, ...]] = []
    result: list[list[tuple[int, ...]]] = []
    counter = itertools.count()
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(succ.get(root, ())))]
        index[root] = low[root] = next(counter)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = next(counter)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                result.append(component)
    return result


def _analyse(tree: Node) -> Backtracking | None:
    automaton = _Automaton()
    searched = not _anchored(tree, "start")
    search_state = automaton.new_position(ANY) if searched else None
    frag = automaton.build(tree)
    start_first = Counter(frag.first)
    if search_state is not None:
        automaton.edges[(search_state, search_state)] = 1
        automaton.link(Counter({search_state: 1}), frag.first)
        start_first[search_state] = 1
    automaton.link(Counter({0: 1}), start_first)
    accepting = set(frag.last)
    if frag.empty:
        accepting.add(0)
        if search_state is not None:
            accepting.add(search_state)
    sets = automaton.sets
    out: dict[int, list[tuple[int, int]]] = {}
    for (p, q), n in automaton.edges.items():
        out.setdefault(p, []).append((q, n))

    # Pairs of states reachable by reading the same characters (the product automaton).
    compatible = [{q for q in range(len(sets)) if sets[p].intersects(sets[q])} for p in range(len(sets))]
    pair_succ: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
    diverging: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    todo: list[tuple[int, ...]] = [(0, 0)]
    seen: set[tuple[int, ...]] = {(0, 0)}
    budget = _PAIR_BUDGET
    while todo:
        pair = todo.pop()
        p, q = pair
        targets: list[tuple[int, ...]] = []
        q_out = out.get(q, [])
        for p2, n in out.get(p, ()):
            ok = compatible[p2]
            for q2, _m in q_out:
                if q2 not in ok:
                    continue
                nxt = (p2, q2)
                targets.append(nxt)
                if p == q and p2 == q2 and n > 1:
                    diverging.add((pair, nxt))
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        budget -= len(targets)
        if budget < 0:
            raise _TooLarge
        pair_succ[pair] = targets
    for component in _sccs(list(seen), pair_succ):
        members = set(component)
        if any(p in accepting or q in accepting for p, q in component):
            continue
        has_diag = any(p == q for p, q in component)
        off_diag = any(p != q for p, q in component)
        split = any(a in members and b in members for a, b in diverging)
        if not (has_diag and (off_diag or split) and (len(component) > 1 or
                                                      component[0] in pair_succ.get(component[0], []))):
            continue
        pumped = _pump(component, pair_succ, diverging, out, sets)
        if pumped is not None:
            alphabet = CharSet.of(*set(pumped[1]))
        else:
            alphabet = CharSet()
            for p, q in component:
                alphabet = alphabet.union(sets[p].intersection(sets[q]))
        # Every state the matcher can reach while reading the pumped text: if one of them can
        # end the match, it succeeds at once and the loop is harmless.
        alive = {state for pair in component for state in pair}
        todo_states = list(alive)
        while todo_states:
            state = todo_states.pop()
            for after, _n in out.get(state, ()):
                if after not in alive and sets[after].intersects(alphabet):
                    alive.add(after)
                    todo_states.append(after)
        if alive & accepting:
            continue
        readable = CharSet()
        for state in alive:
            for after, _n in out.get(state, ()):
                if after != search_state:
                    readable = readable.union(sets[after])
        attack: tuple[str, str, str] | None = None
        if pumped is not None:
            # Characters no live state can read first; then any: the end may still be missing.
            candidates = [c for c in _FAILING if not readable.intersects(CharSet.of(c))]
            spare = _sample(readable.complement())
            candidates += [spare] if spare is not None else []
            candidates += [c for c in _FAILING if c not in candidates]
            # Only an input the pattern rejects makes the matcher try every split; one it
            # accepts ends the search at the first match. No failing input: not reported.
            suffix = next((c for c in candidates
                           if not _matches(out, sets, accepting, pumped[0] + pumped[1] * 3 + c)), None)
            if suffix is None:
                continue
            attack = (pumped[0], pumped[1], suffix)
        return Backtracking(
            "exponential",
            "a repeated part can match the same text in more than one way, so a failing "
            "input makes the matcher try exponentially many splits",
            "繰り返しの部分が同じ文字列に何通りにも一致するため、一致しない入力で照合の試行が指数的に増えます",
            attack,
        )
    return _polynomial(out, sets, accepting)


def _matches(out: dict[int, list[tuple[int, int]]], sets: list[CharSet], accepting: set[int],
             text: str) -> bool:
    """Whether the automaton finds a match in ``text`` (set simulation: linear, never backtracks).

    Look-arounds and ``\\b`` count as always true here, so the automaton accepts at least what
    the pattern accepts: "no match" here means no match in a browser either.
    """
    current = {0}
    for ch in [*text, None]:
        if current & accepting:
            return True
        code = _END if ch is None else ord(ch)
        point = CharSet([(code, code)])
        current = {q for p in current for q, _n in out.get(p, ()) if sets[q].intersects(point)}
        if not current:
            return False
    return bool(current & accepting)


_PREFERRED = CharSet([(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)])
_FAILING = ["!", "#", "~", " ", "\u3000", "\n", "\x00"]


def _sample(chars: CharSet) -> str | None:
    """A readable character of ``chars`` (ASCII letters and digits first; never a sentinel)."""
    preferred = _PREFERRED.intersection(chars).intervals
    if preferred:
        return chr(preferred[0][0])
    for lo, hi in chars.intervals:
        if hi >= 0x20:
            return chr(max(lo, 0x20))
    for lo, hi in chars.intervals:
        if hi >= 0:
            return chr(max(lo, 0))
    return None


def _pump(component: list[tuple[int, ...]], pair_succ: dict[tuple[int, ...], list[tuple[int, ...]]],
          diverging: set[tuple[tuple[int, ...], tuple[int, ...]]],
          out: dict[int, list[tuple[int, int]]], sets: list[CharSet]) -> tuple[str, str] | None:
    """(prefix, pump) for an exponential loop: the pump goes around it two different ways."""
    members = set(component)
    start = next(node for node in component if node[0] == node[1])

    def read(node: tuple[int, ...]) -> str | None:
        return _sample(sets[node[0]].intersection(sets[node[1]]))

    # Breadth-first from (start, not yet split) to (start, split) inside the component.
    parent: dict[tuple[tuple[int, ...], bool], tuple[tuple[tuple[int, ...], bool], str]] = {}
    todo = [(start, False)]
    seen = {(start, False)}
    goal = (start, True)
    while todo and goal not in seen:
        nxt_todo = []
        for node, split in todo:
            for nxt in pair_succ.get(node, ()):
                if nxt not in members:
                    continue
                ch = read(nxt)
                if ch is None:
                    continue
                state = (nxt, split or nxt[0] != nxt[1] or (node, nxt) in diverging)
                if state not in seen:
                    seen.add(state)
                    parent[state] = ((node, split), ch)
                    nxt_todo.append(state)
        todo = nxt_todo
    if goal not in seen:
        return None
    pump = []
    state = goal
    while True:
        prev, ch = parent[state]
        pump.append(ch)
        state = prev
        if state == (start, False):
            break
    # The shortest way from the start to the loop.
    target = start[0]
    back: dict[int, tuple[int, str]] = {}
    frontier = [0]
    reached = {0}
    while frontier and target not in reached:
        step = []
        for p in frontier:
            for q, _n in out.get(p, ()):
                ch = _sample(sets[q])
                if q not in reached and ch is not None:
                    reached.add(q)
                    back[q] = (p, ch)
                    step.append(q)
        frontier = step
    if target not in reached:
        return None
    prefix = []
    position = target
    while position != 0:
        position, ch = back[position]
        prefix.append(ch)
    return "".join(reversed(prefix)), "".join(reversed(pump))


_POLY_BUDGET = 200_000


def _cyclic_states(out: dict[int, list[tuple[int, int]]], n: int) -> set[int]:
    succ: dict[tuple[int, ...], list[tuple[int, ...]]] = {
        (p,): [(q,) for q, _ in out.get(p, ())] for p in range(n)}
    cyclic: set[int] = set()
    for component in _sccs([(p,) for p in range(n)], succ):
        if len(component) > 1 or component[0] in succ[component[0]]:
            cyclic.update(c[0] for c in component)
    return cyclic


def _polynomial(out: dict[int, list[tuple[int, int]]], sets: list[CharSet],
                accepting: set[int]) -> Backtracking | None:
    """States p ≠ q with p→p, p→q, q→q on one word: (p, p, q) reaches (p, q, q) in A³."""
    loops = sorted(_cyclic_states(out, len(sets)) - accepting - {0})
    budget = _POLY_BUDGET
    for p, q in itertools.permutations(loops, 2):
        start = (p, p, q)
        goal = (p, q, q)
        seen = {start}
        todo = [start]
        while todo:
            budget -= 1
            if budget < 0:
                return None  # too large to decide cheaply: say nothing rather than guess
            a, b, c = todo.pop()
            for a2, _ in out.get(a, ()):
                for b2, _ in out.get(b, ()):
                    if not sets[a2].intersects(sets[b2]):
                        continue
                    for c2, _ in out.get(c, ()):
                        if not (sets[a2].intersects(sets[c2]) and sets[b2].intersects(sets[c2])):
                            continue
                        nxt = (a2, b2, c2)
                        if nxt == goal:
                            return Backtracking(
                                "polynomial",
                                "two repeated parts next to each other can share the same text, "
                                "so matching time grows with a power of the input length",
                                "隣り合う繰り返しが同じ文字列を取り合うため、照合時間が入力の長さのべき乗で増えます",
                            )
                        if nxt not in seen:
                            seen.add(nxt)
                            todo.append(nxt)
    return None


def find_backtracking(pattern: str) -> Backtracking | None:
    """A catastrophic-backtracking finding for ``pattern``, or None (see the module docstring).

    Returns None also for patterns the analysis does not cover (unparseable or too large).
    """
    try:
        parser = _Parser(pattern)
        try:
            tree = parser.parse()
        except (ValueError, IndexError) as exc:
            raise PatternSyntaxError(str(exc)) from None
        found = _analyse(tree)
        if found is not None:
            return found
        # A look-ahead's body is matched, with backtracking, wherever the look-ahead is tried:
        # ``^(?=(a+)+$)`` is as slow as ``^(a+)+$`` although the tree sees it as empty.
        for body, at_start in parser.lookaheads:
            found = _analyse(Node("seq", children=[Node("start"), body]) if at_start else body)
            if found is not None and found.kind == "exponential":
                return Backtracking(found.kind, "in a look-ahead: " + found.reason,
                                    "先読み（?= / ?!）の中で: " + found.reason_ja, found.attack)
        return None
    except (PatternSyntaxError, _TooLarge, RecursionError):
        return None
