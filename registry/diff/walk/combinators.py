"""The walk's combinators: allOf, anyOf, oneOf (reordered branches matched), not, if/then/else."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry.diff.normalize import Side, finite_values, json_equal, types_of
from registry.diff.walk.core import BR, OK, UNK, Ctx, Gen, Walk
from registry.diff.walk.objects import _dict


def _signature(w: Walk, side: Side, node: Any, base: str) -> tuple[Any, ...]:
    ref = node.get("$ref") if isinstance(node, dict) else None
    try:
        e, _ = side.expand(node, base)
    except Exception:
        return (ref, None, None)
    if not isinstance(e, dict):
        return (ref, None, e)
    vals = finite_values(e)
    return (ref, frozenset(vals) if vals is not None else None, types_of(e))


def pair(w: Walk, olds: list[Any], ob: str, news: list[Any], nb: str) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Match reordered branches: equal first, then same $ref / values / types, then position."""
    left_o = list(range(len(olds)))
    left_n = list(range(len(news)))
    pairs: list[tuple[int, int]] = []
    for j in list(left_n):
        for i in left_o:
            if json_equal(olds[i], news[j], refs_ok=False):
                pairs.append((i, j))
                left_o.remove(i)
                left_n.remove(j)
                break
    sig_o = {i: _signature(w, w.old, olds[i], ob) for i in left_o}
    sig_n = {j: _signature(w, w.new, news[j], nb) for j in left_n}
    for level in (0, 1, 2):
        for j in list(left_n):
            for i in left_o:
                so, sn = sig_o[i], sig_n[j]
                if so[level] is not None and so[level] == sn[level]:
                    pairs.append((i, j))
                    left_o.remove(i)
                    left_n.remove(j)
                    break
    if len(left_o) == len(left_n):
        pairs += list(zip(left_o, left_n, strict=True))
        left_o, left_n = [], []
    return sorted(pairs, key=lambda p: p[1]), left_o, left_n


def _disjoint_branches(side: Side, branches: list[Any], base: str) -> bool:
    """Are the branches pairwise disjoint (distinct types, values or discriminators)?"""
    sigs: list[tuple[str, Any, Any]] = []
    for b in branches:
        try:
            e, eb = side.expand(b, base)
        except Exception:
            return False
        if e is False:
            sigs.append(("false", None, None))
            continue
        if not isinstance(e, dict):
            return False
        disc: dict[str, Any] = {}
        props = _dict(e, "properties")
        req = e.get("required") if isinstance(e.get("required"), list) else []
        assert isinstance(req, list)
        for name in req:
            if isinstance(name, str) and name in props:
                try:
                    pe, _ = side.expand(props[name], eb)
                except Exception:
                    continue
                if isinstance(pe, dict):
                    vals = finite_values(pe)
                    if vals is not None:
                        disc[name] = set(vals)
        vals = finite_values(e)
        sigs.append(("s", types_of(e), (set(vals) if vals is not None else None, disc)))
    for i in range(len(sigs)):
        for j in range(i + 1, len(sigs)):
            a, b = sigs[i], sigs[j]
            if a[0] == "false" or b[0] == "false":
                continue
            if not (a[1] & b[1]):
                continue
            va, da = a[2]
            vb, db = b[2]
            if va is not None and vb is not None and not (va & vb):
                continue
            if any(k in db and not (da[k] & db[k]) for k in da):
                continue
            return False
    return True


def combinators(w: Walk, o: dict[str, Any], ob: str, n: dict[str, Any], nb: str, ctx: Ctx) -> None:
    """allOf, anyOf, oneOf, not, if/then/else."""
    extra: dict[str, Any] = {"old": o, "old_base": ob, "new": n, "new_base": nb}
    for kw, snake in (("allOf", "all_of"), ("anyOf", "any_of"), ("oneOf", "one_of")):
        lo = o.get(kw) if isinstance(o.get(kw), list) else None
        ln = n.get(kw) if isinstance(n.get(kw), list) else None
        if lo is None and ln is None:
            continue
        p = ctx.ptr + "/" + kw
        conj = kw == "allOf"
        if lo is None:
            w.emit(f"{snake}_added", ctx, None, ln, BR, OK, ptr=p, cand_b=[Gen("sample", "old")], **extra)
            continue
        if ln is None:
            w.emit(f"{snake}_removed", ctx, lo, None, OK, BR, ptr=p, cand_f=[Gen("sample", "new")], **extra)
            continue
        if json_equal(lo, ln, refs_ok=False):
            continue
        if kw == "oneOf" and not (_disjoint_branches(w.old, lo, ob)
                                  and _disjoint_branches(w.new, ln, nb)):
            b, f = w.silent({"anyOf": lo}, ob, {"anyOf": ln}, nb, ctx)
            if b != OK or f != OK or len(lo) != len(ln):
                w.emit("one_of_changed", ctx, lo, ln, UNK, UNK, ptr=p,
                          cand_b=[Gen("sample", "old")], cand_f=[Gen("sample", "new")], **extra)
            continue
        pairs, gone, new_only = pair(w, lo, ob, ln, nb)
        for i, j in pairs:
            sub = replace(ctx, ptr=f"{p}/{j}", disjunctive=ctx.disjunctive or not conj, in_place=True)
            w.compare(lo[i], ob, ln[j], nb, sub)
        # The branch itself is the local schema whose samples can separate the two sides.
        for i in gone:
            w.emit(f"{snake}_branch_removed", replace(ctx, disjunctive=ctx.disjunctive or not conj),
                      lo[i], None, OK if conj else BR, BR if conj else OK, ptr=f"{p}/{i}",
                      cand_b=[Gen("sample", "old")], cand_f=[Gen("sample", "new")],
                      old=lo[i] if not conj else o, old_base=ob, new=n, new_base=nb)
        for j in new_only:
            w.emit(f"{snake}_branch_added", replace(ctx, disjunctive=ctx.disjunctive or not conj),
                      None, ln[j], BR if conj else OK, OK if conj else BR, ptr=f"{p}/{j}",
                      cand_b=[Gen("sample", "old")], cand_f=[Gen("sample", "new")],
                      old=o, old_base=ob, new=ln[j] if not conj else n, new_base=nb)
    if "not" in o or "not" in n:
        p = ctx.ptr + "/not"
        if "not" not in o:
            w.emit("not_added", ctx, None, n["not"], BR, OK, ptr=p, cand_b=[Gen("sample", "old")], **extra)
        elif "not" not in n:
            w.emit("not_removed", ctx, o["not"], None, OK, BR, ptr=p, cand_f=[Gen("sample", "new")], **extra)
        else:
            w.compare(o["not"], ob, n["not"], nb,
                         replace(ctx, ptr=p, swapped=not ctx.swapped, b_vac=ctx.f_vac,
                                 f_vac=ctx.b_vac, disjunctive=True, title=None, in_place=True))
    if "if" in o or "if" in n:
        p = ctx.ptr + "/if"
        if "if" not in o:
            if "then" in n or "else" in n:
                w.emit("conditional_added", ctx, None, {k: n[k] for k in ("if", "then", "else") if k in n},
                          BR, OK, ptr=p, cand_b=[Gen("sample", "old")], **extra)
        elif "if" not in n:
            if "then" in o or "else" in o:
                w.emit("conditional_removed", ctx, {k: o[k] for k in ("if", "then", "else") if k in o},
                          None, OK, BR, ptr=p, cand_f=[Gen("sample", "new")], **extra)
        elif not w.same(o["if"], ob, n["if"], nb, replace(ctx, ptr=p)):
            w.emit("conditional_changed", ctx, o["if"], n["if"], UNK, UNK, ptr=p,
                      cand_b=[Gen("sample", "old")], cand_f=[Gen("sample", "new")], **extra)
        else:
            for kw in ("then", "else"):
                if kw in o or kw in n:
                    w.compare(o.get(kw, True), ob, n.get(kw, True), nb,
                                 replace(ctx, ptr=ctx.ptr + "/" + kw, disjunctive=True, in_place=True))
