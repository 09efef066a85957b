"""Shortest strings in products of DFAs, spelled with realistic characters.

``find`` explores the product of several DFAs — each required to accept or to reject — and a
length counter, breadth-first over the classes of their joint partition, and answers a
shortest string of the intersection (or None when it is empty). Classes are tried in order of
how readable their characters are, and every step picks a character of its class from
digits, Latin letters, kana and kanji before anything else, so ``^\\d{3}-\\d{4}$`` gives
``123-4567`` rather than ``000-0000``.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from registry.diff.regex.dfa import Dfa
from registry.diff.regex.nfa import TooLarge
from registry.syntax.regexes import CharSet

# Characters tried first, kind by kind; each kind is cycled through so runs read naturally.
_KINDS = (
    "1234567890",
    "abcdefghijklmnopqrstuvwxyz",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ヤマダタロウスズキハナコ",
    "やまだたろうすずきはなこ",
    "山田太郎鈴木花子東京都",
    "１２３４５６７８９０",
    "ｱｲｳｴｵ",
    "-:/._@ 　ー・",
)
_SURROGATES = (0xD800, 0xDFFF)
_UNREADABLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Mn", "Me"}


@dataclass(frozen=True)
class Part:
    """One factor of a product: the string must be accepted (``want``) or rejected by ``dfa``."""

    dfa: Dfa
    want: bool = True


@dataclass(frozen=True)
class _Joint:
    chars: CharSet
    parts: tuple[int, ...]  # the class of each factor


def _joint_classes(dfas: Sequence[Dfa]) -> list[_Joint]:
    points = sorted({0, _SURROGATES[0], _SURROGATES[1] + 1}
                    | {p for dfa in dfas for p in dfa.partition.starts})
    runs: dict[tuple[int, ...], list[tuple[int, int]]] = {}
    for k, point in enumerate(points):
        if _SURROGATES[0] <= point <= _SURROGATES[1]:
            continue
        signature = tuple(dfa.partition.class_of(point) for dfa in dfas)
        end = points[k + 1] - 1 if k + 1 < len(points) else 0x10FFFF
        runs.setdefault(signature, []).append((point, end))
    return [_Joint(CharSet(r), sig) for sig, r in runs.items()]


class _Speller:
    """Picks readable characters from classes, cycling through each kind of candidate."""

    def __init__(self, prefer: str | None) -> None:
        kinds = ([prefer] if prefer else []) + list(_KINDS)
        self.kinds = [[ord(c) for c in kind] for kind in kinds]
        self.used = [0] * len(self.kinds)

    def _members(self, chars: CharSet, kind: list[int]) -> list[int]:
        starts = [lo for lo, _ in chars.intervals]
        out = []
        for code in kind:
            i = bisect.bisect_right(starts, code) - 1
            if i >= 0 and chars.intervals[i][1] >= code:
                out.append(code)
        return out

    def rank(self, chars: CharSet) -> tuple[int, int]:
        """(kind, place in the kind) of the best candidate: [1-9] before [0], digits first."""
        for k, kind in enumerate(self.kinds):
            members = self._members(chars, kind)
            if members:
                return k, kind.index(members[0])
        return (len(self.kinds) if _readable(chars) is not None else len(self.kinds) + 1), 0

    def spell(self, chars: CharSet) -> str:
        for k, kind in enumerate(self.kinds):
            members = self._members(chars, kind)
            if members:
                code = members[self.used[k] % len(members)]
                self.used[k] += 1
                return chr(code)
        readable = _readable(chars)
        return chr(readable if readable is not None else chars.intervals[0][0])


def _readable(chars: CharSet) -> int | None:
    """A printable, assigned code point of ``chars`` (looking at a bounded number of them)."""
    budget = 4096
    for lo, hi in chars.intervals:
        for code in range(max(lo, 0x20), hi + 1):
            if unicodedata.category(chr(code)) not in _UNREADABLE:
                return code
            budget -= 1
            if budget <= 0:
                return None
    return None


def find(parts: Sequence[Part], *, min_length: int = 0, max_length: int | None = None,
         max_states: int = 100_000, prefer: str | None = None) -> str | None:
    """A shortest string (of ``min_length`` to ``max_length`` code points) meeting every part.

    None when there is none. Raises ``TooLarge`` past ``max_states`` product states.
    """
    if max_length is not None and max_length < min_length:
        return None
    dfas = [p.dfa for p in parts]
    wants = [p.want for p in parts]
    alive = [p.dfa.reaching(p.want) for p in parts]
    speller = _Speller(prefer)
    joints = sorted(_joint_classes(dfas), key=lambda j: speller.rank(j.chars))
    start = (*(0 for _ in parts), 0)
    if any(0 not in a for a in alive):
        return None
    parent: dict[tuple[int, ...], tuple[tuple[int, ...], int] | None] = {start: None}
    level = [start]
    depth = 0
    goal: tuple[int, ...] | None = None
    while level and goal is None:
        for state in level:
            if state[-1] == min_length and all(
                    dfa.accept[s] == want for dfa, s, want in zip(dfas, state, wants, strict=False)):
                goal = state
                break
        if goal is not None or (max_length is not None and depth >= max_length):
            break
        nxt = []
        for state in level:
            length = min(state[-1] + 1, min_length)
            for j, joint in enumerate(joints):
                target = (*(dfa.trans[s][c] for dfa, s, c in zip(dfas, state, joint.parts, strict=False)), length)
                if target in parent or any(
                        t not in a for t, a in zip(target, alive, strict=False)):
                    continue
                parent[target] = (state, j)
                nxt.append(target)
        if len(parent) > max_states:
            raise TooLarge
        level = nxt
        depth += 1
    if goal is None:
        return None
    steps = []
    node = parent[goal]
    while node is not None:
        prev, j = node
        steps.append(joints[j].chars)
        node = parent[prev]
    return "".join(speller.spell(chars) for chars in reversed(steps))
