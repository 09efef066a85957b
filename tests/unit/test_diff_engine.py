"""The semantic diff engine, keyword family by keyword family (docs/diff.md is the table)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import jsonschema_rs
import pytest

from registry.diff import Change, Diff, Policy, check_compat, diff, required_bump
from registry.errors import InvalidTemplate, UsageError
from registry.syntax.refs import SchemaSet

S = "https://json-schema.org/draft/2020-12/schema"
STRICT = Policy("strict")
LENIENT = Policy("lenient")


def form(props: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A form schema the way templates write them."""
    schema: dict[str, Any] = {"$schema": S, "type": "object", "title": "申請", "properties": props}
    if required is not None:
        schema["required"] = required
    schema.update(extra)
    return schema


def kinds(d: Diff) -> list[tuple[str, str, str]]:
    return [(c.kind, c.backward, c.forward) for c in d.changes]


def only(d: Diff, kind: str) -> Change:
    found = [c for c in d.changes if c.kind == kind]
    assert len(found) == 1, kinds(d)
    return found[0]


def assert_witness(c: Change, old: Any, new: Any) -> None:
    """The witness really separates the two schemas."""
    assert c.witness is not None
    vo, vn = jsonschema_rs.validator_for(old), jsonschema_rs.validator_for(new)
    if c.witness.accepted_by == "old":
        assert vo.is_valid(c.witness.value)
        assert not vn.is_valid(c.witness.value)
    else:
        assert vn.is_valid(c.witness.value)
        assert not vo.is_valid(c.witness.value)


KUBUN = {"title": "区分", "type": "string", "enum": ["欠席", "遅刻", "早退"]}
NAME = {"title": "氏名", "type": "string", "maxLength": 50}


# --------------------------------------------------------------------------- identity


def test_identical_schemas_have_no_change() -> None:
    s = form({"kubun": KUBUN, "name": NAME}, ["kubun"])
    d = diff(s, copy.deepcopy(s))
    assert (d.backward, d.forward, d.bump, d.changes) == ("compatible", "compatible", "none", [])


def test_reordered_keys_and_renamed_defs_are_no_change() -> None:
    old = {"$schema": S, "type": "object", "$defs": {"kubun": KUBUN},
           "properties": {"kubun": {"$ref": "#/$defs/kubun"}, "name": NAME}}
    new = {"properties": {"name": dict(reversed(list(NAME.items()))),
                          "kubun": {"$ref": "#/$defs/category"}},
           "$defs": {"category": dict(reversed(list(KUBUN.items())))}, "type": "object", "$schema": S}
    d = diff(old, new)
    assert d.changes == []
    assert d.bump == "none"


def test_inlining_a_definition_is_no_change() -> None:
    old = {"$schema": S, "type": "object", "$defs": {"kubun": KUBUN},
           "properties": {"kubun": {"$ref": "#/$defs/kubun"}}}
    new = form({"kubun": KUBUN})
    del new["title"]
    assert diff(old, new).changes == []


# --------------------------------------------------------------------------- types and values


@pytest.mark.parametrize(("old", "new", "kind", "b", "f"), [
    ({"type": ["string", "null"]}, {"type": "string"}, "type_narrowed", "breaking", "compatible"),
    ({"type": "integer"}, {"type": "number"}, "type_widened", "compatible", "breaking"),
    ({"type": "number"}, {"type": "integer"}, "type_narrowed", "breaking", "compatible"),
    ({"type": "string"}, {"type": "integer"}, "type_changed", "breaking", "breaking"),
    ({}, {"type": "string"}, "type_narrowed", "breaking", "compatible"),
])
def test_type(old: dict[str, Any], new: dict[str, Any], kind: str, b: str, f: str) -> None:
    o, n = form({"x": {"title": "値", **old}}), form({"x": {"title": "値", **new}})
    d = diff(o, n)
    c = only(d, kind)
    assert (c.backward, c.forward, c.pointer, c.field) == (b, f, "/properties/x/type", "/x")
    assert_witness(c, o, n)


def test_number_and_integer_together_equal_number() -> None:
    assert diff({"type": ["number", "integer"]}, {"type": "number"}).changes == []


def test_enum_value_removed_message_and_witness() -> None:
    old = form({"kubun": KUBUN}, ["kubun"])
    new = form({"kubun": {**KUBUN, "enum": ["欠席", "遅刻"]}}, ["kubun"])
    d = diff(old, new)
    c = only(d, "enum_value_removed")
    assert (c.pointer, c.before, c.after, c.backward, c.forward) == (
        "/properties/kubun/enum", "早退", None, "breaking", "compatible")
    assert c.message_ja == ("『区分』の選択肢「早退」が削除されました。"
                            "これまでに受け付けた「早退」の申請データは新しい版では無効になります。")
    assert c.witness_form_ja == "区分: 早退"
    assert c.message == ('Option "早退" was removed from "区分"; submissions already collected '
                         'with "早退" are invalid under the new version.')
    assert c.witness is not None
    assert c.witness.value == {"kubun": "早退"}
    assert c.witness.accepted_by == "old"
    assert (d.backward, d.forward, d.bump) == ("breaking", "compatible", "major")


def test_enum_value_added_is_forward_breaking_minor() -> None:
    old = form({"kubun": KUBUN})
    new = form({"kubun": {**KUBUN, "enum": [*KUBUN["enum"], "通院"]}})
    d = diff(old, new)
    c = only(d, "enum_value_added")
    assert (c.backward, c.forward, c.after) == ("compatible", "breaking", "通院")
    assert_witness(c, old, new)
    assert d.bump == "minor"
    assert required_bump(d, "FORWARD") == "major"
    assert required_bump(d, "FULL") == "major"
    assert required_bump(d, "NONE") == "minor"


def test_enum_values_compare_as_json() -> None:
    assert diff({"enum": [1, "a"]}, {"enum": [1.0, "a"]}).changes == []
    d = diff({"enum": [1]}, {"enum": [True]})
    assert sorted(k for k, _, _ in kinds(d)) == ["enum_value_added", "enum_value_removed"]


def test_const_changed_both_break() -> None:
    assert kinds(diff({"const": "a"}, {"const": "b"})) == [("const_changed", "breaking", "breaking")]


def test_enum_added_and_removed() -> None:
    assert kinds(diff({"type": "string"}, {"type": "string", "enum": ["a"]})) == [
        ("enum_added", "breaking", "compatible")]
    assert kinds(diff({"type": "string", "enum": ["a"]}, {"type": "string"})) == [
        ("enum_removed", "compatible", "breaking")]


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(("old", "new", "kind", "b", "f"), [
    ({"minimum": 0}, {"minimum": 1}, "minimum_increased", "breaking", "compatible"),
    ({"minimum": 1}, {"minimum": 0}, "minimum_decreased", "compatible", "breaking"),
    ({}, {"maximum": 10}, "maximum_added", "breaking", "compatible"),
    ({"maximum": 10}, {}, "maximum_removed", "compatible", "breaking"),
    ({"maximum": 120}, {"maximum": 100}, "maximum_decreased", "breaking", "compatible"),
    ({"minimum": 0}, {"exclusiveMinimum": 0}, "exclusive_minimum_increased", "breaking", "compatible"),
    ({"exclusiveMaximum": 5}, {"maximum": 5}, "maximum_increased", "compatible", "breaking"),
    ({"multipleOf": 0.5}, {"multipleOf": 0.25}, "multiple_of_changed", "compatible", "breaking"),
    ({"multipleOf": 0.1}, {"multipleOf": 0.3}, "multiple_of_changed", "breaking", "compatible"),
    ({"multipleOf": 2}, {"multipleOf": 3}, "multiple_of_changed", "breaking", "breaking"),
    ({}, {"multipleOf": 2}, "multiple_of_added", "breaking", "compatible"),
])
def test_numbers(old: dict[str, Any], new: dict[str, Any], kind: str, b: str, f: str) -> None:
    o, n = form({"x": {"type": "number", **old}}), form({"x": {"type": "number", **new}})
    d = diff(o, n)
    c = only(d, kind)
    assert (c.backward, c.forward) == (b, f)
    if b == "breaking" or f == "breaking":
        assert_witness(c, o, n)


def test_integer_bounds_compare_effectively() -> None:
    # For integers exclusiveMinimum 0 is minimum 1: same value set, nothing to report.
    assert diff({"type": "integer", "exclusiveMinimum": 0}, {"type": "integer", "minimum": 1}).changes == []
    assert diff({"type": "integer", "maximum": 9.5}, {"type": "integer", "maximum": 9}).changes == []


def test_number_keyword_under_string_type_changes_nothing() -> None:
    d = diff({"type": "string", "minimum": 1}, {"type": "string", "minimum": 5})
    # The same values: one cosmetic rewrite.
    assert kinds(d) == [("rewritten", "compatible", "compatible")]
    assert d.bump == "patch"
    assert d.backward == d.forward == "compatible"


# --------------------------------------------------------------------------- strings


@pytest.mark.parametrize(("old", "new", "kind", "b", "f"), [
    ({"maxLength": 50}, {"maxLength": 40}, "max_length_decreased", "breaking", "compatible"),
    ({"maxLength": 40}, {"maxLength": 50}, "max_length_increased", "compatible", "breaking"),
    ({}, {"minLength": 1}, "min_length_added", "breaking", "compatible"),
    ({"minLength": 1}, {}, "min_length_removed", "compatible", "breaking"),
    ({}, {"pattern": "^[0-9]{3}-[0-9]{4}$"}, "pattern_added", "breaking", "compatible"),
    ({"pattern": "^[0-9]{3}-[0-9]{4}$"}, {}, "pattern_removed", "compatible", "breaking"),
])
def test_strings(old: dict[str, Any], new: dict[str, Any], kind: str, b: str, f: str) -> None:
    o, n = form({"x": {"type": "string", **old}}), form({"x": {"type": "string", **new}})
    c = only(diff(o, n), kind)
    assert (c.backward, c.forward) == (b, f)
    assert_witness(c, o, n)


def test_pattern_changed_is_unknown_unless_a_witness_settles_it() -> None:
    # Equal regular languages: one cosmetic rewrite.
    c = only(diff({"type": "string", "pattern": "a"}, {"type": "string", "pattern": "(a)"}), "rewritten")
    assert (c.backward, c.forward, c.cosmetic) == ("compatible", "compatible", True)
    # Unknown when the automata cannot read a pattern (look-around) and no value separates them...
    c = only(diff({"type": "string", "pattern": "a"}, {"type": "string", "pattern": "(?=a)a"}), "pattern_changed")
    assert (c.backward, c.forward) == ("unknown", "unknown")
    # ...breaking when a checked value separates them (the old sample fails the new pattern).
    o = form({"zip": {"type": "string", "pattern": "^[0-9]{3}-[0-9]{4}$"}}, ["zip"])
    n = form({"zip": {"type": "string", "pattern": "^[0-9]{7}$"}}, ["zip"])
    c = only(diff(o, n), "pattern_changed")
    assert c.backward == "breaking"
    assert_witness(c, o, n)


def test_format_is_a_policy_switch() -> None:
    o, n = {"type": "string"}, {"type": "string", "format": "email"}
    c = only(diff(o, n), "format_added")
    assert (c.backward, c.forward, c.cosmetic) == ("compatible", "compatible", True)
    assert diff(o, n).bump == "patch"
    c = only(diff(o, n, Policy(format_assertion=True)), "format_added")
    assert (c.backward, c.forward, c.cosmetic) == ("breaking", "compatible", False)
    c = only(diff({"type": "string", "format": "date"}, {"type": "string", "format": "email"},
                  Policy(format_assertion=True)), "format_changed")
    assert c.backward == "breaking"  # "2024-04-01" is a date and not an email: checked


# --------------------------------------------------------------------------- objects and policies


def test_optional_property_added_open_object_strict_vs_lenient() -> None:
    old = form({"name": NAME}, ["name"])
    new = form({"name": NAME, "memo": {"title": "備考", "type": "string"}}, ["name"])
    strict = only(diff(old, new, STRICT), "property_added")
    assert (strict.backward, strict.forward, strict.pointer) == ("breaking", "compatible", "/properties/memo")
    assert_witness(strict, old, new)  # e.g. {"name": "", "memo": 0}: old accepted it
    lenient = only(diff(old, new, LENIENT), "property_added")
    assert (lenient.backward, lenient.forward) == ("compatible", "compatible")
    assert lenient.message_ja == "項目『備考』が追加されました。"
    assert diff(old, new).bump == "minor"


def test_property_added_to_closed_object_breaks_forward() -> None:
    old = form({"name": NAME}, additionalProperties=False)
    new = form({"name": NAME, "memo": {"type": "string"}}, additionalProperties=False)
    for policy in (STRICT, LENIENT):
        c = only(diff(old, new, policy), "property_added")
        assert (c.backward, c.forward) == ("compatible", "breaking")
        assert_witness(c, old, new)


def test_property_removed() -> None:
    old = form({"name": NAME, "memo": {"type": "string"}})
    new = form({"name": NAME})
    assert kinds(diff(old, new, STRICT)) == [("property_removed", "compatible", "breaking")]
    assert kinds(diff(old, new, LENIENT)) == [("property_removed", "compatible", "compatible")]
    closed_old, closed_new = {**old, "additionalProperties": False}, {**new, "additionalProperties": False}
    c = only(diff(closed_old, closed_new, LENIENT), "property_removed")
    assert c.backward == "breaking"
    assert_witness(c, closed_old, closed_new)


def test_required() -> None:
    old = form({"name": NAME, "age": {"title": "年齢", "type": "integer"}}, ["name"])
    new = form({"name": NAME, "age": {"title": "年齢", "type": "integer"}}, ["name", "age"])
    c = only(diff(old, new), "required_added")
    assert (c.backward, c.forward, c.pointer, c.field, c.after) == (
        "breaking", "compatible", "/required", "/age", "age")
    assert c.message_ja.startswith("『年齢』（「age」）が必須になりました。")
    assert_witness(c, old, new)
    c = only(diff(new, old), "required_removed")
    assert (c.backward, c.forward) == ("compatible", "breaking")


def test_additional_properties_closed_and_opened() -> None:
    old, new = form({"name": NAME}), form({"name": NAME}, additionalProperties=False)
    c = only(diff(old, new, STRICT), "additional_properties_closed")
    assert (c.backward, c.forward) == ("breaking", "compatible")
    assert_witness(c, old, new)
    assert kinds(diff(old, new, LENIENT)) == [("additional_properties_closed", "compatible", "compatible")]
    assert kinds(diff(new, old, STRICT)) == [("additional_properties_opened", "compatible", "breaking")]


def test_additional_properties_schemas_compare_recursively() -> None:
    old = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 5}}
    new = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 3}}
    c = only(diff(old, new, STRICT), "max_length_decreased")
    assert (c.pointer, c.backward) == ("/additionalProperties/maxLength", "breaking")
    assert_witness(c, old, new)


def test_object_bounds_and_dependencies() -> None:
    assert kinds(diff({"type": "object"}, {"type": "object", "minProperties": 1})) == [
        ("min_properties_added", "breaking", "compatible")]
    assert kinds(diff({"type": "object", "maxProperties": 3}, {"type": "object", "maxProperties": 5})) == [
        ("max_properties_increased", "compatible", "breaking")]
    assert kinds(diff({}, {"dependentRequired": {"a": ["b"]}})) == [
        ("dependent_required_added", "breaking", "compatible")]
    assert kinds(diff({"dependentSchemas": {"a": {"required": ["b"]}}}, {})) == [
        ("dependent_schemas_removed", "compatible", "breaking")]
    assert kinds(diff({}, {"propertyNames": {"maxLength": 3}})) == [
        ("property_names_added", "breaking", "compatible")]


def test_pattern_properties() -> None:
    old = {"type": "object", "patternProperties": {"^q": {"type": "string"}}}
    new = {"type": "object", "patternProperties": {"^q": {"type": "integer"}}}
    assert kinds(diff(old, new)) == [("type_changed", "breaking", "breaking")]
    added = diff({"type": "object"}, old, STRICT)
    assert kinds(added) == [("pattern_properties_added", "breaking", "compatible")]


def test_unevaluated_properties_is_unknown_when_its_inputs_change() -> None:
    old = {"allOf": [{"properties": {"a": {}}}], "unevaluatedProperties": False}
    new = {"allOf": [{"properties": {"a": {}, "b": {}}}], "unevaluatedProperties": False}
    d = diff(old, new)
    c = only(d, "unevaluated_properties_changed")
    assert c.forward in ("unknown", "breaking")
    assert d.forward != "compatible"


# --------------------------------------------------------------------------- arrays


def test_arrays() -> None:
    base = {"type": "array", "items": {"type": "string"}}
    assert kinds(diff(base, {**base, "maxItems": 3})) == [("max_items_added", "breaking", "compatible")]
    assert kinds(diff({**base, "minItems": 2}, {**base, "minItems": 1})) == [
        ("min_items_decreased", "compatible", "breaking")]
    assert kinds(diff(base, {**base, "uniqueItems": True})) == [("unique_items_added", "breaking", "compatible")]
    c = only(diff(base, {"type": "array", "items": {"type": "string", "maxLength": 2}}), "max_length_added")
    assert (c.pointer, c.field, c.backward) == ("/items/maxLength", "/*", "breaking")
    assert kinds(diff({"type": "array"}, base)) == [("items_added", "breaking", "compatible")]
    tup_old = {"type": "array", "prefixItems": [{"type": "string"}], "items": False}
    tup_new = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False}
    assert kinds(diff(tup_old, tup_new)) == [("prefix_items_added", "compatible", "breaking")]
    assert kinds(diff({"type": "array"}, {"type": "array", "contains": {"const": 1}})) == [
        ("contains_added", "breaking", "compatible")]
    assert kinds(diff({"type": "array", "contains": {"const": 1}},
                      {"type": "array", "contains": {"const": 1}, "minContains": 2})) == [
        ("min_contains_increased", "breaking", "compatible")]


def test_array_witness_places_the_value_in_an_element() -> None:
    old = form({"kids": {"type": "array", "items": {"type": "object", "properties": {
        "grade": {"title": "学年", "type": "integer", "minimum": 1, "maximum": 6}}, "required": ["grade"]},
        "minItems": 1}}, ["kids"])
    new = copy.deepcopy(old)
    new["properties"]["kids"]["items"]["properties"]["grade"]["maximum"] = 3
    c = only(diff(old, new), "maximum_decreased")
    assert c.field == "/kids/*/grade"
    assert c.witness is not None
    assert c.witness.value == {"kids": [{"grade": 6}]}


# --------------------------------------------------------------------------- combinators


def test_any_of_branches_matched_when_reordered() -> None:
    old = {"anyOf": [{"type": "string"}, {"type": "integer"}]}
    assert diff(old, {"anyOf": [{"type": "integer"}, {"type": "string"}]}).changes == []
    d = diff(old, {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]})
    assert kinds(d) == [("any_of_branch_added", "compatible", "breaking")]
    d = diff(old, {"anyOf": [{"type": "integer"}]})
    assert kinds(d) == [("any_of_branch_removed", "breaking", "compatible")]
    assert_witness(d.changes[0], old, {"anyOf": [{"type": "integer"}]})


def test_any_of_narrowed_branch_covered_by_another_is_not_called_breaking() -> None:
    old = {"anyOf": [{"type": "string"}, {"type": "string", "maxLength": 5}]}
    new = {"anyOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]}
    d = diff(old, new)
    # Both unions are "any string": proven compatible by inclusion (never "breaking" blindly).
    assert d.backward == "compatible"


def test_one_of_overlapping_branches_is_unknown() -> None:
    old = {"oneOf": [{"type": "number"}, {"type": "integer", "maximum": 5}]}
    new = {"oneOf": [{"type": "number"}, {"type": "integer", "maximum": 3}]}
    # Narrowing a branch here WIDENS oneOf (4 matched two branches, now one): never "compatible".
    d = diff(old, new)
    assert d.forward != "compatible"
    assert "one_of_changed" in [c.kind for c in d.changes]


def test_one_of_disjoint_branches_reason_like_any_of() -> None:
    old = {"oneOf": [{"const": "a"}, {"const": "b"}]}
    new = {"oneOf": [{"const": "a"}, {"const": "b"}, {"const": "c"}]}
    assert kinds(diff(old, new)) == [("one_of_branch_added", "compatible", "breaking")]


def test_all_of_not_and_conditionals() -> None:
    assert kinds(diff({"allOf": [{"type": "integer"}]}, {"allOf": [{"type": "integer"}, {"minimum": 0}]})) == [
        ("all_of_branch_added", "breaking", "compatible")]
    # Under not, verdicts swap: widening the excluded set narrows the schema.
    assert kinds(diff({"not": {"type": "string"}}, {"not": {"type": ["string", "null"]}})) == [
        ("type_widened", "breaking", "compatible")]
    cond = {"if": {"properties": {"k": {"const": "x"}}}, "then": {"required": ["a"]}}
    assert kinds(diff({}, cond)) == [("conditional_added", "breaking", "compatible")]
    changed = {"if": {"properties": {"k": {"const": "y"}}}, "then": {"required": ["a"]}}
    d = diff(cond, changed)
    assert [c.kind for c in d.changes] == ["conditional_changed"]
    assert d.backward != "compatible"


def test_boolean_schemas() -> None:
    old = form({"x": {"type": "string"}})
    new = form({"x": False})
    c = only(diff(old, new), "schema_became_false")
    assert c.backward == "breaking"
    assert_witness(c, old, new)
    assert kinds(diff(form({"x": False}), form({"x": True}))) == [("schema_became_true", "compatible", "breaking")]


# --------------------------------------------------------------------------- refs and recursion


def test_common_definitions_resolve_through_the_schema_set() -> None:
    common = {"$id": "https://yoshiki.invalid/common/zip-test.json", "type": "string",
              "pattern": "^[0-9]{3}-[0-9]{4}$"}
    schemas = SchemaSet(extra={common["$id"]: common})
    old = {"$schema": S, "$id": "https://yoshiki.invalid/132241/f/1.0.0/schema.json", "type": "object",
           "properties": {"zip": {"$ref": "/common/zip-test.json", "title": "郵便番号"}}}
    new = copy.deepcopy(old)
    new["$id"] = "https://yoshiki.invalid/132241/f/1.1.0/schema.json"
    same = diff(old, new, old_schemas=schemas, new_schemas=schemas)
    assert [(c.kind, c.pointer, c.cosmetic) for c in same.changes] == [("identifier_changed", "/$id", True)]
    assert same.bump == "patch"
    new["properties"]["zip"] = {"title": "郵便番号", "type": "string", "pattern": "^[0-9]{7}$"}
    c = only(diff(old, new, old_schemas=schemas, new_schemas=schemas), "pattern_changed")
    assert (c.pointer, c.title) == ("/properties/zip/pattern", "郵便番号")


def test_recursive_schemas_terminate_and_find_changes() -> None:
    old = {"$schema": S, "$defs": {"node": {"type": "object", "properties": {
        "name": {"type": "string"}, "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
        "$ref": "#/$defs/node"}
    assert diff(old, copy.deepcopy(old)).changes == []
    new = copy.deepcopy(old)
    new["$defs"]["node"]["properties"]["name"]["maxLength"] = 3
    c = only(diff(old, new), "max_length_added")
    assert c.backward == "breaking"
    assert_witness(c, old, new)


def test_sibling_keywords_of_a_ref_apply_together() -> None:
    old = {"$defs": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/s", "maxLength": 5}}}
    new = {"$defs": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/s", "maxLength": 3}}}
    assert [k for k, _, _ in kinds(diff(old, new))] == ["max_length_decreased"]


# --------------------------------------------------------------------------- cosmetic and bump


def test_annotations_are_patch() -> None:
    old = form({"name": NAME})
    new = form({"name": {**NAME, "title": "お名前", "description": "漢字で", "x-yoshiki-widget": "textarea"}})
    d = diff(old, new)
    assert {c.kind for c in d.changes} == {"annotation_changed"}
    assert all(c.cosmetic for c in d.changes)
    assert d.bump == "patch"


def test_default_and_lock() -> None:
    old, new = {"type": "string", "default": "a"}, {"type": "string", "default": "b"}
    assert diff(old, new).bump == "patch"
    assert diff(old, new, Policy(default_is_annotation=False)).bump == "minor"
    locked = diff({"type": "string"}, {"type": "string", "x-yoshiki-locked": True})
    assert [c.kind for c in locked.changes] == ["locked_changed"]


def test_unknown_keywords_are_annotations() -> None:
    assert kinds(diff({"foo": 1}, {"foo": 2})) == [("unknown_keyword_changed", "compatible", "compatible")]


def test_bump_rule_follows_the_mode() -> None:
    old = form({"kubun": KUBUN})
    widened = form({"kubun": {**KUBUN, "enum": [*KUBUN["enum"], "通院"]}})
    assert diff(old, widened, mode="BACKWARD").bump == "minor"
    assert diff(old, widened, mode="FORWARD").bump == "major"
    assert diff(old, widened, mode="NONE").bump == "minor"
    with pytest.raises(UsageError):
        diff(old, widened, mode="SIDEWAYS")


# --------------------------------------------------------------------------- compat


def test_check_compat_transitive_checks_every_earlier_version() -> None:
    v1 = form({"kubun": KUBUN})
    v2 = form({"kubun": {**KUBUN, "enum": [*KUBUN["enum"], "通院"]}})
    v3 = form({"kubun": {**KUBUN, "enum": ["欠席", "遅刻", "通院"]}})  # drops 早退 (present in v1, v2)
    assert check_compat(v3, [v1, v2], "BACKWARD").ok is False
    v3b = form({"kubun": {**KUBUN, "enum": ["欠席", "遅刻", "早退", "通院", "その他"]}})
    assert check_compat(v3b, [v1, v2], "BACKWARD_TRANSITIVE").ok is True
    r = check_compat(v2, [v3b, v1], "BACKWARD")  # non-transitive: only the last (v1)
    assert (r.ok, len(r.diffs)) == (True, 1)
    r = check_compat(v2, [v3b, v1], "BACKWARD_TRANSITIVE")
    assert (r.ok, r.verdict, len(r.diffs)) == (False, "breaking", 2)
    assert check_compat(v1, [v3], "NONE").ok is True
    assert check_compat(v2, [v1], "FULL").verdict == "breaking"


# --------------------------------------------------------------------------- hostile input


@pytest.mark.timeout(20)
def test_self_reference_through_all_of_terminates() -> None:
    s = {"$schema": S, "$defs": {"a": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}
    t = copy.deepcopy(s)
    t["$defs"]["a"]["allOf"].append({"type": "string"})
    assert diff(s, copy.deepcopy(s)).changes == []
    d = diff(s, t)
    assert d.backward in ("breaking", "unknown")


@pytest.mark.timeout(20)
def test_thousand_deep_nesting_is_unknown_not_a_crash() -> None:
    def deep(leaf: dict[str, Any]) -> dict[str, Any]:
        node = leaf
        for _ in range(1000):
            node = {"type": "object", "properties": {"a": node}}
        return node

    d = diff(deep({"type": "string"}), deep({"type": "integer"}))
    assert (d.backward, d.forward, [c.kind for c in d.changes]) == ("unknown", "unknown", ["too_complex"])


@pytest.mark.timeout(20)
def test_ten_thousand_enum_values() -> None:
    d = diff({"enum": list(range(10_000))}, {"enum": list(range(5_000, 15_000))})
    assert (d.backward, d.forward) == ("breaking", "breaking")
    assert len(d.changes) == 2  # one change per direction beyond 20 values
    assert len(d.changes[0].before or d.changes[0].after) == 5_000


@pytest.mark.timeout(20)
@pytest.mark.parametrize("bad", [{"type": 5}, {"properties": []}, {"minimum": "0"}, [1], "schema"])
def test_invalid_schema_is_a_clear_error(bad: Any) -> None:
    with pytest.raises(InvalidTemplate) as exc:
        diff(bad, {"type": "string"})
    assert "old" in str(exc.value)


@pytest.mark.timeout(20)
def test_cyclic_pure_ref_is_unknown() -> None:
    d = diff({"$schema": S, "$ref": "#"}, {"$schema": S, "type": "string"})
    assert d.backward == "unknown"


def test_engine_imports_nothing_heavy() -> None:
    code = ("import sys, registry.diff as d; d.diff({'type':'string'},{'type':'integer'}); "
            "bad=[m for m in ('litestar','sqlmodel','sqlalchemy','git','click') if m in sys.modules]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().replace("'", '"')) == []


# --------------------------------------------------------------------------- witnesses in context


def test_enum_label_names_the_value() -> None:
    old = form({"period": {"title": "利用期間", "type": "string", "enum": ["year", "long-vacations"],
                           "x-yoshiki-enum-labels": {"year": "通年", "long-vacations": "長期休業期間のみ"}}})
    new = copy.deepcopy(old)
    new["properties"]["period"]["enum"] = ["year"]
    c = only(diff(old, new), "enum_value_removed")
    assert c.message_ja.startswith("『利用期間』の選択肢「long-vacations」（長期休業期間のみ）が削除されました。")


def test_witness_fits_a_pattern_with_length_bounds() -> None:
    phone = {"title": "電話番号", "type": "string", "pattern": "^0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}$",
             "minLength": 12, "maxLength": 13}
    old = form({"phone": phone, "kubun": KUBUN}, ["phone", "kubun"])
    new = copy.deepcopy(old)
    new["properties"]["kubun"]["enum"] = ["欠席"]
    c = next(c for c in diff(old, new).changes if c.kind == "enum_value_removed")
    assert c.witness is not None
    assert c.witness.value["phone"] == "0000-000-0000"
    assert_witness(c, old, new)


def test_witness_satisfies_the_condition_of_a_then_change() -> None:
    base = {"type": "object", "properties": {"reason": {"enum": ["病気", "その他"]}, "detail": {"type": "string"},
                                              "tel": {"type": "string"}},
            "if": {"properties": {"reason": {"const": "その他"}}, "required": ["reason"]}}
    old = {**base, "then": {"required": ["detail"]}}
    new = {**base, "then": {"required": ["detail", "tel"]}}
    c = only(diff(old, new), "required_added")
    assert (c.pointer, c.backward) == ("/then/required", "breaking")
    assert c.witness is not None
    assert c.witness.value["reason"] == "その他"
    assert_witness(c, old, new)


def test_lenient_sees_names_declared_in_branches() -> None:
    # "detail" is declared at the root: under lenient, new data may carry it, so dropping the
    # else-branch's limit on it is forward-breaking (not hidden as "undeclared").
    base = {"type": "object", "properties": {"reason": {"enum": ["病気", "その他"]}, "detail": {"type": "string"}},
            "if": {"properties": {"reason": {"const": "その他"}}, "required": ["reason"]},
            "then": {"required": ["detail"]}}
    old = {**base, "else": {"properties": {"detail": {"maxLength": 0}}}}
    d = diff(old, base, LENIENT)
    assert d.forward == "breaking"
    assert_witness(d.changes[0], old, base)
