"""The titles of a schema's fields (「郵便番号」, 「氏名」), for search; packaged ``/common/`` schemas are followed."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from registry.resources import schemas_dir

_MAX_FIELDS = 500
_NESTED = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")
_SUBSCHEMAS = ("items", "additionalProperties", "contains", "if", "then", "else", "not")
_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_WALKED = frozenset(("$ref", *_NESTED, *_SUBSCHEMAS, *_LISTS))


def field_titles(schema: Any) -> list[str]:
    """Distinct ``title`` strings of every subschema below the root, in document order."""
    out: dict[str, None] = {}
    # Depth-first, pre-order: a stack of child lists read from the end (no reversed copies).
    stack: list[Any] = [schema]
    root = True
    followed: set[str] = set()
    while stack and len(out) < _MAX_FIELDS:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        title = node.get("title")
        if not root and isinstance(title, str) and title.strip():
            out.setdefault(title.strip(), None)
        root = False
        present = _WALKED.intersection(node)
        if not present:  # a leaf field ({"type", "title", "enum"…}): nothing below it
            continue
        children: list[Any] = []
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in followed:
            followed.add(ref)
            children.append(_common(ref))
        for k in _NESTED:
            if k in present and isinstance(v := node[k], dict):
                children.extend(v.values())
        for k in _SUBSCHEMAS:
            if k in present and isinstance(v := node[k], dict):
                children.append(v)  # only objects are walked: the rest would be dropped
        for k in _LISTS:
            if k in present and isinstance(v := node[k], list):
                children.extend(v)
        if children:
            children.reverse()
            stack.extend(children)
    return list(out)


@cache
def _common(ref: str) -> Any:
    """A packaged common schema (``/common/address.json``) a field refers to, else None."""
    name = ref.removeprefix("/common/")
    if not ref.startswith("/common/") or "/" in name or not name.endswith(".json"):
        return None
    try:
        return json.loads((schemas_dir() / "common" / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
