"""Deterministic automata over character classes: partition, subset construction, minimisation.

A DFA reads *classes*: the disjoint code-point sets that all the sets on the NFA's edges cut
the alphabet into (``[0-9]``, ``\\d`` and ``[０-９]`` on one pattern give the classes 0–9,
０–９ and "everything else"). Characters of one class are indistinguishable to the automaton,
so the construction is exact whatever the sizes of the sets (symbolic automata).
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from registry.diff.regex.nfa import UNIVERSE, Nfa, TooLarge
from registry.syntax.regexes import CharSet


@dataclass(frozen=True)
class Partition:
    """Disjoint classes covering the universe; ``starts[i]`` begins a run of class ``owner[i]``.

    ``starts`` are the first code points of consecutive runs (the universe's surrogate gap
    belongs to no run and is never looked up).
    """

    starts: tuple[int, ...]
    owner: tuple[int, ...]
    classes: tuple[CharSet, ...]

    def class_of(self, code: int) -> int:
        """The class of a code point; -1 for a surrogate (outside the alphabet)."""
        return self.owner[bisect.bisect_right(self.starts, code) - 1]


def _cut_points(sets: Iterable[CharSet]) -> list[int]:
    points = {0}
    for chars in [UNIVERSE, *sets]:
        for lo, hi in chars.intervals:
            points.add(lo)
            points.add(hi + 1)
    return sorted(p for p in points if p <= 0x10FFFF)


def partition(sets: Sequence[CharSet]) -> tuple[Partition, list[list[int]]]:
    """The coarsest partition refining ``sets``, and for each set the classes it is made of."""
    points = _cut_points(sets)
    members: list[set[int]] = [set() for _ in points]
    for index, chars in enumerate(sets):
        for lo, hi in chars.intervals:
            first = bisect.bisect_left(points, lo)
            last = bisect.bisect_right(points, hi) - 1
            for k in range(first, last + 1):
                members[k].add(index)
    signature_class: dict[frozenset[int], int] = {}
    runs: list[list[tuple[int, int]]] = []
    owner: list[int] = []
    for k, point in enumerate(points):
        end = points[k + 1] - 1 if k + 1 < len(points) else 0x10FFFF
        if not UNIVERSE.intersects(CharSet([(point, end)])):
            owner.append(-1)  # the surrogates: no string the validator sees holds one
            continue
        signature = frozenset(members[k])
        if signature not in signature_class:
            signature_class[signature] = len(runs)
            runs.append([])
        cls = signature_class[signature]
        owner.append(cls)
        runs[cls].append((point, end))
    classes = tuple(CharSet(r) for r in runs)
    of_set: list[list[int]] = [[] for _ in sets]
    for signature, cls in signature_class.items():
        for index in signature:
            of_set[index].append(cls)
    return Partition(tuple(points), tuple(owner), classes), of_set


@dataclass(frozen=True)
class Dfa:
    """A complete DFA over ``partition``'s classes; state 0 is the start."""

    partition: Partition
    trans: tuple[tuple[int, ...], ...]
    accept: tuple[bool, ...]

    @property
    def size(self) -> int:
        return len(self.accept)

    def accepts(self, text: str) -> bool:
        """Whether the automaton accepts ``text`` (False for a string holding a lone surrogate)."""
        state = 0
        for ch in text:
            cls = self.partition.class_of(ord(ch))
            if cls < 0:
                return False
            state = self.trans[state][cls]
        return self.accept[state]

    def reaching(self, goal: bool) -> frozenset[int]:
        """States from which some string leads to a state whose acceptance is ``goal``."""
        back: list[list[int]] = [[] for _ in self.accept]
        for s, row in enumerate(self.trans):
            for t in row:
                back[t].append(s)
        found = {s for s, a in enumerate(self.accept) if a == goal}
        todo = list(found)
        while todo:
            t = todo.pop()
            for s in back[t]:
                if s not in found:
                    found.add(s)
                    todo.append(s)
        return frozenset(found)


def determinize(nfa: Nfa, max_states: int) -> Dfa:
    """Subset construction (anchors: ``^`` only before the first character, ``$`` at the end).

    ``nfa.final`` reads every character back to itself (``searched`` in nfa.py), so a set
    holding it accepts every continuation and is replaced by ``{final}``. With ``\\b``/``\\B``
    (``nfa.word`` set) a state also remembers whether the last character was a word character;
    the word set is one of the partition's sets, so every class is all word or all non-word.
    """
    has_word = nfa.word is not None and any(nfa.boundary_edges[s] or nfa.nonboundary_edges[s]
                                            for s in range(len(nfa.eps)))
    sets = list(nfa.charsets)
    if has_word:
        assert nfa.word is not None
        sets.append(UNIVERSE.intersection(nfa.word))
    part, of_set = partition(sets)
    n_classes = len(part.classes)
    is_word = [False] * n_classes
    if has_word:
        for cls in of_set[-1]:
            is_word[cls] = True
    # The start is its own state: only there may ``^`` edges be taken.
    start = nfa.closure({nfa.initial}, at_start=True, at_end=False)
    done = frozenset({nfa.final})
    # A state: (NFA states, at the start, the last character was a word character).
    keys: list[tuple[frozenset[int], bool, bool]] = [(start, True, False)]
    index: dict[tuple[frozenset[int], bool, bool], int] = {keys[0]: 0}
    trans: list[tuple[int, ...]] = []
    accept: list[bool] = []
    k = 0
    while k < len(keys):
        states, at_start, after_word = keys[k]
        k += 1
        # At the end the next "character" is non-word: \b holds after a word character.
        end_boundary = after_word if has_word else None
        accept.append(nfa.final in nfa.closure(states, at_start, True, end_boundary))
        # What the next character reads depends on \b/\B: one closure per truth value needed.
        moves_by: dict[bool | None, list[set[int]]] = {}
        for boundary in ((True, False) if has_word else (None,)):
            moves_by[boundary] = [set() for _ in range(n_classes)]
            for s in nfa.closure(states, at_start, False, boundary):
                for set_index, target in nfa.char_edges[s]:
                    for cls in of_set[set_index]:
                        moves_by[boundary][cls].add(target)
        row = []
        for cls in range(n_classes):
            moves = moves_by[(after_word != is_word[cls]) if has_word else None][cls]
            reached = nfa.closure(moves, False, False)
            if nfa.final in reached:
                reached = done  # a match is found: every continuation is accepted
            key = (reached, False, is_word[cls] and reached is not done)
            if key not in index:
                if len(keys) >= max_states:
                    raise TooLarge
                index[key] = len(keys)
                keys.append(key)
            row.append(index[key])
        trans.append(tuple(row))
    return minimize(Dfa(part, tuple(trans), tuple(accept)))


def minimize(dfa: Dfa) -> Dfa:
    """Hopcroft's partition refinement (O(n·k·log n)); the start stays state 0.

    Every state of ``dfa`` must be reachable from the start (subset construction ensures it).
    """
    n, k = dfa.size, len(dfa.partition.classes)
    inverse: list[list[list[int]]] = [[[] for _ in range(n)] for _ in range(k)]
    for s, row in enumerate(dfa.trans):
        for c, t in enumerate(row):
            inverse[c][t].append(s)
    blocks = [b for b in ({s for s in range(n) if dfa.accept[s]},
                          {s for s in range(n) if not dfa.accept[s]}) if b]
    block_of = [0] * n
    for i, members in enumerate(blocks):
        for s in members:
            block_of[s] = i
    work = deque((i, c) for i in range(len(blocks)) for c in range(k))
    waiting = set(work)
    while work:
        splitter = work.popleft()
        waiting.discard(splitter)
        b, c = splitter
        touched: dict[int, set[int]] = {}
        for t in blocks[b]:
            for s in inverse[c][t]:
                touched.setdefault(block_of[s], set()).add(s)
        for y, hit in touched.items():
            if len(hit) == len(blocks[y]):
                continue
            rest = blocks[y] - hit
            small, big = (hit, rest) if len(hit) <= len(rest) else (rest, hit)
            blocks[y] = big
            new = len(blocks)
            blocks.append(small)
            for s in small:
                block_of[s] = new
            for c2 in range(k):
                if (new, c2) not in waiting:
                    waiting.add((new, c2))
                    work.append((new, c2))
    # Renumber in order of first appearance, so the start's block is 0.
    order: dict[int, int] = {}
    for s in range(n):
        order.setdefault(block_of[s], len(order))
    trans: list[tuple[int, ...] | None] = [None] * len(order)
    accept = [False] * len(order)
    for s, row in enumerate(dfa.trans):
        b = order[block_of[s]]
        if trans[b] is None:
            trans[b] = tuple(order[block_of[t]] for t in row)
            accept[b] = dfa.accept[s]
    return Dfa(dfa.partition, tuple(t for t in trans if t is not None), tuple(accept))


def literal_set(strings: Iterable[str]) -> Dfa:
    """The DFA accepting exactly ``strings`` (an ``enum`` of strings): a trie, minimised."""
    words = sorted(set(strings))
    chars = sorted({ord(c) for w in words for c in w})
    sets = [CharSet([(c, c)]) for c in chars]
    part, of_set = partition(sets)
    class_of_char = {c: of_set[i][0] for i, c in enumerate(chars)}
    n_classes = len(part.classes)
    dead = 0
    trans: list[list[int]] = [[dead] * n_classes]
    accept = [False]
    prefix_state: dict[str, int] = {}

    def state_for(prefix: str) -> int:
        if prefix not in prefix_state:
            prefix_state[prefix] = len(trans)
            trans.append([dead] * n_classes)
            accept.append(False)
        return prefix_state[prefix]

    state_for("")
    for word in words:
        for i, ch in enumerate(word):
            trans[state_for(word[:i])][class_of_char[ord(ch)]] = state_for(word[: i + 1])
        accept[state_for(word)] = True
    # Put the start (the empty prefix, state 1) first.
    start = prefix_state[""]
    perm = list(range(len(trans)))
    perm[0], perm[start] = start, 0
    inverse = {old: new for new, old in enumerate(perm)}
    rows = tuple(tuple(inverse[t] for t in trans[old]) for old in perm)
    return minimize(Dfa(part, rows, tuple(accept[old] for old in perm)))
