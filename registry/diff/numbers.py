"""Numbers: intervals with exclusive bounds on a ``multipleOf`` lattice (integer = step 1).

Exact rationals throughout (``normalize.number`` reads the decimal as written). Inclusion of
one atom in a union of atoms is decided exactly: a continuum is covered only by lattice-free
intervals; a lattice is covered where a covering atom's step divides ours; a bounded lattice
with at most MAX_POINTS points is enumerated.
"""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction
from typing import Any

from registry.diff.atoms import Num
from registry.diff.normalize import canon as value_key
from registry.diff.normalize import number

MAX_POINTS = 4096


def lcm(a: Fraction | None, b: Fraction | None) -> Fraction | None:
    """The least common multiple of two positive rationals (None: no lattice)."""
    if a is None:
        return b
    if b is None:
        return a
    num = a.numerator * b.numerator // math.gcd(a.numerator, b.numerator)
    return Fraction(num, math.gcd(a.denominator, b.denominator))


def build(e: dict[str, Any], integer: bool, hints: tuple[Any, ...]) -> Num:
    """The number atom of a schema's numeric keywords."""
    lo: Fraction | None = None
    lo_x = False
    hi: Fraction | None = None
    hi_x = False
    for kw, excl in (("minimum", False), ("exclusiveMinimum", True)):
        v = number(e.get(kw))
        if v is not None and (lo is None or v > lo or (v == lo and excl)):
            lo, lo_x = v, excl
    for kw, excl in (("maximum", False), ("exclusiveMaximum", True)):
        v = number(e.get(kw))
        if v is not None and (hi is None or v < hi or (v == hi and excl)):
            hi, hi_x = v, excl
    step = number(e.get("multipleOf"))
    if step is not None and step <= 0:
        step = None
    if integer:
        step = lcm(step, Fraction(1))
    return Num(lo, lo_x, hi, hi_x, step, {}, tuple(h for h in hints if _is_num(h)))


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def meet(a: Num, b: Num) -> Num | None:
    """a ∧ b."""
    lo, lo_x = a.lo, a.lo_x
    if b.lo is not None and (lo is None or b.lo > lo or (b.lo == lo and b.lo_x)):
        lo, lo_x = b.lo, b.lo_x
    hi, hi_x = a.hi, a.hi_x
    if b.hi is not None and (hi is None or b.hi < hi or (b.hi == hi and b.hi_x)):
        hi, hi_x = b.hi, b.hi_x
    out = Num(lo, lo_x, hi, hi_x, lcm(a.step, b.step), {**a.excluded, **b.excluded}, a.hints + b.hints)
    return None if empty(out) else out


def complement(a: Num) -> list[Num]:
    """The numbers outside a, where representable (off-lattice numbers are not: Opaque)."""
    from registry.diff.atoms import Opaque

    out: list[Any] = []
    if a.lo is not None:
        out.append(Num(hi=a.lo, hi_x=not a.lo_x))
    if a.hi is not None:
        out.append(Num(lo=a.hi, lo_x=not a.hi_x))
    if a.step is not None:
        out.append(Opaque("number", f"numbers that are not multiples of {a.step}"))
    return out


def in_interval(a: Num, x: Fraction) -> bool:
    """Is x within a's bounds?"""
    if a.lo is not None and (x < a.lo or (x == a.lo and a.lo_x)):
        return False
    return not (a.hi is not None and (x > a.hi or (x == a.hi and a.hi_x)))


def member(a: Num, v: Any) -> bool:
    """Is the JSON value v in a?"""
    x = number(v) if _is_num(v) else None
    if x is None:
        return False
    if not in_interval(a, x):
        return False
    if a.step is not None and (x / a.step).denominator != 1:
        return False
    return value_key(v) not in a.excluded


def _first_point(a: Num) -> Fraction | None:
    """The smallest lattice point ≥ the lower bound (a lattice atom with a lower bound)."""
    assert a.step is not None
    assert a.lo is not None
    k = math.ceil(a.lo / a.step)
    x = k * a.step
    if x == a.lo and a.lo_x:
        x += a.step
    return x


def points(a: Num) -> list[Fraction] | None:
    """All lattice points of a bounded lattice atom (None if not finite or too many)."""
    if a.step is None or a.lo is None or a.hi is None:
        return None
    start = _first_point(a)
    assert start is not None
    count = (a.hi - start) / a.step
    if count < 0:
        return []
    if count > MAX_POINTS:
        return None
    out = []
    x = start
    while in_interval(a, x):
        out.append(x)
        x += a.step
    return out


def empty(a: Num) -> bool:
    """Provably no number (before exclusions)."""
    if a.lo is not None and a.hi is not None:
        if a.lo > a.hi or (a.lo == a.hi and (a.lo_x or a.hi_x)):
            return True
        if a.step is not None:
            p = points(a)
            return p is not None and not p
    return False


def to_json(x: Fraction) -> int | float:
    """A JSON number for an exact rational (an int when whole)."""
    if x.denominator == 1:
        return int(x)
    return float(x)


def candidates(a: Num) -> list[Fraction]:
    """A few numbers of a, the friendliest first (hints, 0, 1, bounds, midpoints)."""
    out: list[Fraction] = []
    for h in a.hints:
        x = number(h)
        if x is not None:
            out.append(x)
    base = [Fraction(0), Fraction(1), Fraction(10), Fraction(-1), Fraction(1, 2), Fraction(3, 2),
            Fraction(1, 10)]
    if a.lo is not None:
        base += [a.lo, a.lo + 1, a.lo + Fraction(1, 2), a.lo + Fraction(1, 7)]
    if a.hi is not None:
        base += [a.hi, a.hi - 1, a.hi - Fraction(1, 2), a.hi - Fraction(1, 7)]
    if a.lo is not None and a.hi is not None:
        base += [(a.lo + a.hi) / 2, a.lo + (a.hi - a.lo) / 7]
    if a.step is not None:
        lat: list[Fraction] = []
        for x in base:
            k = math.floor(x / a.step)
            lat += [k * a.step, (k + 1) * a.step, (k - 1) * a.step]
        base = lat
    return out + base


def sample(a: Num) -> int | float | None:
    """A number in a (None when none is found)."""
    for x in candidates(a):
        v = to_json(x)
        if number(v) == x and member(a, v):
            return v
    return None


def included(a: Num, bs: list[Num]) -> tuple[bool | None, Any]:
    """Is a ⊆ ∪ bs? (True, None) / (False, counterexample) / (None, None)."""
    pts = points(a)
    if pts is not None:
        for x in pts:
            v = to_json(x)
            if number(v) != x:
                return None, None
            if value_key(v) in a.excluded:
                continue
            if not any(member(b, v) for b in bs):
                return False, v
        return True, None
    # Covering atoms: those whose lattice contains a's lattice (or have none).
    covers = [b for b in bs if b.step is None or (a.step is not None and (a.step / b.step).denominator == 1)]
    rest = _subtract(a, covers)
    if not rest:
        if any(b.excluded for b in covers):
            return _by_candidates(a, bs)
        return True, None
    for r in rest:
        r = replace(r, excluded=a.excluded, hints=a.hints)
        pr = points(r)
        cands = [to_json(x) for x in (pr if pr is not None else candidates(r))]
        for v in cands:
            if member(r, v) and not any(member(b, v) for b in bs):
                return False, v
    return None, None


def _by_candidates(a: Num, bs: list[Num]) -> tuple[bool | None, Any]:
    for x in candidates(a):
        v = to_json(x)
        if member(a, v) and not any(member(b, v) for b in bs):
            return False, v
    for b in bs:
        for v in b.excluded.values():
            if member(a, v) and not any(member(c, v) for c in bs):
                return False, v
    return None, None


def _subtract(a: Num, covers: list[Num]) -> list[Num]:
    """The parts of a's interval no covering interval contains (lattice kept)."""
    parts = [a]
    for b in covers:
        nxt: list[Num] = []
        for p in parts:
            nxt += _minus(p, b)
        parts = [p for p in nxt if not empty(p)]
    return parts


def _minus(p: Num, b: Num) -> list[Num]:
    out = []
    if b.lo is not None:
        left = meet(p, Num(hi=b.lo, hi_x=not b.lo_x))
        if left is not None:
            out.append(replace(left, excluded={}, hints=()))
    if b.hi is not None:
        right = meet(p, Num(lo=b.hi, lo_x=not b.hi_x))
        if right is not None:
            out.append(replace(right, excluded={}, hints=()))
    return out
