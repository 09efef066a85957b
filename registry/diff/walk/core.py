"""The keyword walk's plumbing: two schemas walked side by side, changes reported with local verdicts.

A schema is the conjunction of its keywords, so when every family's value set grows (or stays),
the schema's does. Each family (values, numbers, strings, objects, arrays, combinators: one
module each) answers, per direction, ``compatible`` (provably included), ``breaking`` (the
constraint became stricter in that direction) or ``unknown``. The walk says *where* schemas
differ; the verdicts the diff reports are settled by inclusion (registry/diff/verdicts.py,
explain.py). Recursion through ``$ref`` is co-inductive; work is bounded by depth, node count and
``$ref`` hops (docs/diff.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple
from urllib.parse import urldefrag

from registry.diff.model import Change, Policy, Verdict, combine
from registry.diff.normalize import (
    ALL_TYPES,
    Side,
    TooComplex,
    json_equal,
    type_allowed,
    types_of,
)
from registry.syntax import pointers

OK: Verdict = "compatible"
BR: Verdict = "breaking"
UNK: Verdict = "unknown"

MAX_DEPTH = 60
MAX_NODES = 200_000

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



def field_of(ipath: IPath | None) -> str:
    if ipath is None:
        return ""
    parts: list[str | int] = []
    for tok in ipath:
        if tok[0] == "p" or tok[0] == "i":
            parts.append(tok[1])
        else:
            parts.append("*")
    return pointers.join(parts)


class Walk:
    """One walk over OLD and NEW under a policy; ``run()`` returns the pending changes.

    The plumbing only (reporting, recursion, ``$ref`` co-induction, work bounds); what each
    keyword family reports lives in the sibling modules."""

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
                        field=field_of(ctx.ipath) if field is None else field,
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
                    and isinstance(n.get("$ref"), str) and ref_doc(o["$ref"]) != ref_doc(n["$ref"])):
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
        from registry.diff.walk import arrays, combinators, numbers, objects, strings, values

        values.cosmetics(self, o, n, ctx)
        values.types(self, o, n, ctx, loc)
        values.values(self, o, n, ctx, loc)
        numbers.numbers(self, o, n, ctx, loc)
        strings.strings(self, o, n, ctx, loc)
        objects.objects(self, o, ob, n, nb, ctx)
        arrays.arrays(self, o, ob, n, nb, ctx)
        combinators.combinators(self, o, ob, n, nb, ctx)



def ref_doc(ref: str) -> str:
    """The document a $ref names; "" for the schema itself, so renaming a $defs entry is no change."""
    return urldefrag(ref)[0]
