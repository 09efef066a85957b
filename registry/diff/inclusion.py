"""Inclusion L(a) ⊆ L(b) on canonical forms: True, False with a counterexample, or None.

``Checker.incl`` compares two lazy subschemas: every atom of a must lie in the union of b's
atoms. One atom against a union: finite sets value by value; numbers by interval arithmetic on
lattices (exact); otherwise the atoms of b that may meet a are kept, and a single one decides
exactly (per-kind rules in numbers/strings/arrays/objects); several are tried one by one, their
counterexamples checked against the whole union, and an object atom is split on a property with
a few values or on the presence of an optional property (the form idiom: ``if`` on a choice).

Recursion through ``$ref`` is co-inductive: a pair already under comparison is assumed
included; results that relied on a refuted assumption are forgotten. Work is bounded
(MAX_STEPS): past it the answer is None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from registry.diff import arrays, canonical, numbers, objects, strings
from registry.diff.atoms import (
    KINDS,
    Arr,
    Atom,
    Finite,
    LAll,
    Lazy,
    LConst,
    LNode,
    LNot,
    Num,
    Obj,
    Opaque,
    Str,
    atom_kind,
    kind_of_value,
)
from registry.diff.model import Policy
from registry.diff.normalize import TooComplex, number
from registry.diff.normalize import canon as value_key

MAX_STEPS = 60_000
MAX_SPLIT_VALUES = 16
MAX_SPLIT_DEPTH = 3

Result = tuple[bool | None, Any]


class _None:
    def __repr__(self) -> str:
        return "NONE"


class Checker:
    """Canonical forms, membership, samples and inclusion, with caches for one diff."""

    NONE: Any = _None()
    ANY: Lazy = LConst(canonical.UNIVERSE, "true")
    STRINGS: Lazy = LConst((Str(),), "strings")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._canon: dict[Any, list[Atom]] = {}
        self._incl: dict[tuple[Any, Any], Result] = {}
        self._active: set[tuple[Any, Any]] = set()
        self._added: list[tuple[Any, Any]] = []
        self._samples: dict[Any, Any] = {}
        self._keep: list[Any] = []
        self.steps = 0

    def _step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TooComplex("the inclusion check took too many steps")

    # ------------------------------------------------------------------ canonical forms

    def canon(self, lz: Lazy) -> list[Atom]:
        """The canonical union of atoms of a lazy subschema (cached)."""
        key = lz.key
        hit = self._canon.get(key)
        if hit is not None:
            return hit
        self._step()
        self._keep.append(lz)
        self._canon[key] = [Opaque(k, "recursive definition") for k in KINDS]
        if isinstance(lz, LConst):
            out = list(lz.atoms)
        elif isinstance(lz, LAll):
            out = list(canonical.UNIVERSE)
            for p in lz.parts:
                out = canonical.intersect(self, out, self.canon(p))
        elif isinstance(lz, LNot):
            out = canonical.complement(self, self.canon(lz.part))
        else:
            assert isinstance(lz, LNode)
            out = canonical.from_node(self, lz)
        self._canon[key] = out
        return out

    def is_empty(self, lz: Lazy) -> bool:
        """Provably accepts nothing."""
        if lz is objects.FALSE:
            return True
        return self.proven_empty(self.canon(lz))

    def proven_empty(self, atoms: list[Atom]) -> bool:
        """Every atom provably empty."""
        return all(self._atom_empty(a) for a in atoms)

    def is_empty_atom(self, a: Atom) -> bool:
        """Provably no value in the atom."""
        return self._atom_empty(a)

    def _atom_empty(self, a: Atom) -> bool:
        if isinstance(a, Finite):
            return not a.values
        if isinstance(a, Opaque):
            return False
        if isinstance(a, Num):
            return numbers.empty(a)
        if isinstance(a, Str):
            return strings.empty(a)
        if isinstance(a, Arr):
            return arrays.empty(self, a)
        return objects.empty(self, a)

    # ------------------------------------------------------------------ membership, samples

    def member(self, lz: Lazy, v: Any) -> bool | None:
        """Is v in L(lz)? (None: cannot tell)."""
        return self.member_atoms(self.canon(lz), v)

    def member_atoms(self, atoms: list[Atom] | tuple[Atom, ...], v: Any) -> bool | None:
        """Is v in the union?"""
        unsure = False
        for a in atoms:
            m = self.member_atom(a, v)
            if m is True:
                return True
            unsure = unsure or m is None
        return None if unsure else False

    def member_atom(self, a: Atom, v: Any) -> bool | None:
        """Is v in one atom?"""
        self._step()
        if isinstance(a, Finite):
            return value_key(v) in a.values
        if isinstance(a, Opaque):
            return None if kind_of_value(v) == a.of else False
        if isinstance(a, Num):
            return numbers.member(a, v)
        if isinstance(a, Str):
            return strings.member(a, v)
        if isinstance(a, Arr):
            return arrays.member(self, a, v)
        return objects.member(self, a, v)

    def sample(self, lz: Lazy) -> Any:
        """A value of L(lz), or NONE."""
        key = lz.key
        if key in self._samples:
            return self._samples[key]
        self._samples[key] = self.NONE  # recursion guard
        out = self.NONE
        for a in self.canon(lz):
            s = self.sample_atom(a)
            if s is not self.NONE:
                out = s
                break
        self._samples[key] = out
        return out

    def sample_atom(self, a: Atom) -> Any:
        """A value of one atom, or NONE."""
        self._step()
        if isinstance(a, Finite):
            return next(iter(a.values.values())) if a.values else self.NONE
        if isinstance(a, Opaque):
            return self.NONE
        if isinstance(a, Num):
            s: Any = numbers.sample(a)
        elif isinstance(a, Str):
            s = strings.sample(a)
        elif isinstance(a, Arr):
            s = arrays.sample(self, a)
        else:
            s = objects.sample(self, a)
        return self.NONE if s is None else s

    # ------------------------------------------------------------------ inclusion

    def incl(self, la: Lazy | None, lb: Lazy | None) -> Result:
        """Is L(la) ⊆ L(lb)? (None stands for the schema ``true``.)"""
        if lb is None or lb is self.ANY:
            return True, None
        if la is None:
            la = self.ANY
        if la is objects.FALSE or la.key == lb.key:
            return True, None
        pair = (la.key, lb.key)
        hit = self._incl.get(pair)
        if hit is not None:
            return hit
        if pair in self._active:
            return True, None  # co-inductive hypothesis
        self._step()
        self._keep += [la, lb]
        self._active.add(pair)
        mark = len(self._added)
        try:
            res = self.incl_atoms(self.canon(la), self.canon(lb))
        finally:
            self._active.discard(pair)
        if res[0] is not True:
            # Results that assumed this pair included are no longer trustworthy.
            for p in self._added[mark:]:
                self._incl.pop(p, None)
            del self._added[mark:]
        self._incl[pair] = res
        self._added.append(pair)
        return res

    def incl_atoms(self, left: list[Atom], right: list[Atom]) -> Result:
        """∪ left ⊆ ∪ right."""
        unknown = False
        for a in left:
            r, cex = self.incl_atom(a, right, 0)
            if r is False:
                return False, cex
            unknown = unknown or r is None
        return (None, None) if unknown else (True, None)

    def incl_atom(self, a: Atom, right: list[Atom], depth: int) -> Result:
        """One atom ⊆ a union."""
        self._step()
        if isinstance(a, Finite):
            unknown = False
            for v in a.values.values():
                m = self.member_atoms(right, v)
                if m is False:
                    return False, v
                unknown = unknown or m is None
            return (None, None) if unknown else (True, None)
        kind = atom_kind(a)
        same = [b for b in right if atom_kind(b) == kind or (isinstance(b, Finite) and atom_kind(b) is None)]
        for b in same:
            if _universal(b, kind):
                return True, None
        if self._atom_empty(a):
            return True, None
        if isinstance(a, Opaque):
            return None, None
        if isinstance(a, Num):
            nums: list[Num] = []
            unknown = False
            for b in same:
                if isinstance(b, Num):
                    nums.append(b)
                elif isinstance(b, Finite):
                    for v in b.values.values():
                        x = number(v) if kind_of_value(v) == "number" else None
                        if x is not None:
                            nums.append(Num(x, False, x, False))
                else:
                    unknown = True
            r, cex = numbers.included(a, nums)
            if r is False and self.member_atoms(right, cex) is False:
                return False, cex
            if r is True:
                return True, None
            return None, None
        cands = [b for b in same if not isinstance(b, Finite) and not self._disjoint(a, b)]
        finite_vals = [v for b in same if isinstance(b, Finite) for v in b.values.values()
                       if kind_of_value(v) == kind]
        if isinstance(a, Str) and finite_vals and len(cands) <= 1 and not any(isinstance(b, Opaque) for b in cands):
            # Strings: what the finite values do not cover must lie in the one string atom.
            rest = replace(a, excluded={**a.excluded, **{value_key(v): v for v in finite_vals}})
            if not cands:
                if strings.empty(rest):
                    return True, None
                w = strings.sample(rest)
                return (False, w) if w is not None and self.member_atoms(right, w) is False else (None, None)
            only = cands[0]
            if not isinstance(only, Str):
                return None, None
            r, cex = strings.included(rest, only)
            if r is False and self.member_atoms(right, cex) is not False:
                return None, None
            return r, cex
        cexes: list[Any] = []
        for b in cands:
            if isinstance(b, Opaque):
                continue
            r, cex = self._single(a, b)
            if r is True:
                return True, None
            if r is False:
                cexes.append(cex)
        for cex in cexes:
            if self.member_atom(a, cex) is True and self.member_atoms(right, cex) is False:
                return False, cex
        if not cands:
            s = self.sample_atom(a)
            if s is not self.NONE and self.member_atoms(right, s) is False:
                return False, s
        if isinstance(a, Obj) and depth < MAX_SPLIT_DEPTH and len(cands) + len(finite_vals) > 1:
            parts = self._split(a, cands)
            if parts is not None:
                unknown = False
                for p in parts:
                    r, cex = self.incl_atom(p, right, depth + 1)
                    if r is False:
                        return False, cex
                    unknown = unknown or r is None
                return (None, None) if unknown else (True, None)
        return None, None

    def _single(self, a: Atom, b: Atom) -> Result:
        if isinstance(a, Str) and isinstance(b, Str):
            return strings.included(a, b)
        if isinstance(a, Arr) and isinstance(b, Arr):
            return arrays.included(self, a, b)
        if isinstance(a, Obj) and isinstance(b, Obj):
            return objects.included(self, a, b)
        return None, None

    def _disjoint(self, a: Atom, b: Atom) -> bool:
        m = canonical.meet(self, a, b)
        return m is None or self._atom_empty(m)

    def _split(self, a: Obj, cands: Sequence[Atom]) -> list[Atom] | None:
        """Cases of a that the candidates may tell apart: one per value of a property with a few
        values (and its absence), or the presence/absence of an optional property."""
        for k, lz in a.props.items():
            if not any(isinstance(b, Obj) and (k in b.props or k in b.required) for b in cands):
                continue
            atoms = self.canon(lz)
            if len(atoms) == 1 and isinstance(atoms[0], Finite) and 1 < len(atoms[0].values) <= MAX_SPLIT_VALUES:
                out: list[Atom] = []
                for key, v in atoms[0].values.items():
                    out.append(replace(a, props={**a.props, k: LConst((Finite({key: v}),), f"v:{k}:{key!r}")},
                                       required=a.required | {k}))
                if k not in a.required:
                    out.append(replace(a, props={**a.props, k: objects.FALSE}))
                return out
        for b in cands:
            if not isinstance(b, Obj):
                continue
            for k in sorted(b.required - a.required):
                return [replace(a, props={**a.props, k: objects.FALSE}),
                        replace(a, required=a.required | {k})]
        for b in cands:
            if not isinstance(b, Obj):
                continue
            for k, lz in b.props.items():
                if lz is objects.FALSE and k not in a.required and objects.schema_for(a, k) is not objects.FALSE:
                    return [replace(a, props={**a.props, k: objects.FALSE}),
                            replace(a, required=a.required | {k})]
        return None


def _universal(b: Atom, kind: str | None) -> bool:
    """Does the atom hold every value of the kind?"""
    if isinstance(b, Finite):
        return kind in ("null", "boolean") and all(k in b.values for k in canonical.full_values(kind))
    if isinstance(b, Num):
        return b.lo is None and b.hi is None and b.step is None and not b.excluded
    if isinstance(b, Str):
        return b.lo == 0 and b.hi is None and not (b.patterns or b.neg or b.formats or b.excluded)
    if isinstance(b, Arr):
        return b.items is None and not b.prefix and b.lo == 0 and b.hi is None and not b.contains \
            and not b.unique and not b.excluded
    if isinstance(b, Obj):
        return not b.props and not b.rules and not b.required and b.lo == 0 and b.hi is None \
            and b.names is None and not b.declared and not b.excluded
    return False
