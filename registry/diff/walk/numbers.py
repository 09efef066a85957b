"""The walk's number family: effective bounds (exclusive, integer-aware) and ``multipleOf``; the shared integer-bound reporter."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from registry.diff.normalize import integer_only, json_equal, number
from registry.diff.walk.core import BR, OK, UNK, Ctx, Walk


def _lower(s: dict[str, Any], int_only: bool) -> tuple[Fraction, bool, str] | str | None:
    """Effective lower bound (value, exclusive, keyword); "invalid" for a non-number."""
    best: tuple[Fraction, bool, str] | None = None
    for kw, excl in (("minimum", False), ("exclusiveMinimum", True)):
        if kw not in s:
            continue
        v = number(s[kw])
        if v is None:
            return "invalid"
        cand = (v, excl, kw)
        if best is None or v > best[0] or (v == best[0] and excl):
            best = cand
    if best is not None and int_only:
        v, excl, kw = best
        best = (Fraction(math.floor(v) + 1) if excl else Fraction(math.ceil(v)), False, kw)
    return best


def _upper(s: dict[str, Any], int_only: bool) -> tuple[Fraction, bool, str] | str | None:
    best: tuple[Fraction, bool, str] | None = None
    for kw, excl in (("maximum", False), ("exclusiveMaximum", True)):
        if kw not in s:
            continue
        v = number(s[kw])
        if v is None:
            return "invalid"
        if best is None or v < best[0] or (v == best[0] and excl):
            best = (v, excl, kw)
    if best is not None and int_only:
        v, excl, kw = best
        best = (Fraction(math.ceil(v) - 1) if excl else Fraction(math.floor(v)), False, kw)
    return best


def numbers(w: Walk, o: dict[str, Any], n: dict[str, Any], ctx: Ctx, loc: tuple[Any, ...]) -> None:
    """Effective bounds and ``multipleOf`` (divisibility, exact decimals)."""
    extra: dict[str, Any] = {"old": loc[0], "old_base": loc[1], "new": loc[2], "new_base": loc[3]}
    for is_lower in (True, False):
        get = _lower if is_lower else _upper
        bo, bn = get(o, integer_only(ctx.o_types)), get(n, integer_only(ctx.n_types))
        if bo == bn or (isinstance(bo, tuple) and isinstance(bn, tuple) and bo[:2] == bn[:2]):
            continue
        kws = ("minimum", "exclusiveMinimum") if is_lower else ("maximum", "exclusiveMaximum")
        before: Any = {k: o[k] for k in kws if k in o} or None
        after: Any = {k: n[k] for k in kws if k in n} or None
        # One keyword on each side (the usual case): report the plain numbers.
        if before and after and list(before) == list(after) and len(before) == 1:
            before, after = next(iter(before.values())), next(iter(after.values()))
        elif before and len(before) == 1 and after is None:
            before = next(iter(before.values()))
        elif after and len(after) == 1 and before is None:
            after = next(iter(after.values()))
        if isinstance(bo, str) or isinstance(bn, str):
            w.emit("invalid_keyword_changed", ctx, before, after, UNK, UNK, applies="number")
            continue
        name = "minimum" if is_lower else "maximum"
        src = bn if bn is not None else bo
        assert src is not None
        prefix = ("exclusive_" + name) if src[2].startswith("exclusive") else name
        p = ctx.ptr + "/" + src[2]
        if bo is None:
            assert bn is not None
            w.emit(prefix + "_added", ctx, before, after, BR, OK, ptr=p, applies="number",
                      cand_b=_around(bn[0]), **extra)
            continue
        if bn is None:
            w.emit(prefix + "_removed", ctx, before, after, OK, BR, ptr=p, applies="number",
                      cand_f=_around(bo[0]), **extra)
            continue
        # Stricter: a lower bound that rises (or becomes exclusive at the same value).
        if is_lower:
            stricter = bn[0] > bo[0] or (bn[0] == bo[0] and bn[1] and not bo[1])
        else:
            stricter = bn[0] < bo[0] or (bn[0] == bo[0] and bn[1] and not bo[1])
        grew = "increased" if bn[0] > bo[0] or (bn[0] == bo[0] and is_lower == stricter) else "decreased"
        cands = _around(bo[0]) + _around(bn[0])
        w.emit(f"{prefix}_{grew}", ctx, before, after, BR if stricter else OK,
                  OK if stricter else BR, ptr=p, applies="number", cand_b=cands, cand_f=cands,
                  **extra)
    mo, mn = o.get("multipleOf"), n.get("multipleOf")
    if "multipleOf" in o or "multipleOf" in n:
        a, b = number(mo), number(mn)
        p = ctx.ptr + "/multipleOf"
        if ("multipleOf" in o and (a is None or a <= 0)) or ("multipleOf" in n and (b is None or b <= 0)):
            if not json_equal(mo, mn):
                w.emit("invalid_keyword_changed", ctx, mo, mn, UNK, UNK, ptr=p, applies="number")
        elif a is None and b is not None:
            w.emit("multiple_of_added", ctx, None, mn, BR, OK, ptr=p, applies="number",
                      cand_b=[_num(b / 2), _num(b + b / 3)], **extra)
        elif b is None and a is not None:
            w.emit("multiple_of_removed", ctx, mo, None, OK, BR, ptr=p, applies="number",
                      cand_f=[_num(a / 2), _num(a + a / 3)], **extra)
        elif a is not None and b is not None and a != b:
            back = OK if (a / b).denominator == 1 else BR
            fwd = OK if (b / a).denominator == 1 else BR
            w.emit("multiple_of_changed", ctx, mo, mn, back, fwd, ptr=p, applies="number",
                      cand_b=[_num(a), _num(a * 3)], cand_f=[_num(b), _num(b * 3)],
                      **extra)


def _num(v: Fraction) -> int | float:
    return int(v) if v.denominator == 1 else float(v)


def _around(v: Fraction) -> list[Any]:
    return [_num(v), _num(v - 1), _num(v + 1), _num(v - Fraction(1, 2)),
            _num(v + Fraction(1, 2))]


def bound(w: Walk, o: dict[str, Any], n: dict[str, Any], ctx: Ctx, kw: str, prefix: str,
           lower: bool, applies: str, default: int | None = None,
           cands: tuple[list[Any], list[Any]] | None = None, extra: dict[str, Any] | None = None) -> None:
    """A non-negative integer bound (minLength, maxItems, minContains, …)."""
    a, b = o.get(kw, default), n.get(kw, default)
    if json_equal(a, b):
        return
    p = ctx.ptr + "/" + kw
    va, vb = number(a) if a is not None else None, number(b) if b is not None else None
    if (a is not None and va is None) or (b is not None and vb is None):
        w.emit("invalid_keyword_changed", ctx, o.get(kw), n.get(kw), UNK, UNK, ptr=p, applies=applies)
        return
    cb, cf = cands or ([], [])
    ex = extra or {}
    if va is None:
        w.emit(prefix + "_added", ctx, None, n.get(kw), BR, OK, ptr=p, applies=applies,
                  cand_b=cb, **ex)
    elif vb is None:
        w.emit(prefix + "_removed", ctx, o.get(kw), None, OK, BR, ptr=p, applies=applies,
                  cand_f=cf, **ex)
    elif vb > va:
        w.emit(prefix + "_increased", ctx, o.get(kw), n.get(kw), BR if lower else OK,
                  OK if lower else BR, ptr=p, applies=applies, cand_b=cb, cand_f=cf, **ex)
    elif vb < va:
        w.emit(prefix + "_decreased", ctx, o.get(kw), n.get(kw), OK if lower else BR,
                  BR if lower else OK, ptr=p, applies=applies, cand_b=cb, cand_f=cf, **ex)
