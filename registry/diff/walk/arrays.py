"""The walk's array family: prefixItems/items, contains with min/maxContains, size bounds, uniqueItems, unevaluatedItems."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry.diff.normalize import json_equal
from registry.diff.walk.core import BR, OK, UNK, Ctx, Walk
from registry.diff.walk.numbers import bound


def arrays(w: Walk, o: dict[str, Any], ob: str, n: dict[str, Any], nb: str, ctx: Ctx) -> None:
    """prefixItems/items, contains with min/maxContains, min/maxItems, uniqueItems."""
    ctx = replace(ctx, b_vac=ctx.b_vac or "array" not in ctx.o_types,
                  f_vac=ctx.f_vac or "array" not in ctx.n_types, in_place=False)
    pxo = o.get("prefixItems") if isinstance(o.get("prefixItems"), list) else []
    pxn = n.get("prefixItems") if isinstance(n.get("prefixItems"), list) else []
    assert isinstance(pxo, list)
    assert isinstance(pxn, list)
    io, in_ = o.get("items", True), n.get("items", True)
    for i in range(max(len(pxo), len(pxn))):
        p = ctx.ptr + f"/prefixItems/{i}"
        ip = (*ctx.ipath, ("i", i)) if ctx.ipath is not None else None
        sub = replace(ctx, ptr=p, ipath=ip, title=None)
        if i < len(pxo) and i < len(pxn):
            w.compare(pxo[i], ob, pxn[i], nb, sub)
        elif i < len(pxn):
            b, f = w.silent(io, ob, pxn[i], nb, sub)
            w.emit("prefix_items_added", sub, None, pxn[i], b, f, applies="array")
        else:
            b, f = w.silent(pxo[i], ob, in_, nb, sub)
            w.emit("prefix_items_removed", sub, pxo[i], None, b, f, applies="array")
    if not json_equal(io, in_, refs_ok=False):
        start = max(len(pxo), len(pxn))
        ip = (*ctx.ipath, ("*", start)) if ctx.ipath is not None else None
        sub = replace(ctx, ptr=ctx.ptr + "/items", ipath=ip, title=None)
        extra: dict[str, Any] = {"old": o, "old_base": ob, "new": n, "new_base": nb}
        if in_ is False:
            w.emit("items_closed", sub, io, False, BR, OK, applies="array", **extra)
        elif io is False:
            w.emit("items_opened", sub, False, in_, OK, BR, applies="array", **extra)
        elif io is True or io == {}:
            b, f = w.silent(io, ob, in_, nb, sub)
            w.emit("items_added", sub, None, in_, b, f, applies="array", **extra)
        elif in_ is True or in_ == {}:
            b, f = w.silent(io, ob, in_, nb, sub)
            w.emit("items_removed", sub, io, None, b, f, applies="array", **extra)
        else:
            w.compare(io, ob, in_, nb, sub)
    co, cn = o.get("contains"), n.get("contains")
    if co is not None or cn is not None:
        p = ctx.ptr + "/contains"
        # A witness puts the element first; the field reads "/*" (some element).
        ip = (*ctx.ipath, ("*", 0)) if ctx.ipath is not None else None
        sub = replace(ctx, ptr=p, ipath=ip, title=None)
        min_n = n.get("minContains", 1)
        min_o = o.get("minContains", 1)
        if co is None:
            w.emit("contains_added", sub, None, cn, BR if min_n != 0 else OK, OK, applies="array")
        elif cn is None:
            w.emit("contains_removed", sub, co, None, OK, BR if min_o != 0 else OK, applies="array")
        else:
            if not w.same(co, ob, cn, nb, sub):
                if "maxContains" in o or "maxContains" in n:
                    w.emit("contains_changed", sub, co, cn, UNK, UNK, applies="array")
                else:
                    w.compare(co, ob, cn, nb, replace(sub, disjunctive=True))
            bound(w, o, n, ctx, "minContains", "min_contains", True, "array", default=1)
            bound(w, o, n, ctx, "maxContains", "max_contains", False, "array")
    bound(w, o, n, ctx, "minItems", "min_items", True, "array")
    bound(w, o, n, ctx, "maxItems", "max_items", False, "array")
    uo, un = o.get("uniqueItems") is True, n.get("uniqueItems") is True
    if uo != un:
        p = ctx.ptr + "/uniqueItems"
        if un:
            w.emit("unique_items_added", ctx, o.get("uniqueItems"), True, BR, OK, ptr=p, applies="array")
        else:
            w.emit("unique_items_removed", ctx, True, n.get("uniqueItems"), OK, BR, ptr=p, applies="array")
    if "unevaluatedItems" in o or "unevaluatedItems" in n:
        deps = ("items", "prefixItems", "contains", "allOf", "anyOf", "oneOf", "not", "if",
                "then", "else", "unevaluatedItems", "$ref")
        if not all((k in o) == (k in n) and w.same(o.get(k), ob, n.get(k), nb, ctx) for k in deps):
            w.emit("unevaluated_items_changed", ctx, o.get("unevaluatedItems"),
                      n.get("unevaluatedItems"), UNK, UNK, ptr=ctx.ptr + "/unevaluatedItems",
                      applies="array")
