"""registry.merge: API shape, resolutions, limits, purity, and properties checked with hypothesis."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.errors import LimitExceeded, UsageError
from registry.merge import (
    MAX_DEPTH,
    MISSING,
    MergeConflict,
    Value,
    merge,
    merge_template,
    resolve,
)

BASE = {"title": "欠席連絡", "properties": {"memo": {"type": "string", "maxLength": 100},
                                        "fax": {"type": "string"}}}
OURS = {"title": "欠席届", "properties": {"memo": {"type": "string", "maxLength": 200}}}
THEIRS = {"title": "欠席・遅刻連絡",
          "properties": {"memo": {"type": "string", "maxLength": 300},
                         "fax": {"type": "string", "title": "FAX"}}}


def exact(value: Any) -> str:
    """Serialised text: key order and true-vs-1 both count."""
    return json.dumps(value, ensure_ascii=False)


def nest(levels: int, leaf: Any) -> Any:
    """``levels`` nested objects around ``leaf`` (built without recursion)."""
    node = leaf
    for _ in range(levels - 1):
        node = {"a": node}
    return node


# --- the result and its conflicts -------------------------------------------------------------

def test_conflicts_carry_pointer_kind_and_three_values() -> None:
    result = merge(BASE, OURS, THEIRS)
    assert result.merged is None
    assert not result.clean
    assert [(c.pointer, c.kind) for c in result.conflicts] == [
        ("/title", "both_changed"),
        ("/properties/memo/maxLength", "both_changed"),
        ("/properties/fax", "delete_edit"),
    ]
    fax = result.conflicts[2]
    assert fax.base == {"type": "string"}
    assert fax.ours is MISSING
    assert fax.theirs == {"type": "string", "title": "FAX"}
    assert fax.missing == ["ours"]
    assert fax.message_ja == "一方の版で削除され、もう一方の版で変更されています"


def test_partial_keeps_ours_at_each_conflict() -> None:
    result = merge(BASE, OURS, THEIRS)
    assert result.partial == {"title": "欠席届",
                              "properties": {"memo": {"type": "string", "maxLength": 200}}}


def test_missing_is_absent_in_json() -> None:
    conflict = merge(BASE, OURS, THEIRS).conflicts[2]
    encoded = json.loads(msgspec.json.encode(conflict))
    assert "ours" not in encoded
    assert encoded["missing"] == ["ours"]
    assert conflict.to_json() == {
        "pointer": "/properties/fax", "kind": "delete_edit",
        "base": {"type": "string"}, "theirs": {"type": "string", "title": "FAX"},
        "missing": ["ours"],
        "message": "one side deleted this value while the other changed it",
        "message_ja": "一方の版で削除され、もう一方の版で変更されています",
    }


def test_null_is_a_value_not_missing() -> None:
    conflict = merge({}, {"default": None}, {"default": 0}).conflicts[0]
    assert conflict.ours is None
    assert conflict.missing == ["base"]
    assert conflict.to_json()["ours"] is None


def test_conflict_as_issue() -> None:
    issue = merge(BASE, OURS, THEIRS).conflicts[0].to_issue("schema.json")
    assert (issue.rule, issue.pointer, issue.file, issue.severity) == (
        "merge.both_changed", "/title", "schema.json", "error")


def test_merged_does_not_share_objects_with_inputs() -> None:
    base = {"properties": {"a": {"type": "string"}}}
    theirs = {"properties": {"a": {"type": "string"}, "b": {"enum": [1]}}}
    result = merge(base, base, theirs)
    result.merged["properties"]["b"]["enum"].append(2)
    result.merged["properties"]["a"]["title"] = "x"
    assert theirs == {"properties": {"a": {"type": "string"}, "b": {"enum": [1]}}}
    assert base == {"properties": {"a": {"type": "string"}}}


def test_merge_conflict_is_a_struct_other_layers_can_return() -> None:
    assert issubclass(MergeConflict, msgspec.Struct)


# --- resolve ------------------------------------------------------------------------------------

def test_resolve_all_conflicts() -> None:
    result = resolve(BASE, OURS, THEIRS, {"/title": "theirs", "/properties/memo/maxLength": 250,
                                          "/properties/fax": "ours"})
    assert result.clean
    assert result.merged == {"title": "欠席・遅刻連絡",
                             "properties": {"memo": {"type": "string", "maxLength": 250}}}


def test_resolve_leaves_unnamed_conflicts() -> None:
    result = resolve(BASE, OURS, THEIRS, {"/title": "ours"})
    assert [c.pointer for c in result.conflicts] == ["/properties/memo/maxLength",
                                                     "/properties/fax"]
    assert result.merged is None


def test_resolve_value_wrapper_for_the_word_ours() -> None:
    result = resolve({"title": "a"}, {"title": "b"}, {"title": "c"}, {"/title": Value("theirs")})
    assert result.merged == {"title": "theirs"}


def test_resolve_with_missing_deletes() -> None:
    result = resolve({"title": "a"}, {"title": "b"}, {"title": "c"}, {"/title": Value(MISSING)})
    assert result.merged == {}


def test_resolution_naming_no_conflict_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as info:
        resolve(BASE, OURS, THEIRS, {"/title": "ours", "/properties/memo/type": "ours"})
    assert "/properties/memo/type" in info.value.detail
    assert "競合はありません" in info.value.detail_ja


def test_resolution_key_must_be_a_pointer() -> None:
    with pytest.raises(UsageError):
        resolve(BASE, OURS, THEIRS, {"title": "ours"})


def test_resolution_on_an_ancestor_and_a_descendant_is_refused() -> None:
    # The descendant settles the subtree first, so the ancestor then names no conflict.
    with pytest.raises(UsageError):
        resolve(BASE, OURS, THEIRS, {"/properties": "theirs", "/properties/fax": "theirs",
                                     "/properties/memo/maxLength": "ours", "/title": "ours"})


# --- template.json --------------------------------------------------------------------------------

def test_template_own_fields_never_come_from_theirs() -> None:
    base = {"title": "a", "category": "職員", "local": {"contact": "x"}}
    ours = {"title": "a", "category": "職員"}
    theirs = {"title": "b", "category": "職員", "local": {"contact": "y"},
              "maintainers": [{"department": "人事課"}], "changelog": "c",
              "upstream": {"template": "132241/x", "version": "1.0.0"},
              "compatibility": "FULL", "lint": {"disable": []}}
    result = merge_template(base, ours, theirs)
    assert result.merged == {"title": "b", "category": "職員"}


def test_paper_settings_are_the_citys_own() -> None:
    """東京都's 提出先 and addressee never reach 瑞穂町's paper form through a pull."""
    base = {"title": "a", "category": "職員", "paper": {"addressee": "東京都知事"}}
    ours = {"title": "a", "category": "職員", "paper": {"addressee": "瑞穂町長"}}
    theirs = {"title": "a", "category": "職員",
              "paper": {"addressee": "東京都知事", "submit_to": "都庁第一本庁舎", "years": "western"}}
    assert merge_template(base, ours, theirs).merged == ours


def test_template_must_be_an_object() -> None:
    with pytest.raises(UsageError):
        merge_template({}, [], {})  # type: ignore[arg-type]


# --- limits -------------------------------------------------------------------------------------

def test_depth_200_merges() -> None:
    result = merge(nest(MAX_DEPTH, {"x": 1}), nest(MAX_DEPTH, {"x": 2}),
                   nest(MAX_DEPTH, {"x": 1, "y": 3}))
    assert result.clean
    node = result.merged
    for _ in range(MAX_DEPTH - 1):
        node = node["a"]
    assert node == {"x": 2, "y": 3}


def test_depth_200_conflict_is_reported_with_its_pointer() -> None:
    result = merge(nest(MAX_DEPTH, {"x": 1}), nest(MAX_DEPTH, {"x": 2}), nest(MAX_DEPTH, {"x": 3}))
    assert [c.pointer for c in result.conflicts] == ["/a" * (MAX_DEPTH - 1) + "/x"]


@pytest.mark.parametrize("side", [0, 1, 2])
def test_deeper_input_is_refused_clearly(side: int) -> None:
    docs: list[Any] = [{}, {}, {}]
    docs[side] = nest(MAX_DEPTH + 1, {})
    with pytest.raises(LimitExceeded) as info:
        merge(*docs)
    assert ["base", "ours", "theirs"][side] in info.value.detail
    assert "200" in info.value.detail_ja


def test_hostile_depth_is_refused_without_recursion_error() -> None:
    with pytest.raises(LimitExceeded):
        merge(nest(100_000, []), {}, {})


def test_shared_subtree_is_depth_checked_where_it_is_nested_again() -> None:
    inner = nest(150, {})
    with pytest.raises(LimitExceeded):
        merge(inner, nest(100, inner), inner)


def test_cycle_is_refused() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(LimitExceeded):
        merge({}, loop, {})


def test_pure_module_imports_no_framework() -> None:
    code = ("import sys, registry.merge; "
            "bad = [m for m in ('click', 'litestar', 'sqlmodel', 'sqlalchemy', 'git') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# --- properties -----------------------------------------------------------------------------------

KEYS = st.sampled_from(["type", "enum", "required", "properties", "anyOf", "prefixItems", "title",
                        "items", "default", "a", "b", "a/b", "~0", "氏名"])
SCALARS = (st.none() | st.booleans() | st.integers(-2, 2)
           | st.sampled_from(["string", "integer", "null", "a", "b", "氏名"]))
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=10,
)


@st.composite
def edited(draw: st.DrawFn, value: Any) -> Any:
    """A plausible edit of ``value``: keep, replace, or (for objects) drop/edit/add keys."""
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return value
    if choice == 1 or not isinstance(value, dict):
        return draw(JSON)
    result = {}
    for key, child in value.items():
        action = draw(st.integers(0, 3))
        if action == 0:
            continue
        result[key] = draw(edited(child)) if action == 1 else child
    for key in draw(st.lists(KEYS, max_size=2)):
        result.setdefault(key, draw(JSON))
    return result


TRIPLES = JSON.flatmap(lambda b: st.tuples(st.just(b), edited(b), edited(b)))


@settings(max_examples=300, deadline=None)
@given(JSON, JSON)
def test_only_ours_changed_gives_ours(base: Any, x: Any) -> None:
    assert exact(merge(base, x, base).merged) == exact(x)


@settings(max_examples=300, deadline=None)
@given(JSON, JSON)
def test_only_theirs_changed_gives_theirs(base: Any, x: Any) -> None:
    assert exact(merge(base, base, x).merged) == exact(x)


@settings(max_examples=300, deadline=None)
@given(JSON, JSON)
def test_same_change_on_both_sides_gives_it(base: Any, x: Any) -> None:
    assert exact(merge(base, x, x).merged) == exact(x)


@settings(max_examples=300, deadline=None)
@given(TRIPLES)
def test_swapping_sides_finds_the_same_conflicts(triple: tuple[Any, Any, Any]) -> None:
    base, ours, theirs = triple
    straight = merge(base, ours, theirs)
    swapped = merge(base, theirs, ours)
    assert ({(c.pointer, c.kind) for c in straight.conflicts}
            == {(c.pointer, c.kind) for c in swapped.conflicts})


@settings(max_examples=200, deadline=None)
@given(TRIPLES)
def test_resolving_every_conflict_with_ours_is_clean(triple: tuple[Any, Any, Any]) -> None:
    base, ours, theirs = triple
    result = merge(base, ours, theirs)
    settled = resolve(base, ours, theirs, {c.pointer: "ours" for c in result.conflicts})
    assert settled.clean
    assert exact(settled.merged) == exact(result.partial)
