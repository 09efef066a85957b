"""The walk's value families: annotations and identifiers, ``type`` as sets, ``enum``/``const`` as finite sets."""

from __future__ import annotations

from typing import Any

from registry.diff.normalize import (
    ALL_TYPES,
    ANNOTATION_KEYS,
    ASSERTION_KEYS,
    CONTAINER_KEYS,
    IDENTIFIER_KEYS,
    canon,
    finite_values,
    json_equal,
)
from registry.diff.walk.core import BR, OK, Ctx, Gen, Walk
from registry.syntax import pointers

MAX_VALUE_CHANGES = 20  # per-value enum changes; more are reported as one change


def cosmetics(w: Walk, o: dict[str, Any], n: dict[str, Any], ctx: Ctx) -> None:
    """Annotations, identifiers and unknown keywords: they never change the value set."""
    for k in dict.fromkeys([*o, *n]):
        if k in ASSERTION_KEYS or k in CONTAINER_KEYS:
            continue
        a, b = o.get(k), n.get(k)
        if (k in o) == (k in n) and json_equal(a, b):
            continue
        p = ctx.ptr + "/" + pointers.escape(k)
        if k == "x-yoshiki-locked":
            w.emit("locked_changed", ctx, a, b, OK, OK, ptr=p, cosmetic=True)
        elif k == "default":
            dflt = w.policy.default_is_annotation
            w.emit("default_changed", ctx, a, b, OK, OK, ptr=p, cosmetic=dflt,
                      behavioural=not dflt)
        elif k in IDENTIFIER_KEYS:
            w.emit("identifier_changed", ctx, a, b, OK, OK, ptr=p, cosmetic=True)
        elif k in ANNOTATION_KEYS or k.startswith("x-"):
            w.emit("annotation_changed", ctx, a, b, OK, OK, ptr=p, cosmetic=True)
        else:
            w.emit("unknown_keyword_changed", ctx, a, b, OK, OK, ptr=p, cosmetic=True)


def types(w: Walk, o: dict[str, Any], n: dict[str, Any], ctx: Ctx, loc: tuple[Any, ...]) -> None:
    """``type`` as sets, integer ⊂ number."""
    to, tn = ctx.o_types, ctx.n_types
    if to == tn:
        return
    lost, gained = to - tn, tn - to
    p = ctx.ptr + "/type"
    kind = "type_narrowed" if not gained else "type_widened" if not lost else "type_changed"
    cb = [_typed_sample(loc[0], t) for t in sorted(lost)]
    cf = [_typed_sample(loc[2], t) for t in sorted(gained)]
    w.emit(kind, ctx, o.get("type"), n.get("type"), BR if lost else OK, BR if gained else OK,
              ptr=p, old=loc[0], old_base=loc[1], new=loc[2], new_base=loc[3], cand_b=cb,
              cand_f=cf)


def _typed_sample(schema: dict[str, Any], t: str) -> Any:
    return Gen("typed", t)  # resolved by the witness builder against the local schema


def values(w: Walk, o: dict[str, Any], n: dict[str, Any], ctx: Ctx, loc: tuple[Any, ...]) -> None:
    """``enum`` and ``const`` as finite sets of JSON values (only those the type admits)."""
    vo, vn = _admitted(finite_values(o), ctx.o_types), _admitted(finite_values(n), ctx.n_types)
    if vo is None and vn is not None:
        vo = _implied(ctx.o_types)
    if vn is None and vo is not None:
        vn = _implied(ctx.n_types)
    if vo is None and vn is None:
        return
    p_o = ctx.ptr + ("/const" if "const" in o and "enum" not in o else "/enum")
    p_n = ctx.ptr + ("/const" if "const" in n and "enum" not in n else "/enum")
    extra: dict[str, Any] = {"old": loc[0], "old_base": loc[1], "new": loc[2], "new_base": loc[3]}
    if vo is None and vn is not None:
        w.emit("enum_added", ctx, None, list(vn.values()), BR, OK, ptr=p_n, **extra)
        return
    if vn is None and vo is not None:
        w.emit("enum_removed", ctx, list(vo.values()), None, OK, BR, ptr=p_o, **extra)
        return
    assert vo is not None
    assert vn is not None
    removed = [v for k, v in vo.items() if k not in vn]
    added = [v for k, v in vn.items() if k not in vo]
    if not removed and not added:
        return
    if ("const" in o and "enum" not in o and "const" in n and "enum" not in n
            and len(removed) == 1 and len(added) == 1):
        w.emit("const_changed", ctx, o["const"], n["const"], BR, BR, ptr=p_n,
                  cand_b=removed, cand_f=added, **extra)
        return
    for vals, kind, ptr in ((removed, "enum_value_removed", p_o), (added, "enum_value_added", p_n)):
        is_removed = kind == "enum_value_removed"
        if len(vals) > MAX_VALUE_CHANGES:
            w.emit(kind, ctx, vals if is_removed else None, None if is_removed else vals,
                      BR if is_removed else OK, OK if is_removed else BR, ptr=ptr,
                      cand_b=vals[:3] if is_removed else None,
                      cand_f=None if is_removed else vals[:3], **extra)
            continue
        labels = (o if is_removed else n).get("x-yoshiki-enum-labels")
        for v in vals:
            w.emit(kind, ctx, v if is_removed else None, None if is_removed else v,
                      BR if is_removed else OK, OK if is_removed else BR, ptr=ptr,
                      cand_b=[v] if is_removed else None, cand_f=None if is_removed else [v],
                      **extra)
            if isinstance(labels, dict) and isinstance(v, str) and isinstance(labels.get(v), str):
                w.pending[-1].change.value_label = labels[v]


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer()):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def _admitted(vals: dict[Any, Any] | None, types: frozenset[str]) -> dict[Any, Any] | None:
    # A value the type excludes is not in the value set, whatever enum says.
    if vals is None or types == ALL_TYPES:
        return vals
    return {k: v for k, v in vals.items() if _json_type(v) in types}


def _implied(types: frozenset[str]) -> dict[Any, Any] | None:
    # "boolean"/"null" types are finite sets of their own.
    if types and types <= {"boolean", "null"}:
        out: dict[Any, Any] = {}
        if "boolean" in types:
            out[canon(True)] = True
            out[canon(False)] = False
        if "null" in types:
            out[canon(None)] = None
        return out
    return None
