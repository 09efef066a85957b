"""The canonical form: a schema node → a union of atoms (registry/diff/atoms.py), by meaning.

- ``$ref`` is expanded one node at a time (``normalize.Side.expand``), so recursion stays lazy;
- the value space is split by kind: ``type`` lists, ``anyOf`` of types and per-type keywords all
  end up as the same atoms;
- ``allOf`` is the intersection of the parts, ``anyOf`` their union, ``oneOf`` the union of
  ``branch_i ∧ ¬branch_j (j ≠ i)`` (just the union when branches are pairwise disjoint), ``not``
  the complement (exact where the complement of an atom is representable, else an ``Opaque``
  part), ``if/then/else`` is ``(if ∧ then) ∨ (¬if ∧ else)``, ``dependentRequired`` and
  ``dependentSchemas`` are ``(key absent) ∨ (key present ∧ …)``;
- ``enum``/``const`` are finite sets filtered by the other constraints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from registry.diff import arrays, numbers, objects, strings
from registry.diff.atoms import (
    CHILDREN,
    KINDS,
    SELF_AND_CHILDREN,
    Arr,
    Atom,
    Finite,
    LAll,
    Lazy,
    LNode,
    Num,
    Obj,
    Opaque,
    Str,
    atom_kind,
    kind_of_value,
)
from registry.diff.normalize import finite_values

if TYPE_CHECKING:
    from registry.diff.inclusion import Checker

NULL = Finite({None: None})
BOOLEANS = Finite({("b", True): True, ("b", False): False})
MAX_ATOMS = 256  # a DNF larger than this is cut to an Opaque part per kind


def full(kind: str) -> Atom:
    """The atom of every value of one kind."""
    if kind == "null":
        return NULL
    if kind == "boolean":
        return BOOLEANS
    if kind == "number":
        return Num()
    if kind == "string":
        return Str()
    return Arr() if kind == "array" else Obj()


UNIVERSE: tuple[Atom, ...] = tuple(full(k) for k in KINDS)


def kinds_of(e: dict[str, Any]) -> tuple[list[str], bool]:
    """The kinds ``type`` allows and whether numbers must be integers."""
    t = e.get("type")
    names = [t] if isinstance(t, str) else t if isinstance(t, list) else None
    if names is None:
        return list(KINDS), False
    out = [k for k in KINDS if k in names or (k == "number" and "integer" in names)]
    return out, "integer" in names and "number" not in names


def hints_of(e: dict[str, Any]) -> tuple[Any, ...]:
    """Example values the schema itself offers (examples, default), tried first when sampling."""
    out: list[Any] = []
    ex = e.get("examples")
    if isinstance(ex, list):
        out += ex[:5]
    if "default" in e:
        out.append(e["default"])
    return tuple(out)


def from_node(ck: Checker, ln: LNode) -> list[Atom]:
    """Canonicalise one schema node."""
    e, base = ln.side.expand(ln.node, ln.base)
    if e is False or not isinstance(e, dict):
        return []
    if "$dynamicRef" in e:
        return [Opaque(k, "$dynamicRef") for k in KINDS]

    inner = SELF_AND_CHILDREN if ln.declared else 0

    def child(node: Any) -> LNode:  # a value inside this one (property, item)
        return LNode(ln.side, node, base, inner)

    def sub(node: Any) -> LNode:  # an in-place branch: the same value
        return LNode(ln.side, node, base, CHILDREN if ln.declared else 0)

    kinds, integer = kinds_of(e)
    hints = hints_of(e)
    own: list[Atom] = []
    for k in kinds:
        if k == "null":
            own.append(NULL)
        elif k == "boolean":
            own.append(BOOLEANS)
        elif k == "number":
            own.append(numbers.build(e, integer, hints))
        elif k == "string":
            own.append(strings.build(e, ck.policy.format_assertion, hints))
        elif k == "array":
            own.append(arrays.build(e, child, hints))
        else:
            own.append(objects.build(ck, e, base, ln, child, hints))
    result = own
    vals = finite_values(e)
    if vals is not None:
        result = intersect(ck, result, [Finite(vals)])
    for kw in ("allOf",):
        parts = e.get(kw)
        if isinstance(parts, list):
            for p in parts:
                result = intersect(ck, result, ck.canon(sub(p)))
    if isinstance(e.get("anyOf"), list):
        union: list[Atom] = []
        for p in e["anyOf"]:
            union += ck.canon(sub(p))
        result = intersect(ck, result, union)
    if isinstance(e.get("oneOf"), list):
        result = intersect(ck, result, one_of(ck, [sub(p) for p in e["oneOf"]]))
    if "not" in e:
        result = intersect(ck, result, complement(ck, ck.canon(sub(e["not"]))))
    if "if" in e and ("then" in e or "else" in e):
        cond = ck.canon(sub(e["if"]))
        then = intersect(ck, cond, ck.canon(sub(e.get("then", True))))
        other = intersect(ck, complement(ck, cond), ck.canon(sub(e.get("else", True))))
        result = intersect(ck, result, then + other)
    for name, extra in objects.dependencies(e, sub):
        result = intersect(ck, result, [*absent(name), *present(name, extra, ck)])
    return cap(result)


def absent(name: str) -> list[Atom]:
    """Every value except objects having ``name``."""
    return [*(full(k) for k in KINDS if k != "object"), objects.without(name)]


def present(name: str, extra: Lazy | None, ck: Checker) -> list[Atom]:
    """Objects having ``name`` (and satisfying ``extra``)."""
    base: list[Atom] = [Obj(required=frozenset({name}))]
    return base if extra is None else intersect(ck, base, ck.canon(extra))


def one_of(ck: Checker, branches: list[Lazy]) -> list[Atom]:
    """Exactly one branch: the union when pairwise disjoint, else branch_i minus the others."""
    canons = [ck.canon(b) for b in branches]
    disjoint = all(not intersect(ck, canons[i], canons[j]) or ck.proven_empty(intersect(ck, canons[i], canons[j]))
                   for i in range(len(canons)) for j in range(i + 1, len(canons)))
    out: list[Atom] = []
    if disjoint:
        for c in canons:
            out += c
        return out
    for i, c in enumerate(canons):
        part = c
        for j, d in enumerate(canons):
            if j != i:
                part = intersect(ck, part, complement(ck, d))
        out += part
    return out


def cap(atoms: list[Atom]) -> list[Atom]:
    """Tidy the DNF (finite sets merged into one) and bound it: past MAX_ATOMS, the kinds
    involved become Opaque (sound: unknown)."""
    finites = [a for a in atoms if isinstance(a, Finite)]
    if len(finites) > 1:
        merged: dict[Any, Any] = {}
        for f in finites:
            merged.update(f.values)
        atoms = [Finite(merged), *(a for a in atoms if not isinstance(a, Finite))]
    if len(atoms) <= MAX_ATOMS:
        return atoms
    kinds = {atom_kind(a) for a in atoms}
    return [Opaque(k, "too many cases") for k in KINDS if k in kinds or None in kinds]


def intersect(ck: Checker, left: list[Atom], right: list[Atom]) -> list[Atom]:
    """The DNF of (∨ left) ∧ (∨ right)."""
    if len(right) == len(UNIVERSE) and all(a is b for a, b in zip(right, UNIVERSE, strict=True)):
        return left
    out: list[Atom] = []
    for a in left:
        for b in right:
            m = meet(ck, a, b)
            if m is not None:
                out.append(m)
    return cap(out)


def meet(ck: Checker, a: Atom, b: Atom) -> Atom | None:
    """The conjunction of two atoms (None when provably empty)."""
    if isinstance(b, Finite) and not isinstance(a, Finite):
        a, b = b, a
    if isinstance(a, Finite):
        keep: dict[Any, Any] = {}
        unsure: set[str] = set()
        for k, v in a.values.items():
            m = ck.member_atom(b, v)
            if m is True:
                keep[k] = v
            elif m is None:
                unsure.add(kind_of_value(v))
        if unsure:
            return Opaque(unsure.pop(), "a value whose membership is unknown")
        return Finite(keep) if keep else None
    ka, kb = atom_kind(a), atom_kind(b)
    if ka != kb:
        return None
    if isinstance(a, Opaque):
        return a
    if isinstance(b, Opaque):
        return b
    if isinstance(a, Num) and isinstance(b, Num):
        return numbers.meet(a, b)
    if isinstance(a, Str) and isinstance(b, Str):
        return strings.meet(a, b)
    if isinstance(a, Arr) and isinstance(b, Arr):
        return arrays.meet(a, b)
    if isinstance(a, Obj) and isinstance(b, Obj):
        return objects.meet(ck, a, b)
    return None


def complement(ck: Checker, atoms: list[Atom]) -> list[Atom]:
    """The DNF of ¬(∨ atoms): the conjunction of each atom's complement."""
    out: list[Atom] = list(UNIVERSE)
    for a in atoms:
        out = intersect(ck, out, complement_atom(a))
        if not out:
            break
    return out


def complement_atom(a: Atom) -> list[Atom]:
    """¬a over every JSON value."""
    kind = atom_kind(a)
    if isinstance(a, Finite):
        out: list[Atom] = []
        for k in KINDS:
            vals = {key: v for key, v in a.values.items() if kind_of_value(v) == k}
            if k in ("null", "boolean"):
                rest = {key: v for key, v in full_values(k).items() if key not in vals}
                if rest:
                    out.append(Finite(rest))
            else:
                out.append(with_excluded(full(k), vals))
        return out
    others = [full(k) for k in KINDS if k != kind]
    if isinstance(a, Opaque):
        return [*others, Opaque(a.of, "complement of: " + a.why)]
    excluded = getattr(a, "excluded", {})
    back: list[Atom] = [Finite(dict(excluded))] if excluded else []
    if isinstance(a, Num):
        return others + numbers.complement(a) + back
    if isinstance(a, Str):
        return others + strings.complement(a) + back
    if isinstance(a, Arr):
        return others + arrays.complement(a) + back
    assert isinstance(a, Obj)
    return others + objects.complement(a) + back


def full_values(kind: str) -> dict[Any, Any]:
    """The values of a finite kind."""
    return dict(NULL.values) if kind == "null" else dict(BOOLEANS.values)


def with_excluded(a: Atom, vals: dict[Any, Any]) -> Atom:
    """An atom minus some values."""
    if not vals or isinstance(a, Finite | Opaque):
        return a
    from dataclasses import replace

    return replace(a, excluded={**a.excluded, **vals})


def conj(*parts: Lazy | None) -> Lazy | None:
    """The conjunction of optional subschemas (None: no constraint)."""
    real = [p for p in parts if p is not None]
    if not real:
        return None
    if len(real) == 1:
        return real[0]
    flat: list[Lazy] = []
    for p in real:
        flat += list(p.parts) if isinstance(p, LAll) else [p]
    return LAll(tuple(flat))

