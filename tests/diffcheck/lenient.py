"""The lenient policy's assumption as a predicate on values (docs/diff.md "Policies").

Under ``lenient`` a submission contains only the properties declared by the version that produced
it: named in ``properties`` or matching ``patternProperties`` of that object (including the
in-place applicators ``allOf``/``anyOf``/``oneOf``/``then``/``else``/``dependentSchemas`` and
``$ref`` targets). Witnesses and generated values used under lenient must satisfy it.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache
from typing import Any

import jsonschema_rs

from registry.syntax.refs import Resolver

_MAX_DEPTH = 64
Located = tuple[str, Any]  # (base URI, subschema)


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> Any:
    # ECMA-262 semantics, the same engine the validator uses.
    return jsonschema_rs.validator_for({"pattern": pattern})


def _in_place(located: list[Located], resolver: Resolver) -> list[Located]:
    """Every subschema that applies at the same instance location (bounded, cycle-safe)."""
    out: list[Located] = []
    seen: set[int] = set()
    todo = list(located)
    while todo and len(out) < 512:
        base, schema = todo.pop()
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        seen.add(id(schema))
        base = Resolver.base_of(base, schema)
        out.append((base, schema))
        if isinstance(schema.get("$ref"), str):
            # An unresolvable ref declares nothing.
            with contextlib.suppress(Exception):
                todo.append(resolver.resolve(base, schema["$ref"]))
        for kw in ("allOf", "anyOf", "oneOf"):
            if isinstance(schema.get(kw), list):
                todo.extend((base, s) for s in schema[kw])
        for kw in ("then", "else"):
            if kw in schema:
                todo.append((base, schema[kw]))
        if isinstance(schema.get("dependentSchemas"), dict):
            todo.extend((base, s) for s in schema["dependentSchemas"].values())
    return out


def _ok(value: Any, located: list[Located], resolver: Resolver, depth: int) -> bool:
    if depth > _MAX_DEPTH:
        return True
    schemas = _in_place(located, resolver)
    if isinstance(value, dict):
        for key, item in value.items():
            children: list[Located] = []
            declared = False
            for base, s in schemas:
                props = s.get("properties")
                if isinstance(props, dict) and key in props:
                    declared = True
                    children.append((base, props[key]))
                pats = s.get("patternProperties")
                if isinstance(pats, dict):
                    for pat, sub in pats.items():
                        if _pattern(pat).is_valid(key):
                            declared = True
                            children.append((base, sub))
            if not declared or not _ok(item, children, resolver, depth + 1):
                return False
    elif isinstance(value, list):
        for i, item in enumerate(value):
            children = []
            for base, s in schemas:
                prefix = s.get("prefixItems")
                if isinstance(prefix, list) and i < len(prefix):
                    children.append((base, prefix[i]))
                elif "items" in s:
                    children.append((base, s["items"]))
                if "contains" in s:
                    children.append((base, s["contains"]))
            if not _ok(item, children, resolver, depth + 1):
                return False
    return True


def declared_only(value: Any, schema: Any, resolver: Resolver | None = None) -> bool:
    """True when every object in ``value`` carries only keys ``schema`` declares at that place."""
    resolver = resolver or Resolver(schema)
    return _ok(value, [(resolver.root_uri, schema)], resolver, 0)
