"""Pure form rendering: a schema → widgets, and POST data → the JSON value (no web framework)."""

from __future__ import annotations

from typing import Any

from registry.submissions.validator import compile_form
from registry.syntax.refs import SchemaSet
from registry.web.forms import form_value, name_of_pointer, widgets

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://yoshiki.invalid/132241/sample/1.0.0/schema.json",
    "title": "見本",
    "type": "object",
    "properties": {
        "size": {"title": "大きさ", "enum": ["s", "m", "l"],
                 "x-yoshiki-enum-labels": {"s": "小", "m": "中", "l": "大"}},
        "month": {"title": "月", "type": "integer", "enum": [1, 2, 3, 4, 5, 6]},
        "colours": {"title": "色", "type": "array", "items": {"enum": ["red", "blue"]}},
        "day": {"title": "日付", "type": "string", "format": "date"},
        "mail": {"title": "メール", "type": "string", "format": "email"},
        "note": {"title": "備考", "type": "string", "maxLength": 400},
        "short": {"title": "短文", "type": "string", "maxLength": 20, "x-yoshiki-widget": "textarea"},
        "count": {"title": "人数", "type": "integer", "minimum": 1},
        "ratio": {"title": "割合", "type": "number"},
        "agree": {"title": "同意する", "type": "boolean"},
        "tags": {"title": "タグ", "type": "array", "items": {"type": "string"}},
        "address": {"title": "住所", "type": "object", "required": ["postal_code", "city"],
                    "properties": {"building": {"type": "string", "title": "建物名"},
                                   "city": {"type": "string", "title": "市区町村"},
                                   "postal_code": {"$ref": "/common/postal-code.json"}}},
        "reason": {"title": "理由", "enum": ["a", "other"]},
        "reason_detail": {"title": "理由の詳細", "type": "string"},
    },
    "required": ["size", "count"],
    "allOf": [{"if": {"properties": {"reason": {"const": "other"}}, "required": ["reason"]},
               "then": {"required": ["reason_detail"]}}],
}


def by_name() -> dict[str, Any]:
    return {w.name: w for top in widgets(SCHEMA, SchemaSet()) for w in top.walk()}


def test_widget_per_type_format_and_enum() -> None:
    w = by_name()
    kinds = {name: x.kind for name, x in w.items()}
    assert kinds == {
        "size": "radio", "month": "select", "colours": "checkboxes", "day": "date", "mail": "email",
        "note": "textarea", "short": "textarea", "count": "integer", "ratio": "number",
        "agree": "checkbox", "tags": "lines", "address": "fieldset", "address.postal_code": "text",
        "address.city": "text", "address.building": "text", "reason": "radio",
        "reason_detail": "text"}
    assert w["size"].options == [("s", "小"), ("m", "中"), ("l", "大")]
    assert w["size"].required
    assert not w["note"].required


def test_common_definition_and_address_order() -> None:
    w = by_name()
    postal = w["address.postal_code"]
    assert postal.title == "郵便番号"
    assert postal.placeholder == "123-4567"
    assert postal.personal
    assert postal.required
    assert [c.name for c in w["address"].children] == [
        "address.postal_code", "address.city", "address.building"]


def test_if_then_field_is_marked() -> None:
    detail = by_name()["reason_detail"]
    assert detail.condition is not None
    assert (detail.condition.name, detail.condition.values) == ("reason", ["other"])
    assert detail.conditional_required
    assert not detail.required


def test_form_value_coerces_by_type() -> None:
    post = {"size": "m", "month": "3", "colours": ["red", "blue"], "count": "2", "ratio": "0.5",
            "agree": "true", "tags": "一\n二\n\n", "address.postal_code": "１２３－４５６７",
            "address.city": "多摩市", "address.building": "", "note": "", "reason": "other"}
    value = form_value(widgets(SCHEMA, SchemaSet()), post)
    assert value == {"size": "m", "month": 3, "colours": ["red", "blue"], "count": 2, "ratio": 0.5,
                     "agree": True, "tags": ["一", "二"],
                     "address": {"postal_code": "１２３－４５６７", "city": "多摩市"},
                     "reason": "other"}


def test_errors_land_on_their_fields() -> None:
    fields = widgets(SCHEMA, SchemaSet())
    value = form_value(fields, {"size": "m", "count": "x", "address.postal_code": "12",
                                "address.city": "多摩市", "reason": "other"})
    issues = compile_form(SCHEMA, SchemaSet()).check(value)
    placed = {name_of_pointer(fields, i.pointer): i.message_ja for i in issues}
    assert set(placed) == {"count", "address.postal_code", "reason_detail"}
    assert placed["address.postal_code"] == "郵便番号は 123-4567 の形式で入力してください（入力値: 12）"
    assert "理由の詳細" in placed["reason_detail"]


def test_empty_object_is_absent() -> None:
    assert form_value(widgets(SCHEMA, SchemaSet()), {"address.city": ""}) == {}
