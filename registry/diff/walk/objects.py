"""The walk's object family: properties, required, additionalProperties, patternProperties, propertyNames, size bounds, dependent*, unevaluatedProperties."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from registry.diff.model import combine
from registry.diff.normalize import Side, json_equal
from registry.diff.walk.core import BR, OK, UNK, Ctx, Gen, Walk, field_of
from registry.diff.walk.numbers import bound
from registry.syntax import pointers, regexes


def _dict(s: dict[str, Any], kw: str) -> dict[str, Any]:
    v = s.get(kw)
    return v if isinstance(v, dict) else {}


def _eff_prop(s: dict[str, Any], name: str) -> tuple[Any, bool]:
    """The subschema applied to property ``name`` by ``s`` and whether ``s`` declares it."""
    props = _dict(s, "properties")
    if name in props:
        return props[name], True
    matched = [v for p, v in _dict(s, "patternProperties").items() if _safe_search(p, name)]
    if matched:
        return (matched[0] if len(matched) == 1 else {"allOf": matched}), True
    return s.get("additionalProperties", True), False


def _declared(side: Side, node: dict[str, Any], base: str, depth: int = 0) -> tuple[set[str], list[str]]:
    """Property names and patterns declared for this instance, in-place branches included."""
    names = set(_dict(node, "properties"))
    pats = list(_dict(node, "patternProperties"))
    if depth > 6:
        return names, pats
    branches: list[Any] = []
    for kw in ("allOf", "anyOf", "oneOf"):
        if isinstance(node.get(kw), list):
            branches += node[kw]
    branches += [node[kw] for kw in ("if", "then", "else") if kw in node]
    branches += list(_dict(node, "dependentSchemas").values())
    for b in branches:
        try:
            e, eb = side.expand(b, base)
        except Exception:
            continue
        if isinstance(e, dict):
            more_n, more_p = _declared(side, e, eb, depth + 1)
            names |= more_n
            pats += [x for x in more_p if x not in pats]
    return names, pats


def objects(w: Walk, o: dict[str, Any], ob: str, n: dict[str, Any], nb: str, ctx: Ctx) -> None:
    """properties, required, additionalProperties, patternProperties, propertyNames, …"""
    lenient = not w.policy.is_strict
    # Object keywords say nothing about non-objects: a side that admits no object is vacuous.
    ctx = replace(ctx, b_vac=ctx.b_vac or "object" not in ctx.o_types,
                  f_vac=ctx.f_vac or "object" not in ctx.n_types)
    po, pn = _dict(o, "properties"), _dict(n, "properties")
    ctx_o = replace(ctx, title=None, in_place=False)
    lenient_here = lenient and not ctx.in_place
    names_o, pats_o = _declared(w.old, o, ob)
    names_n, pats_n = _declared(w.new, n, nb)
    for name in dict.fromkeys([*pn, *po]):
        ip = (*ctx.ipath, ("p", name)) if ctx.ipath is not None else None
        sub = replace(ctx_o, ptr=ctx.ptr + "/properties/" + pointers.escape(name), ipath=ip)
        if name in po and name in pn:
            w.compare(po[name], ob, pn[name], nb, sub)
            continue
        eo, _ = _eff_prop(o, name)
        en, _ = _eff_prop(n, name)
        # Lenient: is the name declared anywhere in this object's schema (branches included)?
        declared_o = name in names_o or any(_safe_search(pt, name) for pt in pats_o)
        declared_n = name in names_n or any(_safe_search(pt, name) for pt in pats_n)
        title = _title_of(pn.get(name, po.get(name)))
        sub = replace(sub, title=title)
        b, f = w.silent(eo, ob, en, nb, sub)
        if lenient_here and not declared_o:
            b = OK
        if lenient_here and not declared_n:
            f = OK
        if name in pn:
            w.emit("property_added", sub, None, pn[name], b, f, applies="object",
                      old=eo, old_base=ob, new=en, new_base=nb,
                      cand_b=[0, "", "x", None, True, [], {}, Gen("typed", "string")], cand_f=[Gen("sample", "new")])
        else:
            w.emit("property_removed", sub, po[name], None, b, f, applies="object",
                      old=eo, old_base=ob, new=en, new_base=nb,
                      cand_b=[Gen("sample", "old")], cand_f=[0, "", "x", None, True, [], {}, Gen("typed", "string")])
    obj_extra: dict[str, Any] = {"old": o, "old_base": ob, "new": n, "new_base": nb}
    ro = [r for r in o.get("required", []) if isinstance(r, str)] if isinstance(o.get("required"), list) else []
    rn = [r for r in n.get("required", []) if isinstance(r, str)] if isinstance(n.get("required"), list) else []
    so, sn = set(ro), set(rn)
    for r in rn:
        if r not in so:
            w.emit("required_added", replace(ctx, title=_title_of(pn.get(r))), None, r, BR, OK,
                      ptr=ctx.ptr + "/required", applies="object", cand_b=[Gen("sample", "old")],
                      field=field_of(ctx.ipath) + "/" + pointers.escape(r), **obj_extra)
    for r in ro:
        if r not in sn:
            w.emit("required_removed", replace(ctx, title=_title_of(po.get(r))), r, None, OK, BR,
                      ptr=ctx.ptr + "/required", applies="object", cand_f=[Gen("sample", "new")],
                      field=field_of(ctx.ipath) + "/" + pointers.escape(r), **obj_extra)
    # Undeclared keys are vacuous under lenient only when no branch declares more names.
    plain = (names_o == set(po) and names_n == set(pn)
             and set(pats_o) == set(_dict(o, "patternProperties"))
             and set(pats_n) == set(_dict(n, "patternProperties")))
    _pattern_and_additional(w, o, ob, n, nb, replace(ctx, in_place=False), lenient_here,
                                 lenient_here and plain)
    if "propertyNames" in o or "propertyNames" in n:
        p = ctx.ptr + "/propertyNames"
        if "propertyNames" not in o:
            w.emit("property_names_added", ctx, None, n["propertyNames"], BR, OK, ptr=p, applies="object")
        elif "propertyNames" not in n:
            w.emit("property_names_removed", ctx, o["propertyNames"], None, OK, BR, ptr=p, applies="object")
        else:
            w.compare(o["propertyNames"], ob, n["propertyNames"], nb,
                         replace(ctx, ptr=p, ipath=None, title=None, in_place=False))
    bound(w, o, n, ctx, "minProperties", "min_properties", True, "object")
    bound(w, o, n, ctx, "maxProperties", "max_properties", False, "object")
    dro, drn = _dict(o, "dependentRequired"), _dict(n, "dependentRequired")
    pairs_o = {(k, d) for k, v in dro.items() if isinstance(v, list) for d in v if isinstance(d, str)}
    pairs_n = {(k, d) for k, v in drn.items() if isinstance(v, list) for d in v if isinstance(d, str)}
    for k, d in sorted(pairs_n - pairs_o):
        w.emit("dependent_required_added", ctx, None, {k: [d]}, BR, OK,
                  ptr=ctx.ptr + "/dependentRequired/" + pointers.escape(k), applies="object")
    for k, d in sorted(pairs_o - pairs_n):
        w.emit("dependent_required_removed", ctx, {k: [d]}, None, OK, BR,
                  ptr=ctx.ptr + "/dependentRequired/" + pointers.escape(k), applies="object")
    dso, dsn = _dict(o, "dependentSchemas"), _dict(n, "dependentSchemas")
    for k in dict.fromkeys([*dsn, *dso]):
        p = ctx.ptr + "/dependentSchemas/" + pointers.escape(k)
        if k in dso and k in dsn:
            w.compare(dso[k], ob, dsn[k], nb, replace(ctx, ptr=p, disjunctive=True, in_place=True))
        elif k in dsn:
            w.emit("dependent_schemas_added", ctx, None, dsn[k], BR, OK, ptr=p, applies="object")
        else:
            w.emit("dependent_schemas_removed", ctx, dso[k], None, OK, BR, ptr=p, applies="object")
    if "unevaluatedProperties" in o or "unevaluatedProperties" in n:
        deps = ("additionalProperties", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
                "dependentSchemas", "unevaluatedProperties", "$ref")
        same = (set(po) == set(pn)
                and set(_dict(o, "patternProperties")) == set(_dict(n, "patternProperties"))
                and all((k in o) == (k in n) and w.same(o.get(k), ob, n.get(k), nb, ctx) for k in deps))
        if not same:
            w.emit("unevaluated_properties_changed", ctx, o.get("unevaluatedProperties"),
                      n.get("unevaluatedProperties"), UNK, UNK,
                      ptr=ctx.ptr + "/unevaluatedProperties", applies="object", **obj_extra)


def _pattern_and_additional(w: Walk, o: dict[str, Any], ob: str, n: dict[str, Any], nb: str,
                            ctx: Ctx, lenient: bool, rest_vacuous: bool) -> None:
    ppo, ppn = _dict(o, "patternProperties"), _dict(n, "patternProperties")
    for pat in dict.fromkeys([*ppn, *ppo]):
        p = ctx.ptr + "/patternProperties/" + pointers.escape(pat)
        sub = replace(ctx, ptr=p, ipath=None, title=None)
        if pat in ppo and pat in ppn:
            w.compare(ppo[pat], ob, ppn[pat], nb, sub)
            continue
        only_one = (len(ppo) == 0 and len(ppn) == 1) or (len(ppn) == 0 and len(ppo) == 1)
        # A pattern applies to named properties too: any that match make the answer unknown.
        named = [k for k in {**_dict(o, "properties"), **_dict(n, "properties")}
                 if _safe_search(pat, k)]
        if only_one:
            if pat in ppn:
                b, f = w.silent(o.get("additionalProperties", True), ob, ppn[pat], nb, sub)
                b = OK if lenient else b
                b = combine([b, UNK]) if named else b
            else:
                b, f = w.silent(ppo[pat], ob, n.get("additionalProperties", True), nb, sub)
                f = OK if lenient else f
                f = combine([f, UNK]) if named else f
        else:
            b, f = UNK, UNK
        kind = "pattern_properties_added" if pat in ppn else "pattern_properties_removed"
        w.emit(kind, ctx, ppo.get(pat), ppn.get(pat), b, f, ptr=p, applies="object")
    ao, an = o.get("additionalProperties", True), n.get("additionalProperties", True)
    if json_equal(ao, an, refs_ok=False):
        return
    p = ctx.ptr + "/additionalProperties"
    names = set(_dict(o, "properties")) | set(_dict(n, "properties"))
    key = "extra"
    while key in names:
        key += "_"
    ip = (*ctx.ipath, ("x", key)) if ctx.ipath is not None else None
    sub = replace(ctx, ptr=p, ipath=ip, title=None, b_vac=ctx.b_vac or rest_vacuous,
                  f_vac=ctx.f_vac or rest_vacuous)
    if set(ppo) != set(ppn):
        sub = replace(sub, ipath=None)
    extra: dict[str, Any] = {"old": o, "old_base": ob, "new": n, "new_base": nb}
    gen: list[Any] = [0, "", None, True, [], {}]
    if an is False:
        w.emit("additional_properties_closed", sub, ao, False, BR, OK, cand_b=gen, **extra)
    elif ao is False:
        w.emit("additional_properties_opened", sub, False, an, OK, BR, cand_f=[Gen("sample", "new")], **extra)
    elif ao is True or ao == {}:
        b, f = w.silent(ao, ob, an, nb, sub)
        w.emit("additional_properties_added", sub, None, an, b, f, cand_b=gen, **extra)
    elif an is True or an == {}:
        b, f = w.silent(ao, ob, an, nb, sub)
        w.emit("additional_properties_removed", sub, ao, None, b, f, cand_f=gen, **extra)
    else:
        w.compare(ao, ob, an, nb, sub)


def _safe_search(pattern: str, name: str) -> bool:
    try:
        return regexes.search(pattern, name)
    except Exception:
        return False


def _title_of(node: Any) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("title"), str):
        return str(node["title"])
    return None
