"""Hypothesis strategies for form-like schemas and for mutations of a schema (soundness tests)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

NAMES = ["name", "age", "kubun", "note", "tel", "zip", "count", "agree", "tags", "guardian",
         "date", "score"]
SAFE_PATTERNS = ["^[0-9]{3}-[0-9]{4}$", "^[0-9]{3}-?[0-9]{4}$", "^[ァ-ヶー]+$", "^[a-z]+$",
                 "^[a-z]{1,3}$", "^0[0-9]{9,10}$", "^[0-9]+$"]
WORDS = ["欠席", "遅刻", "早退", "その他", "A", "B"]
# Keywords whose value is one subschema / a list of them / a map of them.
ONE = ("items", "not", "then", "else", "additionalProperties", "contains", "if", "propertyNames")
MANY = ("anyOf", "allOf", "oneOf", "prefixItems")
MAP = ("properties", "patternProperties", "$defs", "dependentSchemas")


@st.composite
def fields(draw: st.DrawFn, depth: int = 0) -> Any:
    """One form field: a typed scalar with bounds, an enum, an array of choices, an object, anyOf."""
    kinds = ["string", "integer", "number", "boolean", "enum", "const", "nullable", "array", "any_of"]
    if depth < 2:
        kinds.append("object")
    kind = draw(st.sampled_from(kinds))
    if kind == "string":
        s: dict[str, Any] = {"type": "string"}
        if draw(st.booleans()):
            s["maxLength"] = draw(st.sampled_from([3, 5, 10, 50]))
        if draw(st.booleans()):
            s["minLength"] = draw(st.sampled_from([0, 1, 2]))
        if draw(st.integers(0, 3)) == 0:
            s["pattern"] = draw(st.sampled_from(SAFE_PATTERNS))
        if draw(st.integers(0, 5)) == 0:
            s["format"] = "date"
        return s
    if kind in ("integer", "number"):
        s = {"type": kind}
        if draw(st.booleans()):
            s[draw(st.sampled_from(["minimum", "exclusiveMinimum"]))] = draw(st.integers(-2, 3))
        if draw(st.booleans()):
            s[draw(st.sampled_from(["maximum", "exclusiveMaximum"]))] = draw(st.integers(4, 120))
        if draw(st.integers(0, 3)) == 0:
            s["multipleOf"] = draw(st.sampled_from([2, 3, 5] if kind == "integer" else [0.5, 2, 1.5]))
        return s
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "enum":
        return {"type": "string", "enum": draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True))}
    if kind == "const":
        return {"const": draw(st.sampled_from([True, "同意する", 1]))}
    if kind == "nullable":
        return {"type": [draw(st.sampled_from(["string", "integer"])), "null"]}
    if kind == "array":
        s = {"type": "array", "items": {"enum": draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True))}}
        if draw(st.booleans()):
            s["uniqueItems"] = True
        if draw(st.booleans()):
            s["maxItems"] = draw(st.integers(1, 4))
        if draw(st.booleans()):
            s["minItems"] = draw(st.integers(0, 1))
        return s
    if kind == "any_of":
        return {"anyOf": [draw(fields(2)), draw(fields(2))]}
    return draw(forms(depth + 1))


@st.composite
def forms(draw: st.DrawFn, depth: int = 0) -> Any:
    """An object of 1–5 fields, some required, closed or open; sometimes a field via ``$defs``."""
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
    props = {n: draw(fields(depth)) for n in names}
    s: dict[str, Any] = {"type": "object", "properties": props}
    required = [n for n in names if draw(st.booleans())]
    if required:
        s["required"] = required
    if draw(st.booleans()):
        s["additionalProperties"] = False
    if depth == 0 and draw(st.booleans()):
        moved = draw(st.sampled_from(names))
        s["$defs"] = {f"def_{moved}": props[moved]}
        props[moved] = {"$ref": f"#/$defs/def_{moved}"}
    return s


def subschema_paths(schema: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of every dict subschema (through applicators, not through data like ``enum``)."""
    if not isinstance(schema, dict):
        return
    yield path
    for key, value in schema.items():
        if key in ONE:
            yield from subschema_paths(value, (*path, key))
        elif key in MANY and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from subschema_paths(sub, (*path, key, i))
        elif key in MAP and isinstance(value, dict):
            for name, sub in value.items():
                yield from subschema_paths(sub, (*path, key, name))


def _at(schema: Any, path: tuple[Any, ...]) -> Any:
    for token in path:
        schema = schema[token]
    return schema


@st.composite
def mutation(draw: st.DrawFn, schema: Any) -> Any:
    """A copy of ``schema`` with 1–3 random edits at random subschemas (it stays a valid schema)."""
    out = copy.deepcopy(schema)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(subschema_paths(out))
        if not paths:
            break
        node = _at(out, draw(st.sampled_from(paths)))
        _edit(draw, node)
    return out


def _edit(draw: st.DrawFn, node: dict[str, Any]) -> None:
    ops = ["type", "bound", "length", "pattern", "annotation", "any_of", "not"]
    if "enum" in node:
        ops += ["enum"] * 3
    if "const" in node:
        ops.append("const")
    if isinstance(node.get("properties"), dict):
        ops += ["add_property", "remove_property", "required", "closed", "dependent"] * 2
    if node.get("type") == "array" or "items" in node:
        ops += ["array"] * 2
    op = draw(st.sampled_from(ops))
    if op == "type":
        choice = draw(st.sampled_from(["string", "integer", "number", ["string", "null"], ["integer", "null"], None]))
        if choice is None:
            node.pop("type", None)
        else:
            node["type"] = choice
    elif op == "bound":
        key = draw(st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"]))
        if key in node and draw(st.booleans()):
            del node[key]
        else:
            node[key] = draw(st.sampled_from([2, 3, 4, 0.5]) if key == "multipleOf" else st.integers(-2, 130))
    elif op == "length":
        key = draw(st.sampled_from(["minLength", "maxLength"]))
        if key in node and draw(st.booleans()):
            del node[key]
        else:
            node[key] = draw(st.integers(0, 60))
    elif op == "pattern":
        if "pattern" in node and draw(st.booleans()):
            del node["pattern"]
        else:
            node["pattern"] = draw(st.sampled_from(SAFE_PATTERNS))
    elif op == "annotation":
        node[draw(st.sampled_from(["title", "description", "x-yoshiki-widget"]))] = draw(st.sampled_from(["項目", "説明", "radio"]))
    elif op == "any_of":
        keep = ("title", "description", "$defs", "$id", "$schema")
        inner = {k: node.pop(k) for k in list(node) if k not in keep}
        node["anyOf"] = [inner, {"type": draw(st.sampled_from(["null", "integer", "string"]))}]
    elif op == "not":
        node["not"] = {"const": draw(st.sampled_from([None, 0, "", "その他", True]))}
    elif op == "enum":
        values = list(node["enum"])
        sub = draw(st.sampled_from(["add", "remove", "reorder"]))
        if sub == "add":
            values.append(draw(st.sampled_from([*WORDS, "追加", 1, None])))
        elif sub == "remove" and len(values) > 1:
            values.pop(draw(st.integers(0, len(values) - 1)))
        else:
            values.reverse()
        node["enum"] = list(dict.fromkeys(values))
    elif op == "const":
        node["const"] = draw(st.sampled_from([True, False, "同意する", 1, None]))
    elif op == "add_property":
        name = draw(st.sampled_from([*NAMES, "new_field"]))
        node["properties"][name] = draw(fields(2))
        if draw(st.booleans()):
            node["required"] = sorted({*node.get("required", []), name})
    elif op == "remove_property" and node["properties"]:
        name = draw(st.sampled_from(sorted(node["properties"])))
        del node["properties"][name]
    elif op == "required" and node["properties"]:
        name = draw(st.sampled_from(sorted(node["properties"])))
        required = set(node.get("required", []))
        required ^= {name}
        if required:
            node["required"] = sorted(required)
        else:
            node.pop("required", None)
    elif op == "closed":
        if node.get("additionalProperties") is False:
            del node["additionalProperties"]
        else:
            node["additionalProperties"] = False
    elif op == "dependent" and len(node["properties"]) >= 2:
        a, b = draw(st.lists(st.sampled_from(sorted(node["properties"])), min_size=2, max_size=2, unique=True))
        node["dependentRequired"] = {a: [b]}
    elif op == "array":
        key = draw(st.sampled_from(["minItems", "maxItems", "uniqueItems"]))
        if key == "uniqueItems":
            node["uniqueItems"] = not node.get("uniqueItems", False)
        elif key in node and draw(st.booleans()):
            del node[key]
        else:
            node[key] = draw(st.integers(0, 4))


def property_names(*schemas: Any) -> list[str]:
    """Every property name either schema mentions (keys for the extra properties of strict)."""
    names: set[str] = {"x-extra"}
    for schema in schemas:
        for path in subschema_paths(schema):
            props = _at(schema, path).get("properties")
            if isinstance(props, dict):
                names.update(props)
    return sorted(names)
