"""The titles of a schema's fields (「郵便番号」, 「氏名」), for search."""

from __future__ import annotations

from typing import Any

_MAX_FIELDS = 500
_NESTED = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")
_SUBSCHEMAS = ("items", "additionalProperties", "contains", "if", "then", "else", "not")
_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")


def field_titles(schema: Any) -> list[str]:
    """Distinct ``title`` strings of every subschema below the root, in document order."""
    out: dict[str, None] = {}
    stack: list[Any] = [schema]
    root = True
    while stack and len(out) < _MAX_FIELDS:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        title = node.get("title")
        if not root and isinstance(title, str) and title.strip():
            out.setdefault(title.strip(), None)
        root = False
        children: list[Any] = []
        for k in _NESTED:
            v = node.get(k)
            if isinstance(v, dict):
                children.extend(v.values())
        for k in _SUBSCHEMAS:
            children.append(node.get(k))
        for k in _LISTS:
            v = node.get(k)
            if isinstance(v, list):
                children.extend(v)
        stack.extend(reversed(children))
    return list(out)
