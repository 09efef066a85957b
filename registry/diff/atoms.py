"""The canonical form's pieces: a schema is a union (list) of atoms, each of one JSON type.

An atom is a conjunction of the constraints of one value kind (docs/diff.md "How the engine
works"): ``Finite`` (an explicit set of values: enum/const, null, booleans), ``Num`` (an interval
with exclusive bounds and a ``multipleOf`` lattice; integer is step 1), ``Str`` (length bounds,
patterns, negated patterns), ``Arr`` and ``Obj`` (their keywords over lazily canonicalised
subschemas) and ``Opaque`` (an unknown part of one type: what no rule represents exactly).
Subschemas stay lazy (``Lazy``) so recursive schemas never unfold; the checker canonicalises
them on demand and caches the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

KINDS = ("null", "boolean", "number", "string", "array", "object")
SELF_AND_CHILDREN = 1  # LNode.declared: the lenient assumption for this object and those inside
CHILDREN = 2  # ...only for the objects inside (an in-place branch)


class Lazy:
    """A subschema not yet canonicalised; ``key`` identifies it for caching and co-induction."""

    key: Any = None


@dataclass(frozen=True, eq=False)
class LNode(Lazy):
    """A schema node of one side, read with its base URI. ``declared`` adds the lenient
    assumption (objects carry only the properties they declare): SELF_AND_CHILDREN for a value's
    own schema, CHILDREN for an in-place branch (its siblings declare names too), 0 for none."""

    side: Any  # normalize.Side
    node: Any
    base: str
    declared: int

    @property
    def key(self) -> Any:
        return ("n", self.side.name, id(self.node), self.base, self.declared)


@dataclass(frozen=True, eq=False)
class LAll(Lazy):
    """The conjunction of several subschemas."""

    parts: tuple[Lazy, ...]

    @property
    def key(self) -> Any:
        return ("all", tuple(p.key for p in self.parts))


@dataclass(frozen=True, eq=False)
class LNot(Lazy):
    """The complement of a subschema."""

    part: Lazy

    @property
    def key(self) -> Any:
        return ("not", self.part.key)


@dataclass(frozen=True, eq=False)
class LConst(Lazy):
    """An already canonical union of atoms."""

    atoms: tuple[Any, ...]
    name: str = ""

    @property
    def key(self) -> Any:
        return ("c", self.name or id(self))


@dataclass(frozen=True)
class Finite:
    """Exactly these values (canonical identity → value)."""

    values: dict[Any, Any]
    kind: str = "finite"


@dataclass(frozen=True)
class Num:
    """Numbers in [lo, hi] (bounds exclusive when ``*_x``; None: unbounded), on the lattice
    ``step``·ℤ when step is set, minus ``excluded``."""

    lo: Fraction | None = None
    lo_x: bool = False
    hi: Fraction | None = None
    hi_x: bool = False
    step: Fraction | None = None
    excluded: dict[Any, Any] = field(default_factory=dict)
    hints: tuple[Any, ...] = ()
    kind: str = "number"


@dataclass(frozen=True)
class Str:
    """Strings with ``lo`` ≤ length ≤ ``hi`` (code points), matching every pattern, none of
    ``neg``, of every ``formats`` (only with format assertion), minus ``excluded``."""

    lo: int = 0
    hi: int | None = None
    patterns: tuple[str, ...] = ()
    neg: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    excluded: dict[Any, Any] = field(default_factory=dict)
    hints: tuple[Any, ...] = ()
    kind: str = "string"


@dataclass(frozen=True)
class Arr:
    """Arrays: position i follows ``prefix[i]`` (beyond: ``items``), length in [lo, hi],
    ``contains`` as (schema, min, max) triples, ``unique`` items."""

    prefix: tuple[Lazy, ...] = ()
    items: Lazy | None = None  # None: any value
    lo: int = 0
    hi: int | None = None
    contains: tuple[tuple[Lazy, int, int | None], ...] = ()
    unique: bool = False
    excluded: dict[Any, Any] = field(default_factory=dict)
    hints: tuple[Any, ...] = ()
    kind: str = "array"

    def at(self, i: int) -> Lazy | None:
        """The schema of position i (None: any value)."""
        return self.prefix[i] if i < len(self.prefix) else self.items


@dataclass(frozen=True)
class Rule:
    """How one conjunct treats a property not named in ``Obj.props``: the ``patternProperties``
    it matches, else ``additional`` (None: any value)."""

    patterns: tuple[tuple[str, Lazy], ...] = ()
    additional: Lazy | None = None


@dataclass(frozen=True)
class Obj:
    """Objects: named properties (their full conjunction), rules for the others, required
    names, size bounds, ``propertyNames``, and under lenient the declared names/patterns
    (``declared``: keys outside them never occur)."""

    props: dict[str, Lazy] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    required: frozenset[str] = frozenset()
    lo: int = 0
    hi: int | None = None
    names: Lazy | None = None
    declared: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = ()
    excluded: dict[Any, Any] = field(default_factory=dict)
    hints: tuple[Any, ...] = ()
    kind: str = "object"


@dataclass(frozen=True)
class Opaque:
    """Some unknown subset of the values of one kind (the reason says why)."""

    of: str
    why: str
    kind: str = "opaque"


Atom = Finite | Num | Str | Arr | Obj | Opaque


def kind_of_value(v: Any) -> str:
    """The value kind of a JSON value (integers are numbers)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def atom_kind(a: Atom) -> str | None:
    """The value kind an atom belongs to (None for a mixed Finite)."""
    if isinstance(a, Opaque):
        return a.of
    if isinstance(a, Finite):
        kinds = {kind_of_value(v) for v in a.values.values()}
        return kinds.pop() if len(kinds) == 1 else None
    return a.kind
