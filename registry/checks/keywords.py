"""Unknown keywords in a schema: ``"requried"`` is an error, with the keyword it was meant to be.

A JSON Schema validator ignores keywords it does not know, so a misspelt ``required``, ``type``
or ``maxLength`` silently drops its constraint (ajv's strict mode refuses them for this reason).
Every keyword of the JSON Schema 2020-12 vocabularies is known; ``x-*`` keywords are the
documented way to add annotations (``x-yoshiki-*`` spelling is lint's job). Schema objects are
walked by keyword — the names under ``properties`` are field names, not keywords, and the values
of ``const``, ``enum``, ``default`` and ``examples`` are data.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from registry.syntax import pointers

SCHEMA_VALUED = frozenset({
    "items", "contains", "additionalProperties", "propertyNames", "if", "then", "else", "not",
    "unevaluatedItems", "unevaluatedProperties", "contentSchema"})
SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
OTHER_KEYWORDS = frozenset({
    # core
    "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment",
    # validation
    "type", "const", "enum", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
    "maxContains", "minContains", "maxProperties", "minProperties", "required", "dependentRequired",
    # format, content, meta-data
    "format", "contentEncoding", "contentMediaType",
    "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples"})
KNOWN = SCHEMA_VALUED | SCHEMA_LISTS | SCHEMA_MAPS | OTHER_KEYWORDS
"""Every keyword of the JSON Schema 2020-12 vocabularies."""
_BY_LOWER = {k.lower(): k for k in KNOWN}


def suggestion(keyword: str) -> str | None:
    """The known keyword ``keyword`` most likely misspells, or None."""
    if keyword.lower() in _BY_LOWER:
        return _BY_LOWER[keyword.lower()]
    close = difflib.get_close_matches(keyword, sorted(KNOWN), n=1, cutoff=0.6)
    if close:
        return close[0]
    close = difflib.get_close_matches(keyword.lower(), sorted(_BY_LOWER), n=1, cutoff=0.6)
    return _BY_LOWER[close[0]] if close else None


def unknown_keywords(schema: Any) -> Iterator[tuple[str, str, str | None]]:
    """``(pointer, keyword, suggestion)`` for each unknown keyword of every schema object."""
    stack: list[tuple[Any, list[str | int]]] = [(schema, [])]
    while stack:
        node, path = stack.pop()
        if not isinstance(node, dict):
            continue
        for key, value in node.items():
            where = [*path, key]
            if key in SCHEMA_VALUED:
                stack.append((value, where))
            elif key in SCHEMA_LISTS and isinstance(value, list):
                stack.extend((v, [*where, i]) for i, v in enumerate(value))
            elif key in SCHEMA_MAPS and isinstance(value, dict):
                stack.extend((v, [*where, name]) for name, v in value.items())
            elif key in OTHER_KEYWORDS or key.startswith("x-"):
                continue
            else:
                yield pointers.join(where), key, suggestion(key)


def messages(keyword: str, guess: str | None) -> tuple[str, str]:
    """The English and Japanese message for an unknown keyword."""
    if guess is not None:
        return (f"Unknown keyword {keyword!r}: did you mean {guess!r}? A validator ignores unknown "
                f"keywords, so its constraint would silently vanish.",
                f"「{keyword}」は JSON Schema のキーワードではありません。{keyword} は {guess} の誤りですか。"
                f"知らないキーワードは検証で無視され、制約が黙って消えます。")
    return (f"Unknown keyword {keyword!r}: JSON Schema 2020-12 has no such keyword and a validator "
            f"ignores it. Name your own annotations x-… .",
            f"「{keyword}」は JSON Schema 2020-12 のキーワードではなく、検証で無視されます。"
            f"独自の注釈は x- で始まる名前にしてください。")


__all__ = ["KNOWN", "messages", "suggestion", "unknown_keywords"]
