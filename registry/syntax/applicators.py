"""In-place applicators of JSON Schema 2020-12: keywords whose subschemas apply to the same instance.

A ``$ref`` cycle through only these never consumes input, so a validator following it would
recurse forever (template validation refuses it); a field's schema is the merge of the nodes
they reach (the submission validator's field titles and normalisers).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
IN_PLACE_SINGLE = ("not", "if", "then", "else")
IN_PLACE_MAPS = ("dependentSchemas",)


def in_place_children(node: dict[str, Any]) -> Iterator[Any]:
    """The subschemas of ``node`` that apply to the same instance."""
    for kw in IN_PLACE_LISTS:
        if isinstance(node.get(kw), list):
            yield from node[kw]
    for kw in IN_PLACE_SINGLE:
        if kw in node:
            yield node[kw]
    for kw in IN_PLACE_MAPS:
        if isinstance(node.get(kw), dict):
            yield from node[kw].values()
