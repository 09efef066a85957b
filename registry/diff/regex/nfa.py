"""Thompson NFA of a pattern's tree, with search semantics and the anchors as guarded ε-edges.

States are integers. Edges are ε, ``^`` (taken only at the start of the string), ``$`` (taken
only at its end) or a code-point set. JSON Schema *searches* a ``pattern`` in the string, so
the automaton starts in a state that skips any prefix and ends in an accepting state that
reads any suffix.

Alphabet: Unicode scalar values (U+0000–U+10FFFF without the surrogates), because
jsonschema-rs validates Rust strings, which cannot hold a lone surrogate. ``.`` is what
jsonschema-rs runs (every scalar value but U+000A), not ECMA-262's (which also excludes
U+000D, U+2028 and U+2029): jsonschema-rs hands the pattern to the Rust regex engines, whose
``.`` only excludes the line feed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.syntax.regexes import CharSet, Node

UNIVERSE = CharSet([(0, 0xD7FF), (0xE000, 0x10FFFF)])
# ``.`` as jsonschema-rs applies it (measured: it matches "\r", U+2028, U+2029, U+0085).
DOT = UNIVERSE.intersection(CharSet.of("\n").complement())


class TooLarge(Exception):
    """The automaton would exceed its state bound."""


@dataclass
class Nfa:
    """A Thompson NFA; ``charsets[i]`` labels the character edges ``(i, target)``."""

    eps: list[list[int]] = field(default_factory=list)
    start_edges: list[list[int]] = field(default_factory=list)
    end_edges: list[list[int]] = field(default_factory=list)
    # \b and \B: taken where the characters before and after differ (are alike) in being
    # word characters (``word``); the string's ends count as non-word.
    boundary_edges: list[list[int]] = field(default_factory=list)
    nonboundary_edges: list[list[int]] = field(default_factory=list)
    word: CharSet | None = None  # set when the pattern holds \b or \B
    char_edges: list[list[tuple[int, int]]] = field(default_factory=list)
    charsets: list[CharSet] = field(default_factory=list)
    initial: int = 0
    final: int = 0
    limit: int = 100_000
    _index: dict[tuple[tuple[int, int], ...], int] = field(default_factory=dict)

    def state(self) -> int:
        if len(self.eps) >= self.limit:
            raise TooLarge
        self.eps.append([])
        self.start_edges.append([])
        self.end_edges.append([])
        self.boundary_edges.append([])
        self.nonboundary_edges.append([])
        self.char_edges.append([])
        return len(self.eps) - 1

    def charset(self, chars: CharSet) -> int:
        """The index of ``chars`` (within the alphabet); one index per distinct set."""
        key = tuple(chars.intervals)
        if key not in self._index:
            self._index[key] = len(self.charsets)
            self.charsets.append(UNIVERSE.intersection(chars))
        return self._index[key]

    def closure(self, states: set[int] | frozenset[int], at_start: bool, at_end: bool,
                boundary: bool | None = None) -> frozenset[int]:
        """States reachable by ε-edges, and by ``^``/``$`` edges where they hold.

        ``boundary``: whether ``\\b`` holds at this position (``\\B`` when False); None when
        the next character is not known yet — neither kind of edge is taken then.
        """
        seen = set(states)
        todo = list(states)
        while todo:
            s = todo.pop()
            nexts = list(self.eps[s])
            if at_start:
                nexts += self.start_edges[s]
            if at_end:
                nexts += self.end_edges[s]
            if boundary is True:
                nexts += self.boundary_edges[s]
            elif boundary is False:
                nexts += self.nonboundary_edges[s]
            for t in nexts:
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return frozenset(seen)


def _build(nfa: Nfa, node: Node) -> tuple[int, int]:
    """States (entry, exit) of a fragment for ``node``."""
    if node.kind == "chars":
        assert node.chars is not None
        a, b = nfa.state(), nfa.state()
        nfa.char_edges[a].append((nfa.charset(node.chars), b))
        return a, b
    if node.kind in ("empty", "start", "end", "boundary", "nonboundary"):
        a, b = nfa.state(), nfa.state()
        {"empty": nfa.eps, "start": nfa.start_edges, "end": nfa.end_edges,
         "boundary": nfa.boundary_edges, "nonboundary": nfa.nonboundary_edges,
         }[node.kind][a].append(b)
        return a, b
    if node.kind == "seq":
        entry, exit_ = _build(nfa, node.children[0])
        for child in node.children[1:]:
            a, b = _build(nfa, child)
            nfa.eps[exit_].append(a)
            exit_ = b
        return entry, exit_
    if node.kind == "alt":
        entry, exit_ = nfa.state(), nfa.state()
        for child in node.children:
            a, b = _build(nfa, child)
            nfa.eps[entry].append(a)
            nfa.eps[b].append(exit_)
        return entry, exit_
    return _repeat(nfa, node)


def _repeat(nfa: Nfa, node: Node) -> tuple[int, int]:
    """``x{lo,hi}`` as lo copies of x, then a loop (hi unbounded) or hi-lo nested optionals.

    ECMA-262 rejects an optional iteration that matches the empty string; that never changes
    which strings match (skipping the iteration is always allowed), so it is not modelled.
    """
    body = node.children[0]
    entry = exit_ = nfa.state()
    for _ in range(node.min):
        a, b = _build(nfa, body)
        nfa.eps[exit_].append(a)
        exit_ = b
    if node.max is None:
        loop = nfa.state()
        nfa.eps[exit_].append(loop)
        a, b = _build(nfa, body)
        nfa.eps[loop].append(a)
        nfa.eps[b].append(loop)
        return entry, loop
    end = nfa.state()
    for _ in range(node.max - node.min):
        a, b = _build(nfa, body)
        nfa.eps[exit_].append(a)
        nfa.eps[exit_].append(end)
        exit_ = b
    nfa.eps[exit_].append(end)
    return entry, end


def searched(tree: Node, limit: int, word: CharSet | None = None) -> Nfa:
    """The NFA of the strings in which ``tree`` matches somewhere (JSON Schema ``pattern``).

    ``word``: the word characters of ``\\b``/``\\B``, required when the tree holds them.
    """
    nfa = Nfa(limit=limit, word=word)
    anything = nfa.charset(UNIVERSE)
    skip = nfa.state()
    nfa.char_edges[skip].append((anything, skip))
    a, b = _build(nfa, tree)
    nfa.eps[skip].append(a)
    final = nfa.state()
    nfa.eps[b].append(final)
    nfa.char_edges[final].append((anything, final))
    nfa.initial, nfa.final = skip, final
    return nfa
