"""The semantic verdicts of a diff: backward = L(old) ⊆ L(new), forward = L(new) ⊆ L(old).

Under lenient the source side of each direction is read with the lenient assumption (its
objects carry only the properties it declares). A refutation counts only with a counterexample
that jsonschema-rs accepts under the source schema and rejects under the other; anything else
is None (unknown), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from registry.diff import objects
from registry.diff.atoms import (
    SELF_AND_CHILDREN,
    Arr,
    Finite,
    Lazy,
    LConst,
    LNode,
    Obj,
    Opaque,
    atom_kind,
    kind_of_value,
)
from registry.diff.canonical import UNIVERSE
from registry.diff.inclusion import Checker
from registry.diff.model import Policy
from registry.diff.normalize import Side, TooComplex
from registry.syntax import pointers


@dataclass(frozen=True)
class Direction:
    """One direction's answer: True (included), False (with a checked value) or None."""

    included: bool | None
    witness: Any = None
    reason: str = ""


def decide(old: Side, new: Side, policy: Policy, valid: Any,
           directions: tuple[Literal["backward", "forward"], ...] = ("backward", "forward"),
           ) -> dict[str, Direction]:
    """Decide the requested directions; ``valid(side, value)`` validates a whole instance."""
    ck = Checker(policy)
    lenient = not policy.is_strict
    out: dict[str, Direction] = {}
    for d in directions:
        src, dst = (old, new) if d == "backward" else (new, old)
        a = LNode(src, src.root, src.root_base, SELF_AND_CHILDREN if lenient else 0)
        b = LNode(dst, dst.root, dst.root_base, 0)
        try:
            r, cex = ck.incl(a, b)
        except (TooComplex, RecursionError) as exc:
            out[d] = Direction(None, reason=str(exc) or "too complex")
            continue
        except Exception as exc:  # an unreadable part of a schema: unknown, never a crash
            out[d] = Direction(None, reason=f"{type(exc).__name__}: {exc}")
            continue
        if r is False:
            if valid(src.name, cex) is True and valid(dst.name, cex) is False:
                out[d] = Direction(False, cex)
            else:
                out[d] = Direction(None, reason="counterexample not confirmed by validation")
        else:
            out[d] = Direction(r)
    return out


KIND_OF_CHANGE = (
    (("min_length", "max_length", "pattern_added", "pattern_removed", "pattern_changed", "format"), "string"),
    (("minimum", "maximum", "exclusive_", "multiple_of"), "number"),
    (("items", "prefix_items", "contains", "min_contains", "max_contains", "min_items", "max_items",
      "unique_items", "unevaluated_items"), "array"),
    (("property", "required", "additional_properties", "pattern_properties", "min_properties",
      "max_properties", "dependent_", "unevaluated_properties"), "object"),
)


def change_value_kind(kind: str) -> str | None:
    """The value kind a change kind constrains (None: any kind, e.g. type/enum/anyOf)."""
    for prefixes, k in KIND_OF_CHANGE:
        if kind.startswith(prefixes):
            return k
    return None


PLAIN_BLOCKERS = frozenset({"$ref", "$dynamicRef", "$id", "allOf", "anyOf", "oneOf", "not", "if",
                            "dependentSchemas", "dependentRequired", "patternProperties",
                            "unevaluatedProperties", "propertyNames"})


class Fields:
    """Per-field views of both schemas: the values a field can take in any case (a projection),
    compared by inclusion to tell which changes contribute to a verdict."""

    def __init__(self, old: Side, new: Side, policy: Policy) -> None:
        self.ck = Checker(policy)
        self.old, self.new = old, new
        self.lenient = not policy.is_strict
        self._proj: dict[tuple[str, str, bool], LConst | None] = {}

    def project(self, side: Side, field: str, declared: bool) -> LConst | None:
        """The union of what a field's value may be, over every case of the schema (None: the
        field is not one place, e.g. "any undeclared property")."""
        key = (side.name, field, declared)
        if key in self._proj:
            return self._proj[key]
        tokens = pointers.split(field) if field else []
        node, base = side.root, side.root_base
        # Fast path: plain nested "properties" (no applicators, references or patterns on the
        # way) lead to one subschema; only the rest needs the canonical form.
        while tokens and isinstance(node, dict) and not (PLAIN_BLOCKERS & node.keys()) \
                and isinstance(node.get("properties"), dict) and tokens[0] in node["properties"]:
            node = node["properties"][tokens[0]]
            tokens = tokens[1:]
        atoms = self.ck.canon(LNode(side, node, base, SELF_AND_CHILDREN if declared else 0))
        for tok in tokens:
            nxt: list[Any] = []
            for a in atoms:
                sub: Lazy | None = None
                if isinstance(a, Obj):
                    if tok == "*":
                        return self._store(key, None)
                    sub = objects.schema_for(a, tok)
                elif isinstance(a, Arr):
                    sub = a.at(int(tok)) if tok.isdigit() else (a.items if not a.prefix else None)
                    if tok == "*" and a.prefix:
                        return self._store(key, None)
                elif isinstance(a, Opaque) and a.of in ("object", "array"):
                    return self._store(key, None)
                else:
                    continue
                nxt += self.ck.canon(sub) if sub is not None else list(UNIVERSE)
            atoms = nxt
        return self._store(key, LConst(tuple(atoms), f"p:{key}"))

    def _store(self, key: tuple[str, str, bool], v: LConst | None) -> LConst | None:
        self._proj[key] = v
        return v

    def included(self, field: str, direction: str, kind: str | None, strict: bool = False) -> bool | None:
        """Is the field's projection (restricted to a value kind) included in the direction?"""
        src, dst = (self.old, self.new) if direction == "backward" else (self.new, self.old)
        try:
            a = self.project(src, field, self.lenient and not strict)
            b = self.project(dst, field, False)
        except Exception:
            return None
        if a is None or b is None:
            return None
        if kind is not None:
            a = LConst(tuple(_only(x, kind) for x in a.atoms if _only(x, kind) is not None), a.name + ":" + kind)
        try:
            return self.ck.incl(a, b)[0]
        except (TooComplex, RecursionError):
            return None
        except Exception:
            return None


def _only(a: Any, kind: str) -> Any:
    if isinstance(a, Finite):
        vals = {k: v for k, v in a.values.items() if kind_of_value(v) == kind}
        return Finite(vals) if vals else None
    return a if atom_kind(a) == kind else None
