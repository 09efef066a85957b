"""Diffing a schema against itself, or against a rewritten copy that accepts the same values.

Every catalogue schema (``templates_repo/**/schema.json``) and every schema of the diff corpus is
diffed (both policies) against:
- itself: no change at all, both directions ``compatible``, bump ``none``;
- a copy with every object's keys in reverse order, the set-like lists (``required``, ``enum``,
  ``type``) reversed, and every ``$defs`` entry renamed with its ``$ref``s rewritten: both
  directions ``compatible``, bump ``none`` or ``patch``, and cosmetic changes only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from registry.syntax.refs import SchemaSet

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "templates_repo"
CORPUS = ROOT / "tests" / "data" / "diff"
COSMETIC = {"annotation_changed", "default_changed", "locked_changed", "ref_target_changed",
            "identifier_changed", "unknown_keyword_changed"}
PREFIX = "renamed_"
# Keywords whose value is data, not schema: never rewritten.
DATA_KEYWORDS = {"const", "enum", "examples", "default"}


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def rename_ref(ref: str) -> str:
    """Rewrite a pointer into the same document (``#/...``, or through a URN or an embedded
    resource's URI) so each token after ``$defs`` is renamed; a pointer into another template or
    a common definition (``/...``, ``https://yoshiki.invalid/...``) is left alone."""
    if "#/" not in ref:
        return ref
    doc, fragment = ref.split("#/", 1)
    if doc.startswith("/") or "yoshiki.invalid" in doc:
        return ref
    tokens = [_unescape(t) for t in fragment.split("/")]
    out = [PREFIX + t if i > 0 and tokens[i - 1] == "$defs" else t for i, t in enumerate(tokens)]
    return doc + "#/" + "/".join(_escape(t) for t in out)


def rewrite(node: Any, in_data: bool = False) -> Any:
    """The equivalent copy: keys reversed, set-like lists reversed, ``$defs`` renamed."""
    if isinstance(node, list):
        return [rewrite(v, in_data) for v in node]
    if not isinstance(node, dict):
        return node
    if in_data:
        return {k: rewrite(node[k], True) for k in reversed(list(node))}
    out: dict[str, Any] = {}
    for key in reversed(list(node)):
        value = node[key]
        if key == "$defs" and isinstance(value, dict):
            out[key] = {PREFIX + name: rewrite(sub) for name, sub in reversed(list(value.items()))}
        elif key == "$ref" and isinstance(value, str):
            out[key] = rename_ref(value)
        elif key in ("required", "enum", "type") and isinstance(value, list):
            out[key] = [rewrite(v, True) for v in reversed(value)]
        elif key in DATA_KEYWORDS:
            out[key] = rewrite(value, True)
        elif key in ("properties", "patternProperties", "dependentSchemas", "dependentRequired"):
            out[key] = ({k: rewrite(value[k], key == "dependentRequired") for k in reversed(list(value))}
                        if isinstance(value, dict) else rewrite(value))
        else:
            out[key] = rewrite(value)
    return out


def _catalogue() -> list[Any]:
    return [pytest.param(p, id=str(p.parent.relative_to(CATALOGUE)))
            for p in sorted(CATALOGUE.glob("*/*/*/schema.json"))]


def _corpus_schemas() -> list[Any]:
    seen: dict[str, str] = {}
    for path in sorted(CORPUS.glob("*/*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        for side in ("old", "new"):
            text = json.dumps(case[side], sort_keys=True, ensure_ascii=False)
            seen.setdefault(text, f"{path.parent.name}/{path.stem}/{side}")
    return [pytest.param(json.loads(text), id=name) for text, name in seen.items()]


def _check(old: Any, new: Any, identical: bool, schemas: SchemaSet | None) -> None:
    from registry.diff import Policy, diff

    for policy in ("lenient", "strict"):
        result = diff(old, new, Policy(policy), old_schemas=schemas, new_schemas=schemas)
        kinds = sorted({c.kind for c in result.changes})
        assert (result.backward, result.forward) == ("compatible", "compatible"), (policy, kinds)
        if identical:
            assert result.changes == [], kinds
            assert result.bump == "none"
        else:
            assert result.bump in ("none", "patch"), (result.bump, kinds)
            assert set(kinds) <= COSMETIC, kinds


def test_rewrite_keeps_refs_resolvable() -> None:
    """The rewriting helper itself: refs follow their renamed definitions."""
    schema = {"$defs": {"a/b": {"type": "string"}}, "properties": {"x": {"$ref": "#/$defs/a~1b"}}}
    assert rewrite(schema) == {"properties": {"x": {"$ref": "#/$defs/renamed_a~1b"}},
                               "$defs": {"renamed_a/b": {"type": "string"}}}


def test_catalogue_is_present() -> None:
    """The catalogue has schemas to check (the test below must not pass vacuously)."""
    assert len(_catalogue()) >= 5


@pytest.mark.parametrize("path", _catalogue())
def test_catalogue_schema_invariant(path: Path) -> None:
    """A catalogue schema against itself and its rewritten copy (refs to common definitions resolve)."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    schemas = SchemaSet.for_folder(CATALOGUE)
    _check(schema, schema, True, schemas)
    _check(schema, rewrite(schema), False, schemas)


@pytest.mark.parametrize("schema", _corpus_schemas())
def test_corpus_schema_invariant(schema: Any) -> None:
    """A corpus schema against itself and its rewritten copy."""
    _check(schema, schema, True, None)
    _check(schema, rewrite(schema), False, None)
