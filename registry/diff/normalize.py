"""Reading schemas for comparison: JSON value identity, type sets, bounds, ``$ref`` expansion.

Pure helpers shared by the engine and the witness builder. ``$ref`` is expanded lazily, one node
at a time, so recursive schemas never unfold infinitely; the engine bounds the rest.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any
from urllib.parse import urldefrag, urljoin

from registry.layout import COMMON_BASE
from registry.syntax.refs import Resolver, SchemaSet

ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})

ANNOTATION_KEYS = frozenset({
    "title", "description", "examples", "$comment", "deprecated", "readOnly", "writeOnly",
    "contentMediaType", "contentEncoding", "contentSchema",
})
IDENTIFIER_KEYS = frozenset({"$id", "$schema", "$anchor", "$dynamicAnchor", "$vocabulary"})
CONTAINER_KEYS = frozenset({"$defs", "definitions"})
# Keywords whose value sets the engine compares (2020-12 applicators and validation vocabulary).
ASSERTION_KEYS = frozenset({
    "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minLength", "maxLength", "pattern", "format", "properties", "required",
    "additionalProperties", "patternProperties", "propertyNames", "minProperties",
    "maxProperties", "dependentRequired", "dependentSchemas", "unevaluatedProperties", "items",
    "prefixItems", "contains", "minContains", "maxContains", "minItems", "maxItems",
    "uniqueItems", "unevaluatedItems", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
    "$ref", "$dynamicRef",
})
MAX_EQ_DEPTH = 150


class TooComplex(Exception):
    """A work bound was reached; the engine answers ``unknown``."""


def canon(value: Any, depth: int = 0) -> Any:
    """A hashable identity of a JSON value with JSON equality (``1 == 1.0``, ``true != 1``)."""
    if depth > MAX_EQ_DEPTH:
        raise TooComplex("value nested too deeply")
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int):
        return ("n", value)
    if isinstance(value, float):
        return ("n", int(value)) if value.is_integer() else ("n", value)
    if isinstance(value, list):
        return ("l", tuple(canon(v, depth + 1) for v in value))
    if isinstance(value, dict):
        return ("o", tuple(sorted((k, canon(v, depth + 1)) for k, v in value.items())))
    return ("?", repr(value))


def json_equal(a: Any, b: Any, *, refs_ok: bool = True, depth: int = 0) -> bool:
    """JSON equality of two documents; False when ``refs_ok`` is False and a ``$ref`` other than
    a shared definition occurs (it resolves in two different documents), or when too deep."""
    if depth > MAX_EQ_DEPTH:
        return False
    if isinstance(a, dict):
        if not isinstance(b, dict) or len(a) != len(b):
            return False
        for k, v in a.items():
            if k not in b:
                return False
            if k == "$ref" and not refs_ok and not _absolute_ref(v):
                return False
            if not json_equal(v, b[k], refs_ok=refs_ok, depth=depth + 1):
                return False
        return True
    if isinstance(a, list):
        return (isinstance(b, list) and len(a) == len(b)
                and all(json_equal(x, y, refs_ok=refs_ok, depth=depth + 1) for x, y in zip(a, b, strict=True)))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _absolute_ref(ref: Any) -> bool:
    # Only shared definitions resolve to the same document from both schemas: "#/$defs/x" (and
    # even an absolute URI, when both versions carry the same $id) may not.
    return isinstance(ref, str) and (ref.startswith("/common/") or ref.startswith(COMMON_BASE))


def types_of(schema: dict[str, Any]) -> frozenset[str]:
    """The instance types a schema's ``type`` allows (all when absent); number includes integer."""
    t = schema.get("type")
    if isinstance(t, str):
        out = {t}
    elif isinstance(t, list) and all(isinstance(x, str) for x in t):
        out = set(t)
    else:
        return ALL_TYPES
    if "number" in out:
        out.add("integer")
    return frozenset(out & ALL_TYPES)


def type_allowed(kind: str, types: frozenset[str]) -> bool:
    """Does a type set admit values of ``kind`` (number keywords apply to integers too)?"""
    if kind == "number":
        return "number" in types or "integer" in types
    return kind in types


def number(value: Any) -> Fraction | None:
    """An exact rational for a JSON number (the decimal as written), None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return Fraction(repr(value))
    return None


def integer_only(types: frozenset[str]) -> bool:
    """True when the only numbers a schema admits are integers."""
    return "integer" in types and "number" not in types


class Side:
    """One of the two schemas being compared, with its ``$ref`` resolver."""

    def __init__(self, name: str, root: Any, schemas: SchemaSet) -> None:
        self.name = name
        self.root = root
        self.schemas = schemas
        self._resolver: Resolver | None = None
        root_id = root.get("$id") if isinstance(root, dict) else None
        self.root_base = urldefrag(urljoin("", root_id))[0] if isinstance(root_id, str) else ""

    @property
    def resolver(self) -> Resolver:
        """Built on the first ``$ref``: indexing a document costs time most diffs never need."""
        if self._resolver is None:
            self._resolver = Resolver(self.root, self.schemas)
        return self._resolver

    def ref_key(self, node: Any, base: str) -> str | None:
        """The absolute target of a node's ``$ref`` (stable across visits), if it has one."""
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            b = Resolver.base_of(base, node)
            return urljoin(b, node["$ref"]) if b else str(node["$ref"])
        return None

    def expand(self, node: Any, base: str) -> tuple[Any, str]:
        """The node with its ``$ref`` (chain) replaced by the target, siblings applied alongside.

        Returns ``(False | dict, base URI in effect)``. Sibling assertions of a ``$ref`` apply in
        conjunction (2020-12): they are merged when no keyword overlaps, else kept as ``allOf``
        with an absolute ``$ref`` so that both parts resolve from anywhere.
        """
        hops = 0
        annotations: dict[str, Any] = {}
        while True:
            if node is True:
                node = {}
            if node is False or not isinstance(node, dict):
                return (False if node is False else node), base
            base = Resolver.base_of(base, node)
            ref = node.get("$ref")
            if not isinstance(ref, str):
                break
            hops += 1
            if hops > 64:
                raise TooComplex("$ref chain too long or cyclic")
            target_uri = urljoin(base, ref) if base else ref
            tbase, target = self.resolver.resolve(base, ref)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            for k in list(siblings):
                if k in ANNOTATION_KEYS or k.startswith("x-") or k == "default":
                    annotations.setdefault(k, siblings.pop(k))
                elif k in IDENTIFIER_KEYS or k in CONTAINER_KEYS:
                    siblings.pop(k)
            if not siblings:
                node, base = target, tbase
                continue
            if (isinstance(target, dict) and "$ref" not in target and not (set(siblings) & set(target))
                    and (tbase == base or not contains_ref(siblings))):
                # Disjoint keywords: the conjunction is simply the union of the two objects.
                node, base = {**target, **siblings}, tbase
                continue
            # Assertions beside the $ref: both parts hold.
            node = {"allOf": [{"$ref": target_uri}, siblings]}
            break
        if annotations and isinstance(node, dict):
            node = {**node, **annotations}
        return node, base


def finite_values(schema: dict[str, Any]) -> dict[Any, Any] | None:
    """The values a schema's ``const``/``enum`` allow, keyed by canonical identity (None: any)."""
    vals: dict[Any, Any] | None = None
    enum = schema.get("enum")
    if isinstance(enum, list):
        vals = {}
        for v in enum:
            vals.setdefault(canon(v), v)
    if "const" in schema:
        c = schema["const"]
        k = canon(c)
        vals = {k: c} if vals is None or k in vals else {}
    return vals


def contains_ref(node: Any, depth: int = 0) -> bool:
    """True when a ``$ref`` or ``$dynamicRef`` occurs anywhere inside ``node``."""
    if depth > MAX_EQ_DEPTH:
        return True
    if isinstance(node, dict):
        return "$ref" in node or "$dynamicRef" in node or any(contains_ref(v, depth + 1) for v in node.values())
    if isinstance(node, list):
        return any(contains_ref(v, depth + 1) for v in node)
    return False
