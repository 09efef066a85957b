"""The comparison: two schemas walked side by side, keyword family by keyword family.

A schema is the conjunction of its keywords, so when every family's value set grows (or stays),
the schema's does. Each family answers, per direction, ``compatible`` (provably included),
``breaking`` (the constraint became stricter in that direction) or ``unknown``. Recursion through
``$ref`` is co-inductive: a pair of reference targets already under comparison is assumed
included. Work is bounded by depth, node count and ``$ref`` hops (docs/diff.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any, NamedTuple
from urllib.parse import urldefrag

from registry.diff.model import Change, Policy, Verdict
from registry.diff.normalize import (
    ALL_TYPES,
    ANNOTATION_KEYS,
    ASSERTION_KEYS,
    CONTAINER_KEYS,
    IDENTIFIER_KEYS,
    Side,
    TooComplex,
    canon,
    finite_values,
    integer_only,
    json_equal,
    number,
    type_allowed,
    types_of,
)
from registry.syntax import pointers, regexes

OK: Verdict = "compatible"
BR: Verdict = "breaking"
UNK: Verdict = "unknown"

MAX_DEPTH = 60
MAX_NODES = 200_000
MAX_VALUE_CHANGES = 20  # per-value enum changes; more are reported as one change

# Instance path tokens: ("p", name) property, ("x",) an undeclared property, ("i", n) the n-th
# array element, ("*", start) any element from ``start`` on. None: no instance path (e.g. under
# ``propertyNames`` or ``contains``), so no witness can be placed.
IPath = tuple[tuple[Any, ...], ...]


@dataclass(frozen=True, slots=True)
class Ctx:
    """Where the comparison is, and how its local verdicts map to the whole schemas'."""

    ptr: str
    ipath: IPath | None
    title: str | None = None
    swapped: bool = False  # under an odd number of ``not``
    b_vac: bool = False  # backward is vacuous here (lenient: old data never has this key)
    f_vac: bool = False
    disjunctive: bool = False  # under anyOf/oneOf/if: a narrowing need not reject any value
    in_place: bool = False  # inside allOf/anyOf/oneOf/not/then/else/dependentSchemas of the instance
    depth: int = 0
    o_types: frozenset[str] = ALL_TYPES
    n_types: frozenset[str] = ALL_TYPES


class Gen(NamedTuple):
    """A candidate the witness builder generates from the local schema (typed sample, …)."""

    kind: str  # "typed" (arg: a type), "sample" (arg: "old"/"new"), "string" (arg: a length)
    arg: Any


@dataclass
class Pending:
    """A change plus what the witness builder needs to look for a concrete value."""

    change: Change
    ctx: Ctx
    old: Any  # expanded local subschemas (or None)
    new: Any
    old_base: str
    new_base: str
    cand_b: list[Any]  # local values likely accepted by old and rejected by new
    cand_f: list[Any]


def combine(verdicts: Iterator[Verdict] | list[Verdict]) -> Verdict:
    """breaking if any is breaking, else unknown if any is unknown, else compatible."""
    out: Verdict = OK
    for v in verdicts:
        if v == BR:
            return BR
        if v == UNK:
            out = UNK
    return out


def _field(ipath: IPath | None) -> str:
    if ipath is None:
        return ""
    parts: list[str | int] = []
    for tok in ipath:
        if tok[0] == "p" or tok[0] == "i":
            parts.append(tok[1])
        else:
            parts.append("*")
    return pointers.join(parts)


class Engine:
    """One comparison of OLD and NEW under a policy; ``run()`` returns the pending changes."""

    def __init__(self, old: Side, new: Side, policy: Policy) -> None:
        self.old, self.new, self.policy = old, new, policy
        self.pending: list[Pending] = []
        self.in_progress: set[tuple[Any, Any]] = set()
        self.nodes = 0

    # ------------------------------------------------------------------ plumbing

    def run(self) -> list[Pending]:
        """Compare the two roots."""
        ctx = Ctx(ptr="", ipath=())
        try:
            self.compare(self.old.root, self.old.root_base, self.new.root, self.new.root_base, ctx)
        except (TooComplex, RecursionError) as exc:
            self.emit("too_complex", ctx, None, str(exc) or "too complex", UNK, UNK)
        return self.pending

    def emit(self, kind: str, ctx: Ctx, before: Any, after: Any, b: Verdict, f: Verdict, *,
             ptr: str | None = None, applies: str | None = None, cosmetic: bool = False,
             behavioural: bool = False, old: Any = None, new: Any = None, old_base: str = "",
             new_base: str = "", cand_b: list[Any] | None = None,
             cand_f: list[Any] | None = None, field: str | None = None) -> None:
        """Record a change with local verdicts mapped to the whole schemas' directions."""
        if applies is not None:
            if not type_allowed(applies, ctx.o_types):
                b = OK
            if not type_allowed(applies, ctx.n_types):
                f = OK
        if ctx.b_vac:
            b = OK
        if ctx.f_vac:
            f = OK
        if ctx.swapped:
            # Under ``not`` the outer backward break is the inner forward one: swap candidates too.
            b, f = f, b
            cand_b, cand_f = cand_f, cand_b
        change = Change(pointer=ctx.ptr if ptr is None else ptr, kind=kind, before=before,
                        after=after, backward=b, forward=f,
                        field=_field(ctx.ipath) if field is None else field,
                        title=ctx.title, cosmetic=cosmetic, behavioural=behavioural)
        self.pending.append(Pending(change, ctx, old, new, old_base, new_base,
                                    cand_b or [], cand_f or []))

    def silent(self, o: Any, ob: str, n: Any, nb: str, ctx: Ctx) -> tuple[Verdict, Verdict]:
        """Compare two subschemas without reporting; the combined local verdicts."""
        saved = self.pending
        self.pending = []
        try:
            self.compare(o, ob, n, nb, replace(ctx, swapped=False, b_vac=False, f_vac=False))
            changes = [p.change for p in self.pending]
        finally:
            self.pending = saved
        return combine(c.backward for c in changes), combine(c.forward for c in changes)

    def same(self, o: Any, ob: str, n: Any, nb: str, ctx: Ctx) -> bool:
        """Do two subschemas accept the same values (textually, or by comparison both ways)?"""
        if json_equal(o, n, refs_ok=False):
            return True
        if (o is None) != (n is None):
            return False
        return self.silent(o, ob, n, nb, ctx) == (OK, OK)

    def _key(self, side: Side, node: Any, base: str) -> Any:
        ref = side.ref_key(node, base)
        return ("ref", ref) if ref is not None else ("id", id(node))

    # ------------------------------------------------------------------ the walk

    def compare(self, o: Any, ob: str, n: Any, nb: str, ctx: Ctx) -> None:
        """Compare subschema ``o`` (old) with ``n`` (new) at ``ctx``."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise TooComplex("more than 200,000 subschemas compared")
        if ctx.depth > MAX_DEPTH:
            self.emit("too_complex", ctx, None, f"nested deeper than {MAX_DEPTH}", UNK, UNK)
            return
        if json_equal(o, n, refs_ok=False):
            return
        has_ref = (isinstance(o, dict) and "$ref" in o) or (isinstance(n, dict) and "$ref" in n)
        pair = None
        if has_ref:
            pair = (self._key(self.old, o, ob), self._key(self.new, n, nb))
            if pair in self.in_progress:
                return  # co-inductive hypothesis: this pair is being shown included already
            self.in_progress.add(pair)
            if (isinstance(o, dict) and isinstance(n, dict) and isinstance(o.get("$ref"), str)
                    and isinstance(n.get("$ref"), str) and _ref_doc(o["$ref"]) != _ref_doc(n["$ref"])):
                self.emit("ref_target_changed", replace(ctx, ptr=ctx.ptr + "/$ref"), o["$ref"],
                          n["$ref"], OK, OK, cosmetic=True)
        try:
            if (isinstance(o, dict) and "$dynamicRef" in o) or (isinstance(n, dict) and "$dynamicRef" in n):
                self.emit("too_complex", ctx, None, "$dynamicRef is not compared", UNK, UNK)
                return
            eo, ob2 = self.old.expand(o, ob)
            en, nb2 = self.new.expand(n, nb)
            self.compare_expanded(eo, ob2, en, nb2, ctx)
        finally:
            if pair is not None:
                self.in_progress.discard(pair)

    def compare_expanded(self, o: Any, ob: str, n: Any, nb: str, ctx: Ctx) -> None:
        """Compare two ``$ref``-free nodes (False or dicts)."""
        if isinstance(n, dict) and isinstance(n.get("title"), str):
            ctx = replace(ctx, title=n["title"])
        elif isinstance(o, dict) and isinstance(o.get("title"), str) and ctx.title is None:
            ctx = replace(ctx, title=o["title"])
        if o is False and n is False:
            return
        if n is False:
            self.emit("schema_became_false", ctx, o, False, BR, OK, old=o, old_base=ob)
            return
        if o is False:
            self.emit("schema_became_true", ctx, False, n, OK, BR, new=n, new_base=nb)
            return
        if not isinstance(o, dict) or not isinstance(n, dict):
            self.emit("too_complex", ctx, o, n, UNK, UNK)  # not a schema (invalid input)
            return
        ctx = replace(ctx, depth=ctx.depth + 1, o_types=types_of(o), n_types=types_of(n))
        loc = (o, ob, n, nb)
        self.cosmetics(o, n, ctx)
        self.types(o, n, ctx, loc)
        self.values(o, n, ctx, loc)
        self.numbers(o, n, ctx, loc)
        self.strings(o, n, ctx, loc)
        self.objects(o, ob, n, nb, ctx)
        self.arrays(o, ob, n, nb, ctx)
        self.combinators(o, ob, n, nb, ctx)

    # ------------------------------------------------------------------ families

    def cosmetics(self, o: dict[str, Any], n: dict[str, Any], ctx: Ctx) -> None:
        """Annotations, identifiers and unknown keywords: they never change the value set."""
        for k in dict.fromkeys([*o, *n]):
            if k in ASSERTION_KEYS or k in CONTAINER_KEYS:
                continue
            a, b = o.get(k), n.get(k)
            if (k in o) == (k in n) and json_equal(a, b):
                continue
            p = ctx.ptr + "/" + pointers.escape(k)
            if k == "x-yoshiki-locked":
                self.emit("locked_changed", ctx, a, b, OK, OK, ptr=p, cosmetic=True)
            elif k == "default":
                dflt = self.policy.default_is_annotation
                self.emit("default_changed", ctx, a, b, OK, OK, ptr=p, cosmetic=dflt,
                          behavioural=not dflt)
            elif k in IDENTIFIER_KEYS:
                self.emit("identifier_changed", ctx, a, b, OK, OK, ptr=p, cosmetic=True)
            elif k in ANNOTATION_KEYS or k.startswith("x-"):
                self.emit("annotation_changed", ctx, a, b, OK, OK, ptr=p, cosmetic=True)
            else:
                self.emit("unknown_keyword_changed", ctx, a, b, OK, OK, ptr=p, cosmetic=True)

    def types(self, o: dict[str, Any], n: dict[str, Any], ctx: Ctx, loc: tuple[Any, ...]) -> None:
        """``type`` as sets, integer ⊂ number."""
        to, tn = ctx.o_types, ctx.n_types
        if to == tn:
            return
        lost, gained = to - tn, tn - to
        p = ctx.ptr + "/type"
        kind = "type_narrowed" if not gained else "type_widened" if not lost else "type_changed"
        cb = [self._typed_sample(loc[0], t) for t in sorted(lost)]
        cf = [self._typed_sample(loc[2], t) for t in sorted(gained)]
        self.emit(kind, ctx, o.get("type"), n.get("type"), BR if lost else OK, BR if gained else OK,
                  ptr=p, old=loc[0], old_base=loc[1], new=loc[2], new_base=loc[3], cand_b=cb,
                  cand_f=cf)

    @staticmethod
    def _typed_sample(schema: dict[str, Any], t: str) -> Any:
        return Gen("typed", t)  # resolved by the witness builder against the local schema

    def values(self, o: dict[str, Any], n: dict[str, Any], ctx: Ctx, loc: tuple[Any, ...]) -> None:
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
            self.emit("enum_added", ctx, None, list(vn.values()), BR, OK, ptr=p_n, **extra)
            return
        if vn is None and vo is not None:
            self.emit("enum_removed", ctx, list(vo.values()), None, OK, BR, ptr=p_o, **extra)
            return
        assert vo is not None
        assert vn is not None
        removed = [v for k, v in vo.items() if k not in vn]
        added = [v for k, v in vn.items() if k not in vo]
        if not removed and not added:
            return
        if ("const" in o and "enum" not in o and "const" in n and "enum" not in n
                and len(removed) == 1 and len(added) == 1):
            self.emit("const_changed", ctx, o["const"], n["const"], BR, BR, ptr=p_n,
                      cand_b=removed, cand_f=added, **extra)
            return
        for vals, kind, ptr in ((removed, "enum_value_removed", p_o), (added, "enum_value_added", p_n)):
            is_removed = kind == "enum_value_removed"
            if len(vals) > MAX_VALUE_CHANGES:
                self.emit(kind, ctx, vals if is_removed else None, None if is_removed else vals,
                          BR if is_removed else OK, OK if is_removed else BR, ptr=ptr,
                          cand_b=vals[:3] if is_removed else None,
                          cand_f=None if is_removed else vals[:3], **extra)
                continue
            labels = (o if is_removed else n).get("x-yoshiki-enum-labels")
            for v in vals:
                self.emit(kind, ctx, v if is_removed else None, None if is_removed else v,
                          BR if is_removed else OK, OK if is_removed else BR, ptr=ptr,
                          cand_b=[v] if is_removed else None, cand_f=None if is_removed else [v],
                          **extra)
                if isinstance(labels, dict) and isinstance(v, str) and isinstance(labels.get(v), str):
                    self.pending[-1].change.value_label = labels[v]

    # numbers -------------------------------------------------------------

    @staticmethod
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

    @staticmethod
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

    def numbers(self, o: dict[str, Any], n: dict[str, Any], ctx: Ctx, loc: tuple[Any, ...]) -> None:
        """Effective bounds and ``multipleOf`` (divisibility, exact decimals)."""
        extra: dict[str, Any] = {"old": loc[0], "old_base": loc[1], "new": loc[2], "new_base": loc[3]}
        for is_lower in (True, False):
            get = self._lower if is_lower else self._upper
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
                self.emit("invalid_keyword_changed", ctx, before, after, UNK, UNK, applies="number")
                continue
            name = "minimum" if is_lower else "maximum"
            src = bn if bn is not None else bo
            assert src is not None
            prefix = ("exclusive_" + name) if src[2].startswith("exclusive") else name
            p = ctx.ptr + "/" + src[2]
            if bo is None:
                assert bn is not None
                self.emit(prefix + "_added", ctx, before, after, BR, OK, ptr=p, applies="number",
                          cand_b=self._around(bn[0]), **extra)
                continue
            if bn is None:
                self.emit(prefix + "_removed", ctx, before, after, OK, BR, ptr=p, applies="number",
                          cand_f=self._around(bo[0]), **extra)
                continue
            # Stricter: a lower bound that rises (or becomes exclusive at the same value).
            if is_lower:
                stricter = bn[0] > bo[0] or (bn[0] == bo[0] and bn[1] and not bo[1])
            else:
                stricter = bn[0] < bo[0] or (bn[0] == bo[0] and bn[1] and not bo[1])
            grew = "increased" if bn[0] > bo[0] or (bn[0] == bo[0] and is_lower == stricter) else "decreased"
            cands = self._around(bo[0]) + self._around(bn[0])
            self.emit(f"{prefix}_{grew}", ctx, before, after, BR if stricter else OK,
                      OK if stricter else BR, ptr=p, applies="number", cand_b=cands, cand_f=cands,
                      **extra)
        mo, mn = o.get("multipleOf"), n.get("multipleOf")
        if "multipleOf" in o or "multipleOf" in n:
            a, b = number(mo), number(mn)
            p = ctx.ptr + "/multipleOf"
            if ("multipleOf" in o and (a is None or a <= 0)) or ("multipleOf" in n and (b is None or b <= 0)):
                if not json_equal(mo, mn):
                    self.emit("invalid_keyword_changed", ctx, mo, mn, UNK, UNK, ptr=p, applies="number")
            elif a is None and b is not None:
                self.emit("multiple_of_added", ctx, None, mn, BR, OK, ptr=p, applies="number",
                          cand_b=[self._num(b / 2), self._num(b + b / 3)], **extra)
            elif b is None and a is not None:
                self.emit("multiple_of_removed", ctx, mo, None, OK, BR, ptr=p, applies="number",
                          cand_f=[self._num(a / 2), self._num(a + a / 3)], **extra)
            elif a is not None and b is not None and a != b:
                back = OK if (a / b).denominator == 1 else BR
                fwd = OK if (b / a).denominator == 1 else BR
                self.emit("multiple_of_changed", ctx, mo, mn, back, fwd, ptr=p, applies="number",
                          cand_b=[self._num(a), self._num(a * 3)], cand_f=[self._num(b), self._num(b * 3)],
                          **extra)

    @staticmethod
    def _num(v: Fraction) -> int | float:
        return int(v) if v.denominator == 1 else float(v)

    def _around(self, v: Fraction) -> list[Any]:
        return [self._num(v), self._num(v - 1), self._num(v + 1), self._num(v - Fraction(1, 2)),
                self._num(v + Fraction(1, 2))]

    # strings -------------------------------------------------------------

    def _bound(self, o: dict[str, Any], n: dict[str, Any], ctx: Ctx, kw: str, prefix: str,
               lower: bool, applies: str, default: int | None = None,
               cands: tuple[list[Any], list[Any]] | None = None, extra: dict[str, Any] | None = None) -> None:
        """A non-negative integer bound (minLength, maxItems, minContains, …)."""
        a, b = o.get(kw, default), n.get(kw, default)
        if json_equal(a, b):
            return
        p = ctx.ptr + "/" + kw
        va, vb = number(a) if a is not None else None, number(b) if b is not None else None
        if (a is not None and va is None) or (b is not None and vb is None):
            self.emit("invalid_keyword_changed", ctx, o.get(kw), n.get(kw), UNK, UNK, ptr=p, applies=applies)
            return
        cb, cf = cands or ([], [])
        ex = extra or {}
        if va is None:
            self.emit(prefix + "_added", ctx, None, n.get(kw), BR, OK, ptr=p, applies=applies,
                      cand_b=cb, **ex)
        elif vb is None:
            self.emit(prefix + "_removed", ctx, o.get(kw), None, OK, BR, ptr=p, applies=applies,
                      cand_f=cf, **ex)
        elif vb > va:
            self.emit(prefix + "_increased", ctx, o.get(kw), n.get(kw), BR if lower else OK,
                      OK if lower else BR, ptr=p, applies=applies, cand_b=cb, cand_f=cf, **ex)
        elif vb < va:
            self.emit(prefix + "_decreased", ctx, o.get(kw), n.get(kw), OK if lower else BR,
                      BR if lower else OK, ptr=p, applies=applies, cand_b=cb, cand_f=cf, **ex)

    def strings(self, o: dict[str, Any], n: dict[str, Any], ctx: Ctx, loc: tuple[Any, ...]) -> None:
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
        self._bound(o, n, ctx, "minLength", "min_length", True, "string", cands=c, extra=extra)
        self._bound(o, n, ctx, "maxLength", "max_length", False, "string", cands=c, extra=extra)
        po, pn = o.get("pattern"), n.get("pattern")
        if po != pn:
            p = ctx.ptr + "/pattern"
            gen = [Gen("typed", "string"), "", "a", "0", "あ"]
            if po is None:
                self.emit("pattern_added", ctx, None, pn, BR, OK, ptr=p, applies="string", cand_b=gen, **extra)
            elif pn is None:
                self.emit("pattern_removed", ctx, po, None, OK, BR, ptr=p, applies="string", cand_f=gen, **extra)
            else:
                self.emit("pattern_changed", ctx, po, pn, UNK, UNK, ptr=p, applies="string",
                          cand_b=gen, cand_f=gen, **extra)
        fo, fn = o.get("format"), n.get("format")
        if fo != fn:
            p = ctx.ptr + "/format"
            on = self.policy.format_assertion
            gen = ["a", "", Gen("typed", "string")]
            if fo is None:
                self.emit("format_added", ctx, None, fn, BR if on else OK, OK, ptr=p,
                          applies="string", cosmetic=not on, cand_b=gen, **extra)
            elif fn is None:
                self.emit("format_removed", ctx, fo, None, OK, BR if on else OK, ptr=p,
                          applies="string", cosmetic=not on, cand_f=gen, **extra)
            else:
                self.emit("format_changed", ctx, fo, fn, UNK if on else OK, UNK if on else OK,
                          ptr=p, applies="string", cosmetic=not on, cand_b=gen, cand_f=gen, **extra)

    # objects -------------------------------------------------------------

    @staticmethod
    def _dict(s: dict[str, Any], kw: str) -> dict[str, Any]:
        v = s.get(kw)
        return v if isinstance(v, dict) else {}

    def _eff_prop(self, s: dict[str, Any], name: str) -> tuple[Any, bool]:
        """The subschema applied to property ``name`` by ``s`` and whether ``s`` declares it."""
        props = self._dict(s, "properties")
        if name in props:
            return props[name], True
        matched = [v for p, v in self._dict(s, "patternProperties").items() if _safe_search(p, name)]
        if matched:
            return (matched[0] if len(matched) == 1 else {"allOf": matched}), True
        return s.get("additionalProperties", True), False

    def _declared(self, side: Side, node: dict[str, Any], base: str, depth: int = 0) -> tuple[set[str], list[str]]:
        """Property names and patterns declared for this instance, in-place branches included."""
        names = set(self._dict(node, "properties"))
        pats = list(self._dict(node, "patternProperties"))
        if depth > 6:
            return names, pats
        branches: list[Any] = []
        for kw in ("allOf", "anyOf", "oneOf"):
            if isinstance(node.get(kw), list):
                branches += node[kw]
        branches += [node[kw] for kw in ("if", "then", "else") if kw in node]
        branches += list(self._dict(node, "dependentSchemas").values())
        for b in branches:
            try:
                e, eb = side.expand(b, base)
            except Exception:
                continue
            if isinstance(e, dict):
                more_n, more_p = self._declared(side, e, eb, depth + 1)
                names |= more_n
                pats += [x for x in more_p if x not in pats]
        return names, pats

    def objects(self, o: dict[str, Any], ob: str, n: dict[str, Any], nb: str, ctx: Ctx) -> None:
        """properties, required, additionalProperties, patternProperties, propertyNames, …"""
        lenient = not self.policy.is_strict
        # Object keywords say nothing about non-objects: a side that admits no object is vacuous.
        ctx = replace(ctx, b_vac=ctx.b_vac or "object" not in ctx.o_types,
                      f_vac=ctx.f_vac or "object" not in ctx.n_types)
        po, pn = self._dict(o, "properties"), self._dict(n, "properties")
        ctx_o = replace(ctx, title=None, in_place=False)
        lenient_here = lenient and not ctx.in_place
        names_o, pats_o = self._declared(self.old, o, ob)
        names_n, pats_n = self._declared(self.new, n, nb)
        for name in dict.fromkeys([*pn, *po]):
            ip = (*ctx.ipath, ("p", name)) if ctx.ipath is not None else None
            sub = replace(ctx_o, ptr=ctx.ptr + "/properties/" + pointers.escape(name), ipath=ip)
            if name in po and name in pn:
                self.compare(po[name], ob, pn[name], nb, sub)
                continue
            eo, _ = self._eff_prop(o, name)
            en, _ = self._eff_prop(n, name)
            # Lenient: is the name declared anywhere in this object's schema (branches included)?
            declared_o = name in names_o or any(_safe_search(pt, name) for pt in pats_o)
            declared_n = name in names_n or any(_safe_search(pt, name) for pt in pats_n)
            title = _title_of(pn.get(name, po.get(name)))
            sub = replace(sub, title=title)
            b, f = self.silent(eo, ob, en, nb, sub)
            if lenient_here and not declared_o:
                b = OK
            if lenient_here and not declared_n:
                f = OK
            if name in pn:
                self.emit("property_added", sub, None, pn[name], b, f, applies="object",
                          old=eo, old_base=ob, new=en, new_base=nb,
                          cand_b=[0, "", "x", None, True, [], {}, Gen("typed", "string")], cand_f=[Gen("sample", "new")])
            else:
                self.emit("property_removed", sub, po[name], None, b, f, applies="object",
                          old=eo, old_base=ob, new=en, new_base=nb,
                          cand_b=[Gen("sample", "old")], cand_f=[0, "", "x", None, True, [], {}, Gen("typed", "string")])
        obj_extra: dict[str, Any] = {"old": o, "old_base": ob, "new": n, "new_base": nb}
        ro = [r for r in o.get("required", []) if isinstance(r, str)] if isinstance(o.get("required"), list) else []
        rn = [r for r in n.get("required", []) if isinstance(r, str)] if isinstance(n.get("required"), list) else []
        so, sn = set(ro), set(rn)
        for r in rn:
            if r not in so:
                self.emit("required_added", replace(ctx, title=_title_of(pn.get(r))), None, r, BR, OK,
                          ptr=ctx.ptr + "/required", applies="object", cand_b=[Gen("sample", "old")],
                          field=_field(ctx.ipath) + "/" + pointers.escape(r), **obj_extra)
        for r in ro:
            if r not in sn:
                self.emit("required_removed", replace(ctx, title=_title_of(po.get(r))), r, None, OK, BR,
                          ptr=ctx.ptr + "/required", applies="object", cand_f=[Gen("sample", "new")],
                          field=_field(ctx.ipath) + "/" + pointers.escape(r), **obj_extra)
        # Undeclared keys are vacuous under lenient only when no branch declares more names.
        plain = (names_o == set(po) and names_n == set(pn)
                 and set(pats_o) == set(self._dict(o, "patternProperties"))
                 and set(pats_n) == set(self._dict(n, "patternProperties")))
        self._pattern_and_additional(o, ob, n, nb, replace(ctx, in_place=False), lenient_here,
                                     lenient_here and plain)
        if "propertyNames" in o or "propertyNames" in n:
            p = ctx.ptr + "/propertyNames"
            if "propertyNames" not in o:
                self.emit("property_names_added", ctx, None, n["propertyNames"], BR, OK, ptr=p, applies="object")
            elif "propertyNames" not in n:
                self.emit("property_names_removed", ctx, o["propertyNames"], None, OK, BR, ptr=p, applies="object")
            else:
                self.compare(o["propertyNames"], ob, n["propertyNames"], nb,
                             replace(ctx, ptr=p, ipath=None, title=None, in_place=False))
        self._bound(o, n, ctx, "minProperties", "min_properties", True, "object")
        self._bound(o, n, ctx, "maxProperties", "max_properties", False, "object")
        dro, drn = self._dict(o, "dependentRequired"), self._dict(n, "dependentRequired")
        pairs_o = {(k, d) for k, v in dro.items() if isinstance(v, list) for d in v if isinstance(d, str)}
        pairs_n = {(k, d) for k, v in drn.items() if isinstance(v, list) for d in v if isinstance(d, str)}
        for k, d in sorted(pairs_n - pairs_o):
            self.emit("dependent_required_added", ctx, None, {k: [d]}, BR, OK,
                      ptr=ctx.ptr + "/dependentRequired/" + pointers.escape(k), applies="object")
        for k, d in sorted(pairs_o - pairs_n):
            self.emit("dependent_required_removed", ctx, {k: [d]}, None, OK, BR,
                      ptr=ctx.ptr + "/dependentRequired/" + pointers.escape(k), applies="object")
        dso, dsn = self._dict(o, "dependentSchemas"), self._dict(n, "dependentSchemas")
        for k in dict.fromkeys([*dsn, *dso]):
            p = ctx.ptr + "/dependentSchemas/" + pointers.escape(k)
            if k in dso and k in dsn:
                self.compare(dso[k], ob, dsn[k], nb, replace(ctx, ptr=p, disjunctive=True, in_place=True))
            elif k in dsn:
                self.emit("dependent_schemas_added", ctx, None, dsn[k], BR, OK, ptr=p, applies="object")
            else:
                self.emit("dependent_schemas_removed", ctx, dso[k], None, OK, BR, ptr=p, applies="object")
        if "unevaluatedProperties" in o or "unevaluatedProperties" in n:
            deps = ("additionalProperties", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
                    "dependentSchemas", "unevaluatedProperties", "$ref")
            same = (set(po) == set(pn)
                    and set(self._dict(o, "patternProperties")) == set(self._dict(n, "patternProperties"))
                    and all((k in o) == (k in n) and self.same(o.get(k), ob, n.get(k), nb, ctx) for k in deps))
            if not same:
                self.emit("unevaluated_properties_changed", ctx, o.get("unevaluatedProperties"),
                          n.get("unevaluatedProperties"), UNK, UNK,
                          ptr=ctx.ptr + "/unevaluatedProperties", applies="object", **obj_extra)

    def _pattern_and_additional(self, o: dict[str, Any], ob: str, n: dict[str, Any], nb: str,
                                ctx: Ctx, lenient: bool, rest_vacuous: bool) -> None:
        ppo, ppn = self._dict(o, "patternProperties"), self._dict(n, "patternProperties")
        for pat in dict.fromkeys([*ppn, *ppo]):
            p = ctx.ptr + "/patternProperties/" + pointers.escape(pat)
            sub = replace(ctx, ptr=p, ipath=None, title=None)
            if pat in ppo and pat in ppn:
                self.compare(ppo[pat], ob, ppn[pat], nb, sub)
                continue
            only_one = (len(ppo) == 0 and len(ppn) == 1) or (len(ppn) == 0 and len(ppo) == 1)
            # A pattern applies to named properties too: any that match make the answer unknown.
            named = [k for k in {**self._dict(o, "properties"), **self._dict(n, "properties")}
                     if _safe_search(pat, k)]
            if only_one:
                if pat in ppn:
                    b, f = self.silent(o.get("additionalProperties", True), ob, ppn[pat], nb, sub)
                    b = OK if lenient else b
                    b = combine([b, UNK]) if named else b
                else:
                    b, f = self.silent(ppo[pat], ob, n.get("additionalProperties", True), nb, sub)
                    f = OK if lenient else f
                    f = combine([f, UNK]) if named else f
            else:
                b, f = UNK, UNK
            kind = "pattern_properties_added" if pat in ppn else "pattern_properties_removed"
            self.emit(kind, ctx, ppo.get(pat), ppn.get(pat), b, f, ptr=p, applies="object")
        ao, an = o.get("additionalProperties", True), n.get("additionalProperties", True)
        if json_equal(ao, an, refs_ok=False):
            return
        p = ctx.ptr + "/additionalProperties"
        names = set(self._dict(o, "properties")) | set(self._dict(n, "properties"))
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
            self.emit("additional_properties_closed", sub, ao, False, BR, OK, cand_b=gen, **extra)
        elif ao is False:
            self.emit("additional_properties_opened", sub, False, an, OK, BR, cand_f=[Gen("sample", "new")], **extra)
        elif ao is True or ao == {}:
            b, f = self.silent(ao, ob, an, nb, sub)
            self.emit("additional_properties_added", sub, None, an, b, f, cand_b=gen, **extra)
        elif an is True or an == {}:
            b, f = self.silent(ao, ob, an, nb, sub)
            self.emit("additional_properties_removed", sub, ao, None, b, f, cand_f=gen, **extra)
        else:
            self.compare(ao, ob, an, nb, sub)

    # arrays ----------------------------------------------------------------

    def arrays(self, o: dict[str, Any], ob: str, n: dict[str, Any], nb: str, ctx: Ctx) -> None:
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
                self.compare(pxo[i], ob, pxn[i], nb, sub)
            elif i < len(pxn):
                b, f = self.silent(io, ob, pxn[i], nb, sub)
                self.emit("prefix_items_added", sub, None, pxn[i], b, f, applies="array")
            else:
                b, f = self.silent(pxo[i], ob, in_, nb, sub)
                self.emit("prefix_items_removed", sub, pxo[i], None, b, f, applies="array")
        if not json_equal(io, in_, refs_ok=False):
            start = max(len(pxo), len(pxn))
            ip = (*ctx.ipath, ("*", start)) if ctx.ipath is not None else None
            sub = replace(ctx, ptr=ctx.ptr + "/items", ipath=ip, title=None)
            extra: dict[str, Any] = {"old": o, "old_base": ob, "new": n, "new_base": nb}
            if in_ is False:
                self.emit("items_closed", sub, io, False, BR, OK, applies="array", **extra)
            elif io is False:
                self.emit("items_opened", sub, False, in_, OK, BR, applies="array", **extra)
            elif io is True or io == {}:
                b, f = self.silent(io, ob, in_, nb, sub)
                self.emit("items_added", sub, None, in_, b, f, applies="array", **extra)
            elif in_ is True or in_ == {}:
                b, f = self.silent(io, ob, in_, nb, sub)
                self.emit("items_removed", sub, io, None, b, f, applies="array", **extra)
            else:
                self.compare(io, ob, in_, nb, sub)
        co, cn = o.get("contains"), n.get("contains")
        if co is not None or cn is not None:
            p = ctx.ptr + "/contains"
            # A witness puts the element first; the field reads "/*" (some element).
            ip = (*ctx.ipath, ("*", 0)) if ctx.ipath is not None else None
            sub = replace(ctx, ptr=p, ipath=ip, title=None)
            min_n = n.get("minContains", 1)
            min_o = o.get("minContains", 1)
            if co is None:
                self.emit("contains_added", sub, None, cn, BR if min_n != 0 else OK, OK, applies="array")
            elif cn is None:
                self.emit("contains_removed", sub, co, None, OK, BR if min_o != 0 else OK, applies="array")
            else:
                if not self.same(co, ob, cn, nb, sub):
                    if "maxContains" in o or "maxContains" in n:
                        self.emit("contains_changed", sub, co, cn, UNK, UNK, applies="array")
                    else:
                        self.compare(co, ob, cn, nb, replace(sub, disjunctive=True))
                self._bound(o, n, ctx, "minContains", "min_contains", True, "array", default=1)
                self._bound(o, n, ctx, "maxContains", "max_contains", False, "array")
        self._bound(o, n, ctx, "minItems", "min_items", True, "array")
        self._bound(o, n, ctx, "maxItems", "max_items", False, "array")
        uo, un = o.get("uniqueItems") is True, n.get("uniqueItems") is True
        if uo != un:
            p = ctx.ptr + "/uniqueItems"
            if un:
                self.emit("unique_items_added", ctx, o.get("uniqueItems"), True, BR, OK, ptr=p, applies="array")
            else:
                self.emit("unique_items_removed", ctx, True, n.get("uniqueItems"), OK, BR, ptr=p, applies="array")
        if "unevaluatedItems" in o or "unevaluatedItems" in n:
            deps = ("items", "prefixItems", "contains", "allOf", "anyOf", "oneOf", "not", "if",
                    "then", "else", "unevaluatedItems", "$ref")
            if not all((k in o) == (k in n) and self.same(o.get(k), ob, n.get(k), nb, ctx) for k in deps):
                self.emit("unevaluated_items_changed", ctx, o.get("unevaluatedItems"),
                          n.get("unevaluatedItems"), UNK, UNK, ptr=ctx.ptr + "/unevaluatedItems",
                          applies="array")

    # combinators -------------------------------------------------------------

    def _signature(self, side: Side, node: Any, base: str) -> tuple[Any, ...]:
        ref = node.get("$ref") if isinstance(node, dict) else None
        try:
            e, _ = side.expand(node, base)
        except Exception:
            return (ref, None, None)
        if not isinstance(e, dict):
            return (ref, None, e)
        vals = finite_values(e)
        return (ref, frozenset(vals) if vals is not None else None, types_of(e))

    def pair(self, olds: list[Any], ob: str, news: list[Any], nb: str) -> tuple[list[tuple[int, int]], list[int], list[int]]:
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
        sig_o = {i: self._signature(self.old, olds[i], ob) for i in left_o}
        sig_n = {j: self._signature(self.new, news[j], nb) for j in left_n}
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

    def _disjoint_branches(self, side: Side, branches: list[Any], base: str) -> bool:
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
            props = self._dict(e, "properties")
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

    def combinators(self, o: dict[str, Any], ob: str, n: dict[str, Any], nb: str, ctx: Ctx) -> None:
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
                self.emit(f"{snake}_added", ctx, None, ln, BR, OK, ptr=p, cand_b=[Gen("sample", "old")], **extra)
                continue
            if ln is None:
                self.emit(f"{snake}_removed", ctx, lo, None, OK, BR, ptr=p, cand_f=[Gen("sample", "new")], **extra)
                continue
            if json_equal(lo, ln, refs_ok=False):
                continue
            if kw == "oneOf" and not (self._disjoint_branches(self.old, lo, ob)
                                      and self._disjoint_branches(self.new, ln, nb)):
                b, f = self.silent({"anyOf": lo}, ob, {"anyOf": ln}, nb, ctx)
                if b != OK or f != OK or len(lo) != len(ln):
                    self.emit("one_of_changed", ctx, lo, ln, UNK, UNK, ptr=p,
                              cand_b=[Gen("sample", "old")], cand_f=[Gen("sample", "new")], **extra)
                continue
            pairs, gone, new_only = self.pair(lo, ob, ln, nb)
            for i, j in pairs:
                sub = replace(ctx, ptr=f"{p}/{j}", disjunctive=ctx.disjunctive or not conj, in_place=True)
                self.compare(lo[i], ob, ln[j], nb, sub)
            # The branch itself is the local schema whose samples can separate the two sides.
            for i in gone:
                self.emit(f"{snake}_branch_removed", replace(ctx, disjunctive=ctx.disjunctive or not conj),
                          lo[i], None, OK if conj else BR, BR if conj else OK, ptr=f"{p}/{i}",
                          cand_b=[Gen("sample", "old")], cand_f=[Gen("sample", "new")],
                          old=lo[i] if not conj else o, old_base=ob, new=n, new_base=nb)
            for j in new_only:
                self.emit(f"{snake}_branch_added", replace(ctx, disjunctive=ctx.disjunctive or not conj),
                          None, ln[j], BR if conj else OK, OK if conj else BR, ptr=f"{p}/{j}",
                          cand_b=[Gen("sample", "old")], cand_f=[Gen("sample", "new")],
                          old=o, old_base=ob, new=ln[j] if not conj else n, new_base=nb)
        if "not" in o or "not" in n:
            p = ctx.ptr + "/not"
            if "not" not in o:
                self.emit("not_added", ctx, None, n["not"], BR, OK, ptr=p, cand_b=[Gen("sample", "old")], **extra)
            elif "not" not in n:
                self.emit("not_removed", ctx, o["not"], None, OK, BR, ptr=p, cand_f=[Gen("sample", "new")], **extra)
            else:
                self.compare(o["not"], ob, n["not"], nb,
                             replace(ctx, ptr=p, swapped=not ctx.swapped, b_vac=ctx.f_vac,
                                     f_vac=ctx.b_vac, disjunctive=True, title=None, in_place=True))
        if "if" in o or "if" in n:
            p = ctx.ptr + "/if"
            if "if" not in o:
                if "then" in n or "else" in n:
                    self.emit("conditional_added", ctx, None, {k: n[k] for k in ("if", "then", "else") if k in n},
                              BR, OK, ptr=p, cand_b=[Gen("sample", "old")], **extra)
            elif "if" not in n:
                if "then" in o or "else" in o:
                    self.emit("conditional_removed", ctx, {k: o[k] for k in ("if", "then", "else") if k in o},
                              None, OK, BR, ptr=p, cand_f=[Gen("sample", "new")], **extra)
            elif not self.same(o["if"], ob, n["if"], nb, replace(ctx, ptr=p)):
                self.emit("conditional_changed", ctx, o["if"], n["if"], UNK, UNK, ptr=p,
                          cand_b=[Gen("sample", "old")], cand_f=[Gen("sample", "new")], **extra)
            else:
                for kw in ("then", "else"):
                    if kw in o or kw in n:
                        self.compare(o.get(kw, True), ob, n.get(kw, True), nb,
                                     replace(ctx, ptr=ctx.ptr + "/" + kw, disjunctive=True, in_place=True))


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


def _ref_doc(ref: str) -> str:
    # The document a $ref names; "" for the schema itself, so renaming a $defs entry is no change.
    return urldefrag(ref)[0]


def _safe_search(pattern: str, name: str) -> bool:
    try:
        return regexes.search(pattern, name)
    except Exception:
        return False


def _title_of(node: Any) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("title"), str):
        return str(node["title"])
    return None
