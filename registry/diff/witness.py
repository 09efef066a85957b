"""Witnesses: concrete instances one side accepts and the other rejects, checked by validation.

For a change at instance path P, candidate local values (the removed enum value, a bound, a
sample of the removed type, …) are placed at P inside a minimal valid instance of the
surrounding schema, and the whole instance is validated against both schemas with jsonschema-rs.
Only a checked instance is reported; when none checks, the change carries no witness.
"""

from __future__ import annotations

import contextlib
import functools
import math
from fractions import Fraction
from typing import Any

from registry.diff.model import Policy, Witness
from registry.diff.normalize import Side, canon, finite_values, number, types_of
from registry.diff.strings import pattern_tree, regex_sample
from registry.diff.walk.core import Gen, Pending
from registry.syntax.refs import SchemaSet

MAX_SAMPLE_DEPTH = 12
MAX_VALIDATIONS = 600
FORMAT_SAMPLES = {
    "date": "2024-04-01", "date-time": "2024-04-01T09:00:00+09:00", "time": "09:00:00+09:00",
    "email": "taro@example.jp", "idn-email": "taro@example.jp", "uri": "https://example.jp/",
    "uri-reference": "https://example.jp/", "iri": "https://example.jp/",
    "uuid": "123e4567-e89b-12d3-a456-426614174000", "ipv4": "192.0.2.1", "ipv6": "2001:db8::1",
    "hostname": "example.jp", "duration": "P1D",
}
_TYPE_ORDER = ("object", "string", "integer", "number", "boolean", "null", "array")


class _Nope(Exception):
    """No sample could be generated."""


_MISSING = object()
_NOPE = object()
_HERE = object()  # "a sample of whatever schema is at the instance path"


@functools.lru_cache(maxsize=1024)
def _pattern_sample_cached(pattern: str, longer: int) -> str | None:
    tree = pattern_tree(pattern)
    return None if tree is None else regex_sample(tree, longer)


def _pattern_sample(pattern: str, min_len: int = 0, max_len: int | None = None) -> str:
    """A sample of the pattern, grown until it fits the length bounds when it can."""
    first = _pattern_sample_cached(pattern, 0)
    if first is None:
        raise _Nope
    s = first
    for extra in range(9):
        if min_len <= len(s) and (max_len is None or len(s) <= max_len):
            return s
        s = _pattern_sample_cached(pattern, extra + 1) or s
    return first


def _merge_all_of(side: Side, e: dict[str, Any], base: str, depth: int, fold: bool = False) -> dict[str, Any]:
    """Fold allOf branches into one dict, for sampling only (validation checks the result).

    With ``fold``, also ``if`` + ``then`` and every dependent schema (with its key required), so
    that samples exercise the conditional parts of a form.
    """
    branches = list(e.get("allOf") or []) if isinstance(e.get("allOf"), list) else []
    if fold:
        if "if" in e and "then" in e:
            branches += [e["if"], e["then"]]
        deps = e.get("dependentSchemas")
        if isinstance(deps, dict):
            for k, v in deps.items():
                branches += [{"required": [k]}, v]
    if not branches or depth > MAX_SAMPLE_DEPTH:
        return e
    out = {k: v for k, v in e.items() if k not in ("allOf", "if", "then", "else", "dependentSchemas")
           or (not fold and k != "allOf")}
    for b in branches:
        try:
            be, bb = side.expand(b, base)
        except Exception:
            continue
        if not isinstance(be, dict):
            continue
        be = _merge_all_of(side, be, bb, depth + 1, fold)
        for k, v in be.items():
            if k == "properties" and isinstance(v, dict):
                mine = dict(out.get("properties") or {})
                for name, sub in v.items():
                    # Both constrain the property: sample their conjunction.
                    mine[name] = {"allOf": [mine[name], sub]} if name in mine else sub
                out["properties"] = mine
            elif k == "required" and isinstance(v, list):
                out["required"] = list(dict.fromkeys([*(out.get("required") or []), *v]))
            else:
                out.setdefault(k, v)
    return out


class WitnessBuilder:
    """Builds and checks witnesses for the pending changes of one diff."""

    def __init__(self, old: Side, new: Side, policy: Policy, old_schemas: SchemaSet,
                 new_schemas: SchemaSet) -> None:
        self.sides = {"old": old, "new": new}
        self.policy = policy
        self.schemas = {"old": old_schemas, "new": new_schemas}
        self._validators: dict[str, Any] = {}
        self.validations = 0
        self._samples: dict[tuple[Any, ...], Any] = {}
        self._keep: list[Any] = []  # keeps cached nodes alive so their ids stay unique
        self.fold = False

    # ------------------------------------------------------------------ validation

    def valid(self, side: str, value: Any) -> bool | None:
        """Validate a whole instance against one side; None when validation is impossible."""
        if side not in self._validators:
            self._validators[side] = _compiled(self.sides[side].root, self.policy.format_assertion,
                                               self.schemas[side])
        v = self._validators[side]
        if v is None:
            return None
        self.validations += 1
        try:
            return bool(v.is_valid(value))
        except Exception:
            return None

    # ------------------------------------------------------------------ sampling

    def sample(self, side: Side, node: Any, base: str, depth: int = 0, type_hint: str | None = None) -> Any:
        """A small value valid under ``node`` (best effort; callers validate). Never mutate it."""
        if depth > MAX_SAMPLE_DEPTH:
            raise _Nope
        key = (side.name, id(node), base, type_hint, self.fold)
        hit = self._samples.get(key, _MISSING)
        if hit is _MISSING:
            try:
                hit = self._sample(side, node, base, depth, type_hint)
            except _Nope:
                hit = _NOPE
            # Cache by identity: the documents (and the node) outlive this builder.
            self._samples[key] = hit
            self._keep.append(node)
        if hit is _NOPE:
            raise _Nope
        return hit

    def _sample(self, side: Side, node: Any, base: str, depth: int, type_hint: str | None) -> Any:
        try:
            e, b = side.expand(node, base)
        except Exception:
            raise _Nope from None
        if e is False or not isinstance(e, dict):
            raise _Nope
        e = _merge_all_of(side, e, b, depth, self.fold)
        vals = finite_values(e)
        if vals is not None:
            for v in vals.values():
                if type_hint is None or _type_of(v) == type_hint or (type_hint == "number" and _type_of(v) == "integer"):
                    return v
            raise _Nope
        types = types_of(e)
        if type_hint is not None:
            t = type_hint
        elif len(types) < 7:
            t = next(x for x in _TYPE_ORDER if x in types)
        else:
            for branch_kw in ("anyOf", "oneOf"):
                branches = e.get(branch_kw)
                if isinstance(branches, list) and branches:
                    return self.sample(side, branches[0], b, depth + 1)
            t = _guess_type(e)
        if t == "object":
            return self._object(side, e, b, depth)
        if t == "string":
            return self._string(e)
        if t in ("integer", "number"):
            return self._number(e, t == "integer" or "number" not in types)
        if t == "boolean":
            return True
        if t == "null":
            return None
        if t == "array":
            return self._array(side, e, b, depth)
        raise _Nope

    def _object(self, side: Side, e: dict[str, Any], b: str, depth: int) -> dict[str, Any]:
        props = e.get("properties") if isinstance(e.get("properties"), dict) else {}
        assert isinstance(props, dict)
        req = e.get("required") if isinstance(e.get("required"), list) else []
        assert isinstance(req, list)
        out: dict[str, Any] = {}
        for name in req:
            if isinstance(name, str):
                sub = props.get(name, e.get("additionalProperties", True))
                out[name] = self.sample(side, sub, b, depth + 1)
        want = e.get("minProperties")
        if isinstance(want, int):
            for name, sub in props.items():
                if len(out) >= want:
                    break
                if name not in out:
                    out[name] = self.sample(side, sub, b, depth + 1)
        return out

    @staticmethod
    def _string(e: dict[str, Any]) -> str:
        s = ""
        pat = e.get("pattern")
        if isinstance(pat, str):
            lo0, hi0 = e.get("minLength"), e.get("maxLength")
            s = _pattern_sample(pat, lo0 if isinstance(lo0, int) else 0, hi0 if isinstance(hi0, int) else None)
        elif isinstance(e.get("format"), str) and e["format"] in FORMAT_SAMPLES:
            s = FORMAT_SAMPLES[e["format"]]
        lo, hi = e.get("minLength"), e.get("maxLength")
        if isinstance(lo, int) and len(s) < lo:
            if lo > 10_000:
                raise _Nope
            s += (s[-1:] or "a") * (lo - len(s))
        if isinstance(hi, int) and len(s) > hi:
            s = s[:hi]
        return s

    @staticmethod
    def _number(e: dict[str, Any], integer: bool) -> int | float:
        lo: Fraction | None = None
        hi: Fraction | None = None
        for kw, excl in (("minimum", False), ("exclusiveMinimum", True)):
            v = number(e.get(kw))
            if v is not None:
                v2 = v + (Fraction(1) if integer else Fraction(1, 2)) if excl else v
                lo = v2 if lo is None else max(lo, v2)
        for kw, excl in (("maximum", False), ("exclusiveMaximum", True)):
            v = number(e.get(kw))
            if v is not None:
                v2 = v - (Fraction(1) if integer else Fraction(1, 2)) if excl else v
                hi = v2 if hi is None else min(hi, v2)
        x = Fraction(0)
        if lo is not None and x < lo:
            x = lo
        if hi is not None and x > hi:
            x = hi
        m = number(e.get("multipleOf"))
        if m is not None and m > 0:
            x = math.ceil(x / m) * m
        if integer:
            x = Fraction(math.ceil(x))
        elif m is None and x.denominator == 1 and (hi is None or x + Fraction(1, 2) <= hi):
            x += Fraction(1, 2)  # a number that is not an integer tells number from integer
        return int(x) if x.denominator == 1 else float(x)

    def _array(self, side: Side, e: dict[str, Any], b: str, depth: int) -> list[Any]:
        prefix = e.get("prefixItems") if isinstance(e.get("prefixItems"), list) else []
        assert isinstance(prefix, list)
        want = e.get("minItems") if isinstance(e.get("minItems"), int) else 0
        assert isinstance(want, int)
        if isinstance(e.get("contains"), dict | bool) and want < 1:
            want = 1
        if want > 1000:
            raise _Nope
        out = []
        for i in range(want):
            sub = prefix[i] if i < len(prefix) else e.get("items", True)
            out.append(self.sample(side, sub, b, depth + 1))
        if "contains" in e and out:
            with contextlib.suppress(_Nope):
                out[0] = self.sample(side, e["contains"], b, depth + 1)
        return out

    # ------------------------------------------------------------------ embedding

    def embed(self, side: Side, node: Any, base: str, ipath: tuple[Any, ...], value: Any, depth: int = 0) -> Any:
        """An instance of ``node`` (best effort) holding ``value`` at the instance path."""
        if not ipath:
            return self.sample(side, node, base) if value is _HERE else value
        if depth > 40:
            raise _Nope
        try:
            e, b = side.expand(node, base)
        except Exception:
            raise _Nope from None
        if not isinstance(e, dict):
            raise _Nope
        e = _merge_all_of(side, e, b, depth, self.fold)
        tok = ipath[0]
        if tok[0] in ("p", "x"):
            try:
                got = self.sample(side, node, base, depth, type_hint="object")
                obj = dict(got) if isinstance(got, dict) else {}
            except _Nope:
                obj = {}
            name = tok[1]
            props = e.get("properties") if isinstance(e.get("properties"), dict) else {}
            assert isinstance(props, dict)
            sub = props.get(name, e.get("additionalProperties", True)) if tok[0] == "p" else e.get("additionalProperties", True)
            obj[name] = self.embed(side, sub, b, ipath[1:], value, depth + 1)
            return obj
        idx = tok[1]
        prefix = e.get("prefixItems") if isinstance(e.get("prefixItems"), list) else []
        assert isinstance(prefix, list)
        try:
            got = self.sample(side, node, base, depth, type_hint="array")
            arr = list(got) if isinstance(got, list) else []
        except _Nope:
            arr = []
        while len(arr) <= idx:
            i = len(arr)
            sub = prefix[i] if i < len(prefix) else e.get("items", True)
            arr.append(self.sample(side, sub, b, depth + 1))
        sub = prefix[idx] if idx < len(prefix) else e.get("items", True)
        arr[idx] = self.embed(side, sub, b, ipath[1:], value, depth + 1)
        return arr

    # ------------------------------------------------------------------ search

    def _candidates(self, p: Pending, accept: str) -> list[Any]:
        # Under ``not`` values come from the other side's local schema (the negation flips them).
        source = ("new" if accept == "old" else "old") if p.ctx.swapped else accept
        side = self.sides[source]
        local = p.old if source == "old" else p.new
        lbase = p.old_base if source == "old" else p.new_base
        specific = p.cand_b if accept == "old" else p.cand_f
        out: list[Any] = []
        seen: set[Any] = set()

        def add(v: Any) -> None:
            try:
                k = canon(v)
            except Exception:
                return
            if k not in seen:
                seen.add(k)
                out.append(v)

        def gen(g: Gen) -> None:
            try:
                if g.kind == "typed":
                    if local is not None:
                        add(self.sample(side, local, lbase, type_hint=g.arg))
                    else:
                        add(_plain(g.arg))
                elif g.kind == "sample":
                    s = self.sides[g.arg]
                    node = p.old if g.arg == "old" else p.new
                    b = p.old_base if g.arg == "old" else p.new_base
                    if node is not None:
                        add(self.sample(s, node, b))
                elif g.kind == "string":
                    base = ""
                    if local is not None:
                        try:
                            base = str(self.sample(side, local, lbase, type_hint="string"))
                        except _Nope:
                            base = ""
                    n = int(g.arg)
                    add((base + (base[-1:] or "a") * n)[:n] if n <= 10_000 else "")
            except _Nope:
                pass

        for c in specific:
            if isinstance(c, Gen):
                gen(c)
            else:
                add(c)
        if local is not None and isinstance(local, dict):
            with contextlib.suppress(_Nope):
                add(self.sample(side, local, lbase))
        return out[:10]

    def find(self, p: Pending, accept: str) -> Witness | None:
        """A checked instance accepted by ``accept`` ("old"/"new") and rejected by the other."""
        if p.ctx.ipath is None or self.validations > MAX_VALIDATIONS:
            return None
        reject = "new" if accept == "old" else "old"
        for fold in (False, True):
            self.fold = fold
            try:
                for value in [*self._candidates(p, accept), _HERE]:
                    for root_side in (accept, reject):
                        side = self.sides[root_side]
                        try:
                            inst = self.embed(side, side.root, side.root_base, p.ctx.ipath, value)
                        except (_Nope, RecursionError):
                            continue
                        if self.validations > MAX_VALIDATIONS:
                            return None
                        if self.valid(accept, inst) is True and self.valid(reject, inst) is False:
                            return Witness(value=inst, accepted_by="old" if accept == "old" else "new")
            finally:
                self.fold = False
        return None


_COMPILED: dict[tuple[str, bool, int], Any] = {}


def _compiled(schema: Any, formats: bool, schemas: SchemaSet) -> Any:
    """A validator for a whole schema, reused across diffs (a registry diffs one old version
    against many new ones; compiling a 500-field form costs more than comparing it)."""
    import msgspec

    from registry.syntax import validators

    try:
        text = msgspec.json.encode(schema, order="sorted").decode()
    except Exception:  # not JSON data (or nested beyond the encoder's limit)
        return None
    # The schema set only matters to a schema with references (a cached validator keeps its set
    # alive, so its id cannot be reused by another set while cached).
    key = (text, formats, id(schemas) if '"$ref"' in text else 0)
    if key in _COMPILED:
        return _COMPILED[key]
    try:
        v = validators.compile_schema(schema, validate_formats=formats, retriever=schemas.retrieve)
    except Exception:
        v = None
    if len(_COMPILED) >= 16:
        _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[key] = v
    return v


def _type_of(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "integer" if v.is_integer() else "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _plain(t: str) -> Any:
    return {"null": None, "boolean": True, "object": {}, "array": [], "number": 0.5,
            "integer": 0, "string": ""}.get(t)


def _guess_type(e: dict[str, Any]) -> str:
    if any(k in e for k in ("properties", "required", "additionalProperties", "patternProperties")):
        return "object"
    if any(k in e for k in ("pattern", "minLength", "maxLength", "format")):
        return "string"
    if any(k in e for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
        return "number"
    if any(k in e for k in ("items", "prefixItems", "contains", "minItems", "maxItems")):
        return "array"
    return "null"
