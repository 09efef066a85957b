"""Hypothesis strategies for values of a JSON Schema (the subset forms use), for soundness tests.

hypothesis-jsonschema cannot serve here: it does not know 2020-12 (``prefixItems``,
``dependentRequired``), its object strategy breaks with the installed Hypothesis, and it reads
``pattern`` with Python's ``re``. This generator aims at values that are *likely* valid; the tests
keep only values jsonschema-rs accepts, so it need not be exact — only varied near the edges
(bounds, lengths, optional properties, extra keys under strict).
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from registry.syntax.refs import Resolver

Located = tuple[str, Any]  # (base URI, subschema)
ALPHABET = st.sampled_from("aあア0-_ 漢ー１@.")
TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
MAX_DEPTH = 6


@dataclass
class Context:
    """What generation needs besides the schema."""

    resolver: Resolver
    extras: bool  # strict policy: objects may carry keys the schema does not declare
    key_pool: list[str] = field(default_factory=lambda: ["x", "extra", "x-memo"])


def any_json(ctx: Context) -> st.SearchStrategy[Any]:
    """Small arbitrary JSON values, with keys from the pool (names either schema mentions)."""
    scalars = (st.none() | st.booleans() | st.integers(-3, 300) | st.sampled_from([0.5, -1.5, 1e3])
               | st.text(ALPHABET, max_size=6))
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.sampled_from(ctx.key_pool), inner, max_size=3),
                        max_leaves=6)


def _flatten(located: list[Located], ctx: Context) -> tuple[list[Located], list[list[Located]]] | None:
    """Split a conjunction into plain schemas and anyOf/oneOf choice groups; None if ``false``."""
    flat: list[Located] = []
    groups: list[list[Located]] = []
    todo = list(located)
    steps = 0
    while todo and steps < 200:
        steps += 1
        base, schema = todo.pop(0)
        if schema is True:
            continue
        if schema is False:
            return None
        if not isinstance(schema, dict):
            continue
        base = Resolver.base_of(base, schema)
        plain = {k: v for k, v in schema.items()
                 if k not in ("$ref", "allOf", "anyOf", "oneOf", "if", "then", "else")}
        flat.append((base, plain))
        if isinstance(schema.get("$ref"), str):
            try:
                todo.append(ctx.resolver.resolve(base, schema["$ref"]))
            except Exception:
                return None
        if isinstance(schema.get("allOf"), list):
            todo.extend((base, s) for s in schema["allOf"])
        for kw in ("anyOf", "oneOf"):
            if isinstance(schema.get(kw), list) and schema[kw]:
                groups.append([(base, s) for s in schema[kw]])
        # if/then/else: satisfy ``then`` unconditionally when there is no ``else`` (harmless when
        # ``if`` fails); otherwise pick ``if`` ∧ ``then`` or ``else``.
        if "then" in schema and "else" not in schema:
            todo.append((base, schema["then"]))
        elif "then" in schema and "else" in schema and "if" in schema:
            groups.append([(base, {"allOf": [schema["if"], schema["then"]]}), (base, schema["else"])])
        elif "else" in schema:
            groups.append([(base, True), (base, schema["else"])])
    return flat, groups


def values(located: list[Located], ctx: Context, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values meant to satisfy every schema in ``located`` (a conjunction)."""
    if depth > MAX_DEPTH:
        return any_json(ctx)
    split = _flatten(located, ctx)
    if split is None:
        return st.nothing()
    flat, groups = split
    if groups:
        return st.tuples(*[st.sampled_from(g) for g in groups]).flatmap(
            lambda picks: values(flat + list(picks), ctx, depth + 1))
    return _merged(flat, ctx, depth)


def _first(flat: list[Located], key: str) -> Any:
    for _, s in flat:
        if key in s:
            return s[key]
    return None


def _types(flat: list[Located]) -> list[str]:
    allowed = set(TYPES)
    declared = False
    for _, s in flat:
        t = s.get("type")
        if isinstance(t, str | list):
            declared = True
            names = {t} if isinstance(t, str) else set(t)
            if "number" in names:
                names.add("integer")
            allowed &= names
    if not declared:
        hints = {"properties": "object", "required": "object", "items": "array",
                 "prefixItems": "array", "minLength": "string", "maxLength": "string",
                 "pattern": "string", "format": "string", "minimum": "number", "maximum": "number",
                 "multipleOf": "number", "exclusiveMinimum": "number", "exclusiveMaximum": "number"}
        hinted = {hints[k] for _, s in flat for k in s if k in hints}
        if hinted:
            return sorted(hinted)
    return [t for t in TYPES if t in allowed]


def _merged(flat: list[Located], ctx: Context, depth: int) -> st.SearchStrategy[Any]:
    for key in ("const", "enum"):
        for _, s in flat:
            if key == "const" and "const" in s:
                return st.just(s["const"])
            if key == "enum" and isinstance(s.get("enum"), list) and s["enum"]:
                return st.sampled_from(s["enum"])
    types = _types(flat)
    if not types:
        return st.nothing()
    makers = {"null": lambda: st.none(), "boolean": st.booleans,
              "integer": lambda: _integers(flat), "number": lambda: _numbers(flat),
              "string": lambda: _strings(flat), "array": lambda: _arrays(flat, ctx, depth),
              "object": lambda: _objects(flat, ctx, depth)}
    return st.one_of([makers[t]() for t in types])


def _num(flat: list[Located], key: str) -> float | None:
    vals = [s[key] for _, s in flat if isinstance(s.get(key), int | float) and not isinstance(s.get(key), bool)]
    if not vals:
        return None
    return max(vals) if "inimum" in key else min(vals)


def _bounds(flat: list[Located]) -> tuple[float, float]:
    lo, hi = -1e6, 1e6
    if (v := _num(flat, "minimum")) is not None:
        lo = max(lo, v)
    if (v := _num(flat, "exclusiveMinimum")) is not None:
        lo = max(lo, v + 1e-9)
    if (v := _num(flat, "maximum")) is not None:
        hi = min(hi, v)
    if (v := _num(flat, "exclusiveMaximum")) is not None:
        hi = min(hi, v - 1e-9)
    return lo, hi


def _integers(flat: list[Located]) -> st.SearchStrategy[Any]:
    lo_f, hi_f = _bounds(flat)
    lo, hi = math.ceil(lo_f), math.floor(hi_f)
    if lo > hi:
        return st.nothing()
    step = _first(flat, "multipleOf")
    if isinstance(step, int) and not isinstance(step, bool) and step > 0:
        klo, khi = -(-lo // step), hi // step
        return st.nothing() if klo > khi else st.integers(klo, khi).map(lambda k: k * step)
    return st.integers(lo, hi) | st.sampled_from(sorted({lo, hi, min(max(0, lo), hi)}))


def _numbers(flat: list[Located]) -> st.SearchStrategy[Any]:
    lo, hi = _bounds(flat)
    if lo > hi:
        return st.nothing()
    step = _first(flat, "multipleOf")
    if isinstance(step, int | float) and not isinstance(step, bool) and step > 0:
        klo, khi = math.ceil(lo / step), math.floor(hi / step)
        return st.nothing() if klo > khi else st.integers(klo, khi).map(lambda k: k * step)
    return (st.floats(lo, hi, allow_nan=False, allow_infinity=False)
            | st.sampled_from([lo, hi, (lo + hi) / 2]) | _integers(flat))


FORMATS: dict[str, st.SearchStrategy[str]] = {
    "date": st.dates(datetime.date(1990, 1, 1), datetime.date(2040, 12, 31)).map(datetime.date.isoformat),
    "date-time": st.datetimes(datetime.datetime(2000, 1, 1), datetime.datetime(2040, 1, 1)).map(
        lambda d: d.replace(microsecond=0).isoformat() + "Z"),
    "time": st.times().map(lambda t: t.replace(microsecond=0).isoformat() + "Z"),
    "email": st.from_regex(r"[a-z]{1,6}@[a-z]{1,6}\.(jp|com)", fullmatch=True),
    "uri": st.from_regex(r"https://[a-z]{1,8}\.jp/[a-z]{0,5}", fullmatch=True),
}


def _strings(flat: list[Located]) -> st.SearchStrategy[Any]:
    lo = int(max([s["minLength"] for _, s in flat if isinstance(s.get("minLength"), int)], default=0))
    hi_all = [s["maxLength"] for _, s in flat if isinstance(s.get("maxLength"), int)]
    hi = int(min(hi_all)) if hi_all else lo + 12
    if lo > hi:
        return st.nothing()
    pattern = _first(flat, "pattern")
    if isinstance(pattern, str):
        try:
            return st.from_regex(pattern, fullmatch=True).filter(lambda x: lo <= len(x) <= hi)
        except Exception:  # Python's re cannot read every ECMA-262 pattern; plain text then
            pass
    fmt = _first(flat, "format")
    if isinstance(fmt, str) and fmt in FORMATS:
        return FORMATS[fmt] | st.text(ALPHABET, max_size=4)
    edge = st.sampled_from(sorted({lo, hi, min(hi, lo + 1)})).flatmap(
        lambda n: st.text(ALPHABET, min_size=n, max_size=n))
    return st.text(ALPHABET, min_size=lo, max_size=min(hi, lo + 12)) | edge


def _arrays(flat: list[Located], ctx: Context, depth: int) -> st.SearchStrategy[Any]:
    prefix = next(([(b, x) for x in s["prefixItems"]] for b, s in flat
                   if isinstance(s.get("prefixItems"), list)), [])
    items = [(b, s["items"]) for b, s in flat if "items" in s]
    lo = int(max([s["minItems"] for _, s in flat if isinstance(s.get("minItems"), int)], default=0))
    hi_all = [s["maxItems"] for _, s in flat if isinstance(s.get("maxItems"), int)]
    hi = int(min(hi_all)) if hi_all else lo + 4
    if lo > hi:
        return st.nothing()
    element = values(items, ctx, depth + 1) if items else any_json(ctx)
    head = st.tuples(*[values([p], ctx, depth + 1) for p in prefix]).map(list)
    contains = [(b, s["contains"]) for b, s in flat if "contains" in s]

    unique = any(s.get("uniqueItems") is True for _, s in flat)

    def build(h: list[Any]) -> st.SearchStrategy[Any]:
        need = max(0, lo - len(h))
        if element.is_empty:  # no item can exist (e.g. an item schema that accepts nothing)
            if need > 0:
                return st.nothing()
            return st.just(h)
        tail = st.lists(element, min_size=need, max_size=max(0, min(hi, lo + 4) - len(h)))
        if unique:
            # Deduplicate after drawing: st.lists(unique_by=...) raises InvalidArgument when the
            # elements have fewer distinct values than min_size (e.g. a one-value enum).
            tail = tail.map(_dedupe).filter(lambda t: len(t) >= need)
        whole = tail.map(lambda t: h + t)
        if contains:
            whole = st.tuples(whole, values(contains[:1], ctx, depth + 1)).map(lambda p: [*p[0], p[1]])
        return whole

    return head.flatmap(build)


def _canonical(value: Any) -> str:
    # JSON equality for uniqueItems: 1 == 1.0, key order ignored.
    return json.dumps(value, sort_keys=True, default=str).replace(".0,", ",")


def _objects(flat: list[Located], ctx: Context, depth: int) -> st.SearchStrategy[Any]:
    props: dict[str, list[Located]] = {}
    required: set[str] = set()
    for base, s in flat:
        if isinstance(s.get("properties"), dict):
            for name, sub in s["properties"].items():
                props.setdefault(name, []).append((base, sub))
        if isinstance(s.get("required"), list):
            required.update(r for r in s["required"] if isinstance(r, str))
    extra_schema = next(((b, s["additionalProperties"]) for b, s in flat if "additionalProperties" in s), None)
    parts: list[st.SearchStrategy[Any]] = []
    for name in sorted(set(props) | required):
        located = props.get(name) or ([extra_schema] if extra_schema else [])
        value = values(located, ctx, depth + 1) if located else any_json(ctx)
        if name in required:
            parts.append(value.map(lambda v, n=name: {n: v}))
        else:
            parts.append(st.one_of(st.just({}), value.map(lambda v, n=name: {n: v})))
    if ctx.extras and (extra_schema is None or extra_schema[1] is not False):
        extra_value = values([extra_schema], ctx, depth + 1) if extra_schema else any_json(ctx)
        parts.append(st.dictionaries(st.sampled_from(ctx.key_pool), extra_value, max_size=2))

    def join(dicts: tuple[dict[str, Any], ...]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for d in reversed(dicts):  # declared properties win over random extras
            out.update(d)
        return out

    return st.tuples(*parts).map(join)


def _dedupe(items: list[Any]) -> list[Any]:
    """Items without JSON-equal repeats (first kept)."""
    seen: set[Any] = set()
    out = []
    for item in items:
        key = _canonical(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
