"""Dialects and references before a diff (registry/diff/dialects.py, registry/diff/references.py).

The oracle is jsonschema-rs in each dialect's own semantics: a rewritten schema must accept
exactly the instances the original accepts (original validated by the validator its ``$schema``
names, or the dialect the detection names; the rewrite by the 2020-12 validator).
"""

from __future__ import annotations

import copy
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from registry.diff import Policy, diff
from registry.diff.dialects import (
    DRAFT_04,
    DRAFT_06,
    DRAFT_07,
    DRAFT_2019_09,
    DRAFT_2020_12,
    detect,
    dialect_of_uri,
    to_2020_12,
)
from registry.diff.references import canonical_refs, pointer_fragment
from registry.syntax.refs import SchemaSet, join

ROOT = Path(__file__).resolve().parents[2]
D4 = "http://json-schema.org/draft-04/schema#"
D7 = "http://json-schema.org/draft-07/schema#"
D19 = "https://json-schema.org/draft/2019-09/schema"
VALIDATORS = {DRAFT_04: jsonschema_rs.Draft4Validator, DRAFT_06: jsonschema_rs.Draft6Validator,
              DRAFT_07: jsonschema_rs.Draft7Validator, DRAFT_2019_09: jsonschema_rs.Draft201909Validator,
              DRAFT_2020_12: jsonschema_rs.Draft202012Validator}

SCALARS: list[Any] = [None, True, False, 0, -1, 1, 2, 3, 5, 9, 10, 11, 1.5, "", "a", "ab", "abcd",
                      "abcdef", "x/y", "欠席"]
ARRAYS: list[Any] = [[], ["a"], [1], ["a", 1], ["a", 1, "b"], ["a", 1, None], [1, "a"], [[], {}]]
KEYS = ["a", "b", "c", "n", "t", "id", "x/y"]


def pool() -> list[Any]:
    """Instances: scalars, arrays, and objects over a few keys with a few values each."""
    values: list[Any] = [None, 1, -1, 10, "a", "abcdef", ["a", 1], ["a", 1, "b"], {}, {"a": 1}]
    objects: list[Any] = [{}]
    for k1, k2 in itertools.combinations(KEYS, 2):
        for v1, v2 in itertools.product(values[:7], values[3:]):
            objects.append({k1: v1, k2: v2})
    objects += [{k: v} for k in KEYS for v in values]
    objects += [{"children": [{"name": "abcd"}]}, {"children": [{"name": "a", "children": [{"name": 1}]}]},
                {"kids": [{"v": 10}]}, {"kids": [{"v": 1, "kids": [{"v": "x"}]}]}]
    return SCALARS + ARRAYS + objects


POOL = pool()


def agree(original: Any, dialect: str, rewritten: Any) -> list[Any]:
    """The instances on which the original (in its dialect) and the rewrite disagree."""
    before = VALIDATORS[dialect](original)
    after = jsonschema_rs.Draft202012Validator(rewritten)
    return [v for v in POOL if before.is_valid(v) != after.is_valid(v)]


# ------------------------------------------------------------------------------ detection
@pytest.mark.parametrize(("uri", "dialect"), [
    ("http://json-schema.org/draft-04/schema#", DRAFT_04),
    ("https://json-schema.org/draft-04/schema", DRAFT_04),
    ("http://json-schema.org/draft-06/schema", DRAFT_06),
    ("http://json-schema.org/draft-07/schema#", DRAFT_07),
    ("https://json-schema.org/draft/2019-09/schema#", DRAFT_2019_09),
    ("https://json-schema.org/draft/2020-12/schema", DRAFT_2020_12),
    ("http://json-schema.org/draft/2020-12/schema#", DRAFT_2020_12),
    ("https://example.com/my-meta", None),
    (42, None),
])
def test_dialect_of_schema_uri(uri: Any, dialect: str | None) -> None:
    """Every spelling of the five drafts' URIs (http/https, with or without ``#``)."""
    assert dialect_of_uri(uri) == dialect


@pytest.mark.parametrize(("schema", "dialect"), [
    ({"type": "string"}, DRAFT_2020_12),
    ({"items": [{"type": "string"}]}, DRAFT_07),
    ({"properties": {"a": {"additionalItems": False}}}, DRAFT_07),
    ({"definitions": {"a": {}}}, DRAFT_07),
    ({"dependencies": {"a": ["b"]}}, DRAFT_07),
    ({"minimum": 0, "exclusiveMinimum": True}, DRAFT_04),
    ({"properties": {"n": {"maximum": 1, "exclusiveMaximum": False}}}, DRAFT_04),
    ({"id": "https://example.com/s.json", "type": "object"}, DRAFT_04),
    ({"$recursiveAnchor": True, "properties": {"c": {"$recursiveRef": "#"}}}, DRAFT_2019_09),
    ({"items": [{}], "unevaluatedItems": False}, DRAFT_2019_09),
    ({"definitions": {"a": {}}, "prefixItems": [{}]}, DRAFT_2020_12),
    # Names and data are not keywords: a property called "definitions", an enum of objects.
    ({"properties": {"definitions": {"type": "string"}, "id": {"type": "string"}}}, DRAFT_2020_12),
    ({"enum": [{"items": [1]}], "const": {"dependencies": 1}}, DRAFT_2020_12),
    # $schema wins over keywords.
    ({"$schema": D7, "minimum": 0, "exclusiveMinimum": 1}, DRAFT_07),
])
def test_detect(schema: Any, dialect: str) -> None:
    """$schema when it names a draft, else the keywords only an older dialect uses."""
    assert detect(schema) == dialect


# ------------------------------------------------------------------------------ rewriting
REWRITES: list[tuple[str, Any]] = [
    ("items array", {"$schema": D7, "type": "array", "items": [{"type": "string"}, {"type": "integer"}],
                     "additionalItems": False}),
    ("items array open", {"$schema": D7, "items": [{"type": "string"}, {"type": "integer"}]}),
    ("additionalItems schema", {"$schema": D7, "items": [{"type": "string"}], "additionalItems": {"type": "integer"}}),
    ("additionalItems ignored", {"$schema": D7, "items": {"type": "string"}, "additionalItems": False}),
    ("definitions and pointers", {"$schema": D7, "definitions": {"a": {"type": "string", "maxLength": 3},
                                                                  "x/y": {"type": "integer"}},
                                  "properties": {"a": {"$ref": "#/definitions/a"}, "b": {"$ref": "#/definitions/x~1y"},
                                                 "c": {"$ref": "#/properties/t/items/1"},
                                                 "t": {"items": [{}, {"minimum": 2}], "additionalItems": False}}}),
    ("dependencies", {"$schema": D7, "dependencies": {"a": ["b"], "b": {"required": ["c"]}, "c": False}}),
    ("ref overrides siblings", {"$schema": D7, "definitions": {"s": {"type": "string"}},
                                "properties": {"a": {"$ref": "#/definitions/s", "maxLength": 2, "minLength": 1}}}),
    ("pointer into an ignored sibling", {"$schema": D7, "definitions": {"s": {}}, "properties": {
        "a": {"$ref": "#/definitions/s", "properties": {"b": {"type": "integer", "minimum": 2}}},
        "c": {"$ref": "#/properties/a/properties/b"}}}),
    ("root ref overrides siblings", {"$schema": D7, "$ref": "#/definitions/o", "type": "string",
                                     "definitions": {"o": {"type": "object", "required": ["a"]}}}),
    ("draft-04 exclusive bounds", {"$schema": D4, "properties": {
        "a": {"minimum": 1, "exclusiveMinimum": True, "maximum": 10, "exclusiveMaximum": True},
        "b": {"minimum": 1, "exclusiveMinimum": False},
        "c": {"maximum": 3, "exclusiveMaximum": True}}}),
    ("draft-04 id", {"$schema": D4, "id": "https://example.com/root.json", "properties": {
        "a": {"$ref": "https://example.com/root.json#/definitions/n"}, "id": {"type": "string"}},
        "definitions": {"n": {"type": "integer", "maximum": 9}}}),
    ("draft-04 embedded id", {"$schema": D4, "id": "https://example.com/root.json", "properties": {
        "a": {"$ref": "item.json"}}, "definitions": {"i": {"id": "item.json", "type": "integer", "minimum": 2}}}),
    ("draft-07 plain-name id", {"$schema": D7, "properties": {"a": {"$ref": "#num"}},
                                "definitions": {"n": {"$id": "#num", "type": "integer"}}}),
    ("2019-09 recursive", {"$schema": D19, "$recursiveAnchor": True, "type": "object",
                           "properties": {"name": {"type": "string", "maxLength": 3},
                                          "children": {"type": "array", "items": {"$recursiveRef": "#"}}}}),
    ("2019-09 recursive without anchor", {"$schema": D19, "type": "object",
                                          "properties": {"name": {"type": "string"},
                                                         "children": {"items": {"$recursiveRef": "#"}}}}),
    ("2019-09 items array and siblings of $ref", {"$schema": D19, "$defs": {"s": {"type": "string"}},
                                                  "properties": {"a": {"$ref": "#/$defs/s", "maxLength": 2},
                                                                 "t": {"items": [{"type": "string"}],
                                                                       "additionalItems": False}}}),
]


@pytest.mark.parametrize(("name", "schema"), REWRITES, ids=[n for n, _ in REWRITES])
def test_rewrite_keeps_meaning(name: str, schema: Any) -> None:
    """The 2020-12 rewrite accepts exactly what the original accepts in its own dialect."""
    original = copy.deepcopy(schema)
    rewritten, dialect = to_2020_12(schema)
    assert schema == original, "the input must not be modified"
    assert dialect != DRAFT_2020_12
    assert jsonschema_rs.meta.is_valid(rewritten)
    assert rewritten["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert agree(schema, dialect, canonical_refs(rewritten)) == []
    assert agree(schema, dialect, rewritten) == []


def test_rewrite_without_schema_uses_the_detected_dialect() -> None:
    """No $schema, draft-07 keywords: read (and checked) as draft-07, $ref siblings dropped."""
    schema = {"definitions": {"s": {"type": "string"}}, "items": [{"$ref": "#/definitions/s", "maxLength": 1}]}
    rewritten, dialect = to_2020_12(schema)
    assert dialect == DRAFT_07
    assert rewritten == {"$defs": {"s": {"type": "string"}}, "prefixItems": [
        {"$ref": "#/$defs/s", "$defs": {"yoshiki-ignored-beside-ref": {"maxLength": 1}}}]}
    assert agree(schema, dialect, rewritten) == []


def test_nested_resource_in_another_dialect() -> None:
    """An embedded resource with its own $schema is read in that dialect."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://example.com/r.json",
              "properties": {"a": {"$ref": "old.json"}},
              "$defs": {"o": {"$schema": D7, "$id": "old.json", "type": "array",
                              "items": [{"type": "string"}], "additionalItems": False}}}
    rewritten, dialect = to_2020_12(schema)
    assert dialect == DRAFT_2020_12
    assert rewritten["$defs"]["o"]["prefixItems"] == [{"type": "string"}]
    assert rewritten["$defs"]["o"]["items"] is False
    a = jsonschema_rs.Draft202012Validator(canonical_refs(rewritten))
    assert a.is_valid({"a": ["x"]})
    assert not a.is_valid({"a": ["x", "y"]})


def test_2020_12_comes_back_unchanged() -> None:
    """A 2020-12 schema is returned as the same object (no copy on the common path)."""
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"type": "string"}}}
    assert to_2020_12(schema)[0] is schema
    assert canonical_refs(schema) is schema


def test_hostile_depth_is_no_crash() -> None:
    """A draft-07 schema nested thousands of levels deep comes back unchanged, no RecursionError."""
    node: Any = {"type": "string"}
    for _ in range(3000):
        node = {"items": [node], "definitions": {}}
    out, dialect = to_2020_12(node)
    assert dialect == DRAFT_07
    assert out is node


# ------------------------------------------------------------------------------ references
@pytest.mark.parametrize(("base", "ref", "joined"), [
    ("urn:uuid:deadbeef-1234-0000-0000-4321feedbeef", "#/$defs/a", "urn:uuid:deadbeef-1234-0000-0000-4321feedbeef#/$defs/a"),
    ("urn:example:root", "#foo", "urn:example:root#foo"),
    ("tag:example.com,2024:forms/absence", "#/$defs/d", "tag:example.com,2024:forms/absence#/$defs/d"),
    ("tag:example.com,2024:forms/absence", "other", "tag:example.com,2024:forms/other"),
    ("urn:example:root", "urn:example:other#/x", "urn:example:other#/x"),
    ("https://example.com/a/b.json", "../c.json#/x", "https://example.com/c.json#/x"),
    ("", "#/x", "#/x"),
])
def test_join_any_scheme(base: str, ref: str, joined: str) -> None:
    """RFC 3986 resolution for URNs and tag: URIs as well as https."""
    assert join(base, ref) == joined


def test_pointer_fragment_escapes() -> None:
    """~0/~1 first, then percent-encoding (the reading order reversed)."""
    assert pointer_fragment(("$defs", "percent%field")) == "#/$defs/percent%25field"
    assert pointer_fragment(("$defs", "a/b", "m~n", 0)) == "#/$defs/a~1b/m~0n/0"
    assert pointer_fragment(("properties", "欠席")) == "#/properties/%E6%AC%A0%E5%B8%AD"


REFERENCES: list[tuple[str, Any]] = [
    ("percent-encoded", {"properties": {"a": {"$ref": "#/$defs/percent%25field"}},
                         "$defs": {"percent%field": {"type": "integer"}}}),
    ("urn embedded", {"$id": "urn:uuid:deadbeef-1234-0000-0000-4321feedbeef",
                      "properties": {"a": {"$ref": "urn:example:kind"}, "b": {"$ref": "#/$defs/n"}},
                      "$defs": {"n": {"type": "integer"},
                                "k": {"$id": "urn:example:kind", "$ref": "#/$defs/s",
                                      "$defs": {"s": {"type": "string", "maxLength": 3}}}}}),
    ("anchors", {"$id": "https://example.com/r.json", "properties": {"a": {"$ref": "#num"}, "b": {"$ref": "e.json#in"}},
                 "$defs": {"n": {"$anchor": "num", "type": "integer"},
                           "e": {"$id": "e.json", "$defs": {"i": {"$anchor": "in", "type": "string"}}}}}),
    ("single dynamic anchor", {"$id": "https://example.com/tree.json", "$dynamicAnchor": "node", "type": "object",
                               "properties": {"v": {"type": "integer", "maximum": 9},
                                              "kids": {"type": "array", "items": {"$dynamicRef": "#node"}}}}),
    ("tag base", {"$id": "tag:example.com,2024:f", "properties": {"a": {"$ref": "#/$defs/a~1b"}},
                  "$defs": {"a/b": {"type": "integer", "minimum": 1}}}),
]


@pytest.mark.parametrize(("name", "schema"), REFERENCES, ids=[n for n, _ in REFERENCES])
def test_canonical_refs_keep_meaning(name: str, schema: Any) -> None:
    """Only root pointers (or absolute URIs) remain, and the same instances are accepted."""
    original = copy.deepcopy(schema)
    out = canonical_refs(schema)
    assert schema == original
    text = json.dumps(out)
    assert '"$anchor"' not in text
    assert '"$dynamicRef"' not in text
    assert agree(schema, DRAFT_2020_12, out) == []


def test_two_dynamic_anchors_stay_opaque() -> None:
    """Two $dynamicAnchors of one name: which one is in scope depends on the path: not static."""
    schema: dict[str, Any] = {"$id": "https://example.com/strict.json", "$dynamicAnchor": "node", "$ref": "tree.json",
              "unevaluatedProperties": False,
              "$defs": {"t": {"$id": "tree.json", "$dynamicAnchor": "node", "type": "object",
                              "properties": {"kids": {"items": {"$dynamicRef": "#node"}}}}}}
    out = canonical_refs(schema)
    assert out["$defs"]["t"]["properties"]["kids"]["items"] == {
        "allOf": [{"$dynamicRef": "https://example.com/tree.json#node"}]}
    changed = copy.deepcopy(schema)
    changed["$defs"]["t"]["properties"]["kids"]["maxItems"] = 2
    d = diff(schema, changed, Policy("strict"))
    assert (d.backward, d.forward) in {("breaking", "compatible"), ("unknown", "compatible"),
                                       ("unknown", "unknown"), ("breaking", "unknown")}


# ------------------------------------------------------------------------------ external references
def _with_ext(uri: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": {"addr": {"$ref": uri, **(extra or {})}}}


@pytest.mark.parametrize("uri", ["https://schemas.example.org/address.json", "urn:example:address",
                                 "https://json-schema.org/draft/2020-12/schema"])
def test_same_unresolved_uri_is_the_same_schema(uri: str) -> None:
    """An identical unresolved URI on both sides: no change — never an error, never the network."""
    d = diff(_with_ext(uri), _with_ext(uri), Policy("strict"))
    assert (d.backward, d.forward) == ("compatible", "compatible")
    assert d.changes == []


def test_different_unresolved_uris_are_unknown() -> None:
    """Different unresolved URIs: nothing can be said: unknown both ways."""
    d = diff(_with_ext("urn:example:address"), _with_ext("urn:example:address2"), Policy("strict"))
    assert (d.backward, d.forward) == ("unknown", "unknown")


def test_relative_ref_resolves_against_the_base() -> None:
    """The same relative text under two different bases is two different URIs."""
    old = {"$id": "https://a.example/x.json", **_with_ext("y.json")}
    new = {"$id": "https://b.example/x.json", **_with_ext("y.json")}
    d = diff(old, new, Policy("strict"))
    assert (d.backward, d.forward) == ("unknown", "unknown")


def _ref_dir(tmp_path: Path, max_length: int) -> Path:
    folder = tmp_path / f"refs{max_length}"
    (folder / "nested").mkdir(parents=True)
    (folder / "nested" / "address.json").write_text(json.dumps({
        "$schema": D7, "$id": "https://schemas.example.org/address.json", "type": "object",
        "properties": {"city": {"$ref": "#/definitions/city"}}, "additionalProperties": False,
        "definitions": {"city": {"type": "string", "maxLength": max_length}}}), encoding="utf-8")
    (folder / "notes.json").write_text("not json", encoding="utf-8")
    (folder / "bundle.json").write_text(json.dumps({
        "$id": "https://schemas.example.org/bundle.json",
        "$defs": {"phone": {"$id": "phone.json", "type": "string", "maxLength": max_length}}}), encoding="utf-8")
    return folder


def test_ref_dir_finds_resources_embedded_in_a_file(tmp_path: Path) -> None:
    """A URI that names a resource embedded in a file of --ref-dir resolves too."""
    uri = "https://schemas.example.org/phone.json"
    old_set = SchemaSet(ref_dir=_ref_dir(tmp_path, 20))
    new_set = SchemaSet(ref_dir=_ref_dir(tmp_path, 30))
    d = diff(_with_ext(uri), _with_ext(uri), Policy("strict"), old_schemas=old_set, new_schemas=new_set)
    assert (d.backward, d.forward) == ("compatible", "breaking")


def test_ref_dir_resolves_external_refs_in_their_dialect(tmp_path: Path) -> None:
    """--ref-dir: files by $id, read in their own dialect; a narrowed target is a proven break."""
    uri = "https://schemas.example.org/address.json"
    old_set = SchemaSet(ref_dir=_ref_dir(tmp_path, 20))
    new_set = SchemaSet(ref_dir=_ref_dir(tmp_path, 10))
    d = diff(_with_ext(uri), _with_ext(uri), Policy("strict"), old_schemas=old_set, new_schemas=new_set)
    assert (d.backward, d.forward) == ("breaking", "compatible")
    witness = next(c.witness for c in d.changes if c.witness is not None)
    assert witness.accepted_by == "old"
    city = witness.value["addr"]["city"]
    assert 10 < len(city) <= 20
    same = diff(_with_ext(uri), _with_ext(uri), old_schemas=old_set, new_schemas=old_set)
    assert (same.backward, same.forward) == ("compatible", "compatible")


PEER_STYLE: list[Any] = [
    {"$schema": D7, "definitions": {"a": {"type": "integer"}}, "items": [{"$ref": "#/definitions/a"}]},
    {"$id": "urn:uuid:0", "$ref": "urn:example:nowhere", "$defs": {"x": {"$ref": "#/$defs/y"}, "y": {}}},
    {"$defs": {"percent%field": {"type": "integer"}}, "$ref": "#/$defs/percent%25field"},
    {"$id": "https://example.com/root.json", "$ref": "https://json-schema.org/draft/2020-12/schema"},
    {"$schema": D4, "id": "http://example.com/a.json", "properties": {"b": {"$ref": "b.json"}},
     "definitions": {"b": {"id": "b.json", "type": "integer", "exclusiveMaximum": True, "maximum": 3}}},
    {"$schema": D19, "$recursiveAnchor": True, "anyOf": [{"type": "integer"}, {"items": {"$recursiveRef": "#"}}]},
    {"$dynamicRef": "#missing"},
    {"$dynamicAnchor": "a", "properties": {"x": {"$dynamicRef": "#a"}}},
]


@pytest.mark.parametrize("schema", PEER_STYLE, ids=[str(i) for i in range(len(PEER_STYLE))])
def test_peer_style_schemas_never_error(schema: Any) -> None:
    """Against itself and against a copy that refuses 0: a verdict, not an exception."""
    same = diff(schema, copy.deepcopy(schema), Policy("strict"))
    assert (same.backward, same.forward) == ("compatible", "compatible")
    narrowed = {**copy.deepcopy(schema), "not": {"const": 0}}
    d = diff(schema, narrowed, Policy("strict"))
    assert d.forward in ("compatible", "unknown")  # unknown beside an opaque reference
    assert d.backward in ("breaking", "unknown")


# ------------------------------------------------------------------------------ the CLI
def test_cli_ref_dir(tmp_path: Path) -> None:
    """``yoshiki diff --ref-dir`` and ``yoshiki compat --ref-dir`` resolve external refs by $id."""
    uri = "https://schemas.example.org/address.json"
    old = tmp_path / "old.json"
    new = tmp_path / "new.json"
    old.write_text(json.dumps(_with_ext(uri)), encoding="utf-8")
    new.write_text(json.dumps(_with_ext(uri, {"required": ["city"]})), encoding="utf-8")
    refs = _ref_dir(tmp_path, 20)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True, text=True,
                              check=False, timeout=120, cwd=tmp_path,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})

    with_dir = run("diff", str(old), str(new), "--ref-dir", str(refs), "--format", "json", "--policy", "strict")
    assert with_dir.returncode == 0, with_dir.stderr
    out = json.loads(with_dir.stdout)
    assert (out["backward"], out["forward"]) == ("breaking", "compatible")
    # Without the folder the two refs are the same unresolved URI, with different siblings.
    without = run("diff", str(old), str(new), "--format", "json", "--policy", "strict")
    assert without.returncode == 0, without.stderr
    assert json.loads(without.stdout)["forward"] == "compatible"
    compat = run("compat", str(new), str(old), "--mode", "FORWARD", "--ref-dir", str(refs), "--format", "json")
    assert compat.returncode == 0, compat.stderr
    assert json.loads(compat.stdout)["ok"] is True
    missing = run("diff", str(old), str(new), "--ref-dir", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "nowhere" in missing.stderr


def test_catalogue_schemas_pass_through_untouched() -> None:
    """Registry templates (2020-12, root pointers, /common/ refs) come back as the same objects:
    the hook costs one walk and changes nothing they resolve to."""
    from registry.diff.references import prepare

    schemas = sorted((ROOT / "templates_repo").glob("*/*/*/schema.json"))
    assert schemas
    for path in schemas:
        doc = json.loads(path.read_text(encoding="utf-8"))
        old, new, _, _ = prepare(doc, doc, None, None)
        assert old is doc, path
        assert new is doc, path


# ------------------------------------------------------------------------------ property
def _draft_schemas(dialect: str) -> Any:
    """Small schemas of an older dialect: tuples, definitions and refs (with siblings), bounds,
    dependencies — the constructs the rewrite changes."""
    from hypothesis import strategies as st

    names = st.sampled_from(["a", "b", "x/y", "m~n", "p%q"])
    leaf = st.one_of(
        st.just({}), st.booleans() if dialect != DRAFT_04 else st.just({"type": "boolean"}),
        st.builds(lambda t: {"type": t}, st.sampled_from(["string", "integer", "number", "array", "object", "null"])),
        st.builds(lambda m, e: {"minimum": m, "exclusiveMinimum": e} if dialect == DRAFT_04 else
                  {"minimum": m, "exclusiveMinimum": m - 1}, st.integers(-2, 5), st.booleans()),
        st.builds(lambda m, e: {"maximum": m, "exclusiveMaximum": e} if dialect == DRAFT_04 else {"maximum": m},
                  st.integers(-2, 10), st.booleans()),
        st.builds(lambda n: {"maxLength": n}, st.integers(0, 4)),
        st.builds(lambda n: {"$ref": "#/definitions/" + n.replace("~", "~0").replace("/", "~1").replace("%", "%25")}, names),
    )

    def extend(inner: Any) -> Any:
        return st.one_of(
            st.builds(lambda xs, a: {"items": xs, **({"additionalItems": a} if a is not None else {})},
                      st.lists(inner, min_size=1, max_size=2), st.one_of(st.none(), inner)),
            st.builds(lambda x, a: {"items": x, "additionalItems": a}, inner, inner),
            st.builds(lambda ps: {"properties": ps}, st.dictionaries(st.sampled_from(KEYS), inner, max_size=2)),
            st.builds(lambda d: {"dependencies": d}, st.dictionaries(
                st.sampled_from(KEYS), st.one_of(st.lists(st.sampled_from(KEYS), max_size=2), inner), max_size=2)),
            st.builds(lambda n, s: {"$ref": "#/definitions/" + n.replace("~", "~0").replace("/", "~1").replace("%", "%25"), **s},
                      names, st.fixed_dictionaries({"maxLength": st.integers(0, 2)})),
            st.builds(lambda xs: {"anyOf": xs}, st.lists(inner, min_size=1, max_size=2)),
        )

    body = st.recursive(leaf, extend, max_leaves=6)
    defs = st.fixed_dictionaries({n: body for n in ["a", "b", "x/y", "m~n", "p%q"]})
    uri = {DRAFT_04: D4, DRAFT_07: D7, DRAFT_06: "http://json-schema.org/draft-06/schema#"}[dialect]
    return st.builds(lambda b, d: {**(b if isinstance(b, dict) else {"allOf": [b]}), "$schema": uri, "definitions": d},
                     body, defs)


@pytest.mark.parametrize("dialect", [DRAFT_04, DRAFT_06, DRAFT_07])
def test_rewrite_agrees_with_jsonschema_rs_on_random_schemas(dialect: str) -> None:
    """Random older-dialect schemas: the 2020-12 form (after references too) accepts the same
    instances as the original does under its own draft's validator."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(_draft_schemas(dialect))
    def check(schema: Any) -> None:
        try:
            VALIDATORS[dialect](schema)
        except Exception:  # e.g. a $ref cycle jsonschema-rs refuses: nothing to compare
            return
        rewritten, found = to_2020_12(schema)
        assert found == dialect
        assert agree(schema, dialect, canonical_refs(rewritten)) == []

    check()


def test_hook_never_raises_on_arbitrary_json() -> None:
    """Any JSON document with keyword-shaped keys goes through the hook without an exception
    (invalid schemas are the meta-validation's job, which runs after it)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from registry.diff.references import prepare

    keys = st.sampled_from(["$schema", "$id", "id", "$ref", "$dynamicRef", "$anchor", "$dynamicAnchor",
                            "$recursiveRef", "$recursiveAnchor", "definitions", "$defs", "dependencies",
                            "items", "additionalItems", "properties", "exclusiveMinimum", "minimum", "allOf",
                            "not", "enum"])
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3),
                        st.sampled_from(["#", "#/definitions/a", "#/$defs/a", "#a", "a.json", "urn:x",
                                         "urn:x#/$defs/a", "%", "#/%zz", D4, D7, D19, "tag:x,2024:y"]))
    docs = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(keys, inner, max_size=4)),
                        max_leaves=12)

    @settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(docs, docs)
    def check(a: Any, b: Any) -> None:
        prepare(a, b, None, None)

    check()
