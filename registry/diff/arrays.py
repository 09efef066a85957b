"""Arrays: prefixItems/items per position, size bounds, contains with min/maxContains, uniqueItems.

Without ``contains`` and ``uniqueItems`` an array atom is a product of per-position languages
with a length interval, so ``a ⊆ b`` is decided exactly position by position (a counterexample
is a sample array of a with the offending element in place). ``contains`` in b is proven by a
``contains`` of a that implies it, or by every element of a matching; otherwise a sample is
tried and the answer is unknown. ``unevaluatedItems`` is read where nothing in place evaluates
items (then it is ``items``); elsewhere the array part is opaque.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from registry.diff.atoms import Arr, Lazy, Opaque

if TYPE_CHECKING:
    from registry.diff.inclusion import Checker

IN_PLACE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref", "dependentSchemas")


def _int(v: Any, default: int | None) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else default


def build(e: dict[str, Any], sub: Callable[[Any], Lazy], hints: tuple[Any, ...]) -> Any:
    """The array atom of a schema's array keywords."""
    prefix = e.get("prefixItems")
    px = tuple(sub(p) for p in prefix) if isinstance(prefix, list) else ()
    items = sub(e["items"]) if "items" in e and e["items"] is not True and e["items"] != {} else None
    if "unevaluatedItems" in e and e["unevaluatedItems"] is not True and "items" not in e:
        if any(k in e for k in IN_PLACE) or "contains" in e:
            return Opaque("array", "unevaluatedItems beside in-place applicators")
        items = sub(e["unevaluatedItems"])
    contains: tuple[tuple[Lazy, int, int | None], ...] = ()
    if "contains" in e:
        contains = ((sub(e["contains"]), _int(e.get("minContains"), 1) or 0, _int(e.get("maxContains"), None)),)
    return Arr(px, items, _int(e.get("minItems"), 0) or 0, _int(e.get("maxItems"), None), contains,
               e.get("uniqueItems") is True, {}, tuple(h for h in hints if isinstance(h, list)))


def _and(a: Lazy | None, b: Lazy | None) -> Lazy | None:
    from registry.diff.canonical import conj

    return conj(a, b)


def meet(a: Arr, b: Arr) -> Arr | None:
    """a ∧ b."""
    n = max(len(a.prefix), len(b.prefix))
    prefix = tuple(_and(a.at(i), b.at(i)) or _any() for i in range(n))
    hi = b.hi if a.hi is None else a.hi if b.hi is None else min(a.hi, b.hi)
    lo = max(a.lo, b.lo)
    if hi is not None and lo > hi:
        return None
    return Arr(prefix, _and(a.items, b.items), lo, hi, a.contains + b.contains, a.unique or b.unique,
               {**a.excluded, **b.excluded}, a.hints + b.hints)


def complement(a: Arr) -> list[Any]:
    """Arrays outside a, where representable."""
    from registry.diff.atoms import LNot

    out: list[Any] = []
    if a.lo > 0:
        out.append(Arr(hi=a.lo - 1))
    if a.hi is not None:
        out.append(Arr(lo=a.hi + 1))
    for i, p in enumerate(a.prefix):
        if not _is_any(p):
            from registry.diff.atoms import LConst
            from registry.diff.canonical import UNIVERSE

            free = LConst(UNIVERSE, "true")
            out.append(Arr((*(free for _ in range(i)), LNot(p)), None, i + 1))
    if a.items is not None:
        out.append(Opaque("array", "arrays with some item outside items"))
    for c, mn, mx in a.contains:
        if mn == 1 and mx is None:
            from registry.diff.atoms import LNot

            neg = LNot(c)
            out.append(Arr((), neg))
        elif mn > 0 or mx is not None:
            out.append(Opaque("array", "arrays outside min/maxContains"))
    if a.unique:
        out.append(Opaque("array", "arrays with repeated items"))
    return out


def _is_any(p: Lazy | None) -> bool:
    from registry.diff.atoms import LConst

    return p is None or (isinstance(p, LConst) and p.name == "true")


def max_len(ck: Checker, a: Arr) -> int | None:
    """The longest possible array of a (None: unbounded): the first empty position ends it."""
    n = len(a.prefix) + 1
    for i in range(n):
        p = a.at(i)
        if p is not None and ck.is_empty(p):
            return i if a.hi is None else min(a.hi, i)
    return a.hi


def member(ck: Checker, a: Arr, v: Any) -> bool | None:
    """Is v in a?"""
    if not isinstance(v, list):
        return False
    if len(v) < a.lo or (a.hi is not None and len(v) > a.hi):
        return False
    from registry.diff.normalize import canon

    if a.excluded and canon(v) in a.excluded:
        return False
    unsure = False
    for i, x in enumerate(v):
        p = a.at(i)
        if p is None:
            continue
        m = ck.member(p, x)
        if m is False:
            return False
        unsure = unsure or m is None
    for c, mn, mx in a.contains:
        count = 0
        for x in v:
            m = ck.member(c, x)
            if m is None:
                return None
            count += m
        if count < mn or (mx is not None and count > mx):
            return False
    if a.unique and len({canon(x) for x in v}) != len(v):
        return False
    return None if unsure else True


def sample(ck: Checker, a: Arr, length: int | None = None, at: int | None = None, value: Any = None) -> list[Any] | None:
    """An array of a (of ``length`` when given, with ``value`` at position ``at``)."""
    for h in a.hints:
        if length is None and at is None and member(ck, a, h) is True:
            return list(h)
    n = length if length is not None else a.lo
    if at is not None:
        n = max(n, at + 1)
    out: list[Any] = []
    for i in range(n):
        if i == at:
            out.append(value)
            continue
        p = a.at(i)
        x = ck.sample(p) if p is not None else ""
        if x is ck.NONE:
            return None
        out.append(x)
    # contains: make sure enough elements match (append samples of the contains schema).
    for c, mn, _mx in a.contains:
        have = sum(1 for x in out if ck.member(c, x) is True)
        while have < mn and (a.hi is None or len(out) < a.hi):
            p = a.at(len(out))
            x = ck.sample(_and(c, p) or c)
            if x is ck.NONE:
                return None
            out.append(x)
            have += 1
    return out if member(ck, a, out) is True else None


def included(ck: Checker, a: Arr, b: Arr) -> tuple[bool | None, Any]:
    """Is a ⊆ b? (True, None) / (False, counterexample) / (None, None)."""
    amax = max_len(ck, a)
    amin = a.lo
    unknown = False
    if b.lo > amin:
        s = sample(ck, a, length=amin)
        if s is not None and member(ck, b, s) is False:
            return False, s
        unknown = True
    if b.hi is not None and (amax is None or amax > b.hi):
        s = sample(ck, a, length=max(b.hi + 1, amin))
        if s is not None and member(ck, b, s) is False:
            return False, s
        unknown = True
    n = max(len(a.prefix), len(b.prefix)) + 1
    for i in range(n):
        if amax is not None and i >= amax:
            break
        pa, pb = a.at(i), b.at(i)
        if pb is None:
            continue
        r, cex = ck.incl(pa, pb)
        if r is True:
            continue
        if r is False:
            s = sample(ck, a, length=max(amin, i + 1), at=i, value=cex)
            if s is not None and member(ck, b, s) is False:
                return False, s
        unknown = True
    for c, mn, mx in b.contains:
        if mn == 0 and mx is None:
            continue
        settled = True
        if mx is not None and (amax is None or amax > mx):
            s = _many_matching(ck, a, c, mx + 1)
            if s is not None and member(ck, b, s) is False:
                return False, s
            settled = False
        if mn > 0:
            proven = any(ma >= mn and ck.incl(ca, c)[0] is True for ca, ma, _ in a.contains)
            if not proven and amin >= mn:
                proven = all(ck.incl(a.at(i) or _any(), c)[0] is True
                             for i in range(min(len(a.prefix) + 1, amax if amax is not None else len(a.prefix) + 1)))
            settled = settled and proven
        if not settled:
            for s in _contains_candidates(ck, a, c):
                if member(ck, a, s) is True and member(ck, b, s) is False:
                    return False, s
            unknown = True
    if b.unique and not a.unique and (amax is None or amax >= 2):
        p0, p1 = a.at(0), a.at(1)
        x = ck.sample(p0) if p0 is not None else "a"
        if x is not ck.NONE and (p1 is None or ck.member(p1, x) is True):
            s = sample(ck, a, length=max(amin, 2), at=0, value=x)
            if s is not None:
                s[1] = x
                if member(ck, a, s) is True and member(ck, b, s) is False:
                    return False, s
        unknown = True
    if a.contains or a.unique:
        # Samples of a are constrained by them: the position rules above are sufficient only.
        pass
    return (None, None) if unknown else (True, None)


def _contains_candidates(ck: Checker, a: Arr, c: Lazy) -> list[list[Any]]:
    """Arrays of a likely to have too few or too many items matching c: a's sample, then items
    in c but outside a's own ``contains`` (or the reverse) added one to three times."""
    base = sample(ck, a) or []
    xs: list[Any] = []
    x = ck.sample(c)
    if x is not ck.NONE:
        xs.append(x)
    for ca, _, _ in a.contains:
        for left, right in ((c, ca), (ca, c)):
            r, cex = ck.incl(left, right)
            if r is False:
                xs.append(cex)
    out = [base]
    for x in xs:
        for k in (1, 2, 3):
            out += [base + [x] * k, [x] * k]
    return out


def _many_matching(ck: Checker, a: Arr, c: Lazy, n: int) -> list[Any] | None:
    """An array of a with at least n items matching c (None when none is found)."""
    n = max(n, a.lo)
    if a.hi is not None and n > a.hi:
        return None
    out = []
    for i in range(n):
        x = ck.sample(_and(c, a.at(i)) or c)
        if x is ck.NONE:
            return None
        out.append(x)
    return out if member(ck, a, out) is True else None


def _any() -> Lazy:
    from registry.diff.atoms import LConst
    from registry.diff.canonical import UNIVERSE

    return LConst(UNIVERSE, "true")


def empty(ck: Checker, a: Arr) -> bool:
    """Provably no array."""
    if a.hi is not None and a.lo > a.hi:
        return True
    for i in range(a.lo):
        p = a.at(i)
        if p is not None and ck.is_empty(p):
            return True
    return False

