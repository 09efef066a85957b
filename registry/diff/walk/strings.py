"""The walk's string family: ``minLength``/``maxLength``, ``pattern``, ``format``."""

from __future__ import annotations

from typing import Any

from registry.diff.walk.core import BR, OK, UNK, Ctx, Gen, Walk
from registry.diff.walk.numbers import bound


def strings(w: Walk, o: dict[str, Any], n: dict[str, Any], ctx: Ctx, loc: tuple[Any, ...]) -> None:
    """Lengths, ``pattern`` and ``format``."""
    extra: dict[str, Any] = {"old": loc[0], "old_base": loc[1], "new": loc[2], "new_base": loc[3]}

    def strs(s: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        for kw in ("minLength", "maxLength"):
            v = s.get(kw)
            if isinstance(v, int) and not isinstance(v, bool) and v < 10_000:
                out += [Gen("string", v), Gen("string", v + 1), Gen("string", max(v - 1, 0))]
        return out

    c = (strs(o) + strs(n), strs(n) + strs(o))
    bound(w, o, n, ctx, "minLength", "min_length", True, "string", cands=c, extra=extra)
    bound(w, o, n, ctx, "maxLength", "max_length", False, "string", cands=c, extra=extra)
    po, pn = o.get("pattern"), n.get("pattern")
    if po != pn:
        p = ctx.ptr + "/pattern"
        gen = [Gen("typed", "string"), "", "a", "0", "あ"]
        if po is None:
            w.emit("pattern_added", ctx, None, pn, BR, OK, ptr=p, applies="string", cand_b=gen, **extra)
        elif pn is None:
            w.emit("pattern_removed", ctx, po, None, OK, BR, ptr=p, applies="string", cand_f=gen, **extra)
        else:
            w.emit("pattern_changed", ctx, po, pn, UNK, UNK, ptr=p, applies="string",
                      cand_b=gen, cand_f=gen, **extra)
    fo, fn = o.get("format"), n.get("format")
    if fo != fn:
        p = ctx.ptr + "/format"
        on = w.policy.format_assertion
        gen = ["a", "", Gen("typed", "string")]
        if fo is None:
            w.emit("format_added", ctx, None, fn, BR if on else OK, OK, ptr=p,
                      applies="string", cosmetic=not on, cand_b=gen, **extra)
        elif fn is None:
            w.emit("format_removed", ctx, fo, None, OK, BR if on else OK, ptr=p,
                      applies="string", cosmetic=not on, cand_f=gen, **extra)
        else:
            w.emit("format_changed", ctx, fo, fn, UNK if on else OK, UNK if on else OK,
                      ptr=p, applies="string", cosmetic=not on, cand_b=gen, cand_f=gen, **extra)
