"""Template validation and the form validator: data-driven cases plus the semantics that matter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.checks.validation import (
    MAX_REFS,
    MAX_SCHEMA_DEPTH,
    check_schema,
    validate_paths,
    validate_version_documents,
)
from registry.layout import VersionKey
from registry.submissions.validator import compile_form
from registry.syntax import pointers
from registry.syntax.refs import SchemaSet

CASES = Path(__file__).resolve().parent.parent / "data" / "validate"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _cases() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if (p / "expected.json").is_file())


@pytest.mark.parametrize("case", _cases(), ids=lambda p: p.name)
def test_validate_case(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each folder under tests/data/validate gives exactly the rule ids and pointers it lists."""
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    monkeypatch.chdir(case)
    issues = validate_paths([Path(expected.get("target", "."))])
    got = sorted((i.rule, i.pointer, i.severity) for i in issues)
    want = sorted((e["rule"], e["pointer"], e.get("severity", "error")) for e in expected["issues"])
    assert got == want
    for e in expected["issues"]:
        match = [i for i in issues if i.rule == e["rule"] and i.pointer == e["pointer"]]
        if "file" in e:
            assert any(i.file is not None and i.file.endswith(e["file"]) for i in match), (e, match)
        if "line" in e:
            assert any(i.line == e["line"] and i.column == e.get("column", i.column) for i in match), (e, match)
        assert all(i.message_ja and i.message for i in match)
    assert (1 if any(i.severity == "error" for i in issues) else 0) == expected["exit"]


def test_catalogue_validates(catalogue: Path) -> None:
    """The starter catalogue has no errors."""
    errors = [i for i in validate_paths([catalogue]) if i.severity == "error"]
    assert errors == []


def _form(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"$schema": DIALECT, "$id": "https://yoshiki.invalid/132241/t/1.0.0/schema.json",
            "title": "申請", "type": "object", "properties": properties, "required": required or [], **extra}


POSTAL = {"title": "郵便番号", "type": "string", "pattern": "^\\d{3}-\\d{4}$", "x-yoshiki-placeholder": "123-4567"}


@pytest.mark.parametrize("value", ["３５６-９７９２", "270-2986\n", "2702986"])
def test_pattern_follows_ecma262(value: str) -> None:
    """``\\d`` is ASCII only and ``$`` matches only at the very end (python-jsonschema differs)."""
    form = compile_form(_form({"postal": POSTAL}), SchemaSet())
    issues = form.check({"postal": value})
    assert [(i.rule, i.pointer) for i in issues] == [("data.pattern", "/postal")]
    assert issues[0].message_ja.startswith("郵便番号は 123-4567 の形式で入力してください")


def test_normalize_is_the_forms_choice() -> None:
    """With x-yoshiki-normalize nfkc+trim, full-width digits and a trailing newline are accepted."""
    form = compile_form(_form({"postal": {**POSTAL, "x-yoshiki-normalize": ["nfkc", "trim"]}}), SchemaSet())
    assert form.check({"postal": "３５６-９７９２"}) == []
    assert form.check({"postal": " 270-2986\n"}) == []
    original = {"postal": "３５６-９７９２"}
    assert form.normalize(original) == {"postal": "356-9792"}
    assert original == {"postal": "３５６-９７９２"}  # the caller's value is not changed


def test_common_definitions_normalise_through_ref() -> None:
    """The shared postal code definition normalises (nfkc) through a $ref."""
    form = compile_form(_form({"postal": {"$ref": "/common/postal-code.json"}}), SchemaSet())
    assert form.check({"postal": "２０６-００１１"}) == []
    assert [i.rule for i in form.check({"postal": "2060011"})] == ["data.pattern"]


@pytest.mark.parametrize(("value", "ok"), [
    ("2024-04-01", True), ("2024-02-29", True), ("2023-02-29", False), ("2024-4-1", False),
    ("2024/04/01", False), ("令和6年4月1日", False),
])
def test_date_format_is_asserted(value: str, ok: bool) -> None:
    """format: date is checked (staff expect a wrong date to be rejected)."""
    form = compile_form(_form({"d": {"title": "欠席日", "type": "string", "format": "date"}}), SchemaSet())
    issues = form.check({"d": value})
    assert (issues == []) is ok
    if not ok:
        assert issues[0].message_ja == f"欠席日は日付を 2024-04-01 の形式で入力してください（入力値: {value}）"


@pytest.mark.parametrize(("value", "ok"), [
    ("taro@example.jp", True), ("hanako.yamada+pta@city.tama.lg.jp", True), ("taro.example.jp", False),
    ("taro@", False), ("@example.jp", False),
])
def test_email_format_is_asserted(value: str, ok: bool) -> None:
    """format: email is checked."""
    form = compile_form(_form({"e": {"title": "メール", "type": "string", "format": "email"}}), SchemaSet())
    assert (form.check({"e": value}) == []) is ok


def test_messages_name_the_field_in_plain_japanese() -> None:
    """required, enum, maxLength, type: the field's title and what is expected, literally."""
    schema = _form({
        "guardian": {"$ref": "/common/person-name.json", "title": "保護者氏名"},
        "kind": {"title": "区分", "enum": ["absent", "late"], "x-yoshiki-enum-labels": {"absent": "欠席", "late": "遅刻"}},
        "note": {"title": "連絡事項", "type": "string", "maxLength": 400},
        "grade": {"title": "学年", "type": "integer"},
    }, required=["guardian"])
    form = compile_form(schema, SchemaSet())
    issues = form.check({"kind": "early", "note": "あ" * 401, "grade": "3"})
    assert [(i.rule, i.pointer, i.message_ja) for i in issues] == [
        ("data.required", "/guardian", "『保護者氏名』を入力してください"),
        ("data.enum", "/kind", "区分は次のいずれかを選んでください: 欠席（absent）、遅刻（late）（入力値: early）"),
        ("data.maxLength", "/note", "連絡事項は400文字以内で入力してください"),
        ("data.type", "/grade", "学年は整数で入力してください（入力値: \"3\"）"),
    ]
    assert issues[0].message == "Enter “保護者氏名”."


def test_required_title_comes_from_the_referenced_definition() -> None:
    """Without a sibling title, the title of the $ref target names the field."""
    form = compile_form(_form({"postal": {"$ref": "/common/postal-code.json"}}, required=["postal"]), SchemaSet())
    assert [i.message_ja for i in form.check({})] == ["『郵便番号』を入力してください"]


def test_nested_and_array_pointers() -> None:
    """Errors deep in objects and arrays carry the instance pointer and the inner title."""
    schema = _form({"children": {"title": "子", "type": "array", "items": {
        "type": "object", "required": ["name"], "properties": {"name": {"title": "子の氏名", "type": "string"},
                                                                "age": {"title": "年齢", "type": "integer", "minimum": 0}}}}})
    form = compile_form(schema, SchemaSet())
    issues = form.check({"children": [{"name": "a"}, {"age": -1}]})
    assert [(i.pointer, i.message_ja) for i in issues] == [
        ("/children/1/name", "『子の氏名』を入力してください"),
        ("/children/1/age", "年齢は0以上にしてください（入力値: -1）"),
    ]


def test_ref_to_itself_is_a_cycle() -> None:
    """``{"$ref": "#"}`` never consumes input: reported, never recursed into."""
    issues = check_schema({"$schema": DIALECT, "$ref": "#"}, SchemaSet())
    assert [(i.rule, i.pointer) for i in issues] == [("ref.cycle", "/$ref")]


def test_recursion_through_properties_is_fine() -> None:
    """A tree of family members refers to itself through properties/items: legitimate."""
    schema = {"$schema": DIALECT, "$ref": "#/$defs/node", "$defs": {"node": {
        "type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}}}
    assert check_schema(schema, SchemaSet()) == []
    form = compile_form(schema, SchemaSet())
    assert form.check({"kids": [{"kids": [{"kids": []}]}]}) == []


def test_depth_limit() -> None:
    """A schema nested beyond the limit is refused with a clear error, not a RecursionError."""
    node: dict[str, Any] = {"type": "string"}
    for _ in range(MAX_SCHEMA_DEPTH * 3):
        node = {"type": "object", "properties": {"a": node}}
    issues = check_schema({"$schema": DIALECT, **node}, SchemaSet())
    assert [i.rule for i in issues] == ["schema.too-deep"]


def test_ref_count_limit() -> None:
    """More than MAX_REFS references is refused."""
    props = {f"f{i}": {"$ref": "#/$defs/s"} for i in range(MAX_REFS + 1)}
    schema = {"$schema": DIALECT, "type": "object", "properties": props, "$defs": {"s": {"type": "string"}}}
    assert [i.rule for i in check_schema(schema, SchemaSet())] == ["schema.too-many-refs"]


def _documents() -> tuple[dict[str, Any], dict[str, Any], dict[str, list[tuple[str, Any]]]]:
    key = VersionKey("132250", "staff-lunch-survey", "1.0.0")
    template = {"title": "職員ランチ実態アンケート", "category": "職員",
                "upstream": {"template": "132241/staff-lunch-survey", "version": "1.1.0"}}
    schema = {"$schema": DIALECT, "$id": key.schema_id, "title": "職員ランチ実態アンケート", "type": "object",
              "required": ["lunch"], "properties": {"lunch": {"title": "昼食", "enum": ["弁当", "食堂", "外食"]}}}
    examples = {"valid": [("1.json", {"lunch": "弁当"}), ("2.json", {"lunch": "外食"})],
                "invalid": [("1.json", {}), ("2.json", {"lunch": "抜く"})]}
    return template, schema, examples


def test_in_memory_variant_with_upstream_callback() -> None:
    """validate_version_documents: the same checks on documents; upstream checked by a callback."""
    template, schema, examples = _documents()
    key = VersionKey("132250", "staff-lunch-survey", "1.0.0")
    seen: list[tuple[str, str]] = []

    def exists(name: str, version: str) -> bool:
        seen.append((name, version))
        return False

    issues = validate_version_documents(key, template, schema, examples, SchemaSet(), upstream_exists=exists)
    assert [(i.rule, i.pointer, i.file) for i in issues] == [("layout.upstream-missing", "/upstream", "template.json")]
    assert seen == [("132241/staff-lunch-survey", "1.1.0")]
    assert validate_version_documents(key, template, schema, examples, SchemaSet(),
                                      upstream_exists=lambda n, v: True) == []


def test_in_memory_variant_reports_examples_and_id() -> None:
    """Examples are checked as their folder says; $id must match the key."""
    template, schema, examples = _documents()
    key = VersionKey("132250", "staff-lunch-survey", "2.0.0")
    examples["invalid"] = [("1.json", {"lunch": "弁当"})]
    issues = validate_version_documents(key, template, schema, examples, SchemaSet())
    assert sorted((i.rule, i.file or "") for i in issues) == [
        ("example.invalid-accepted", "examples/invalid/1.json"),
        ("example.missing", "examples/invalid"),
        ("layout.id-mismatch", "schema.json"),
    ]


def test_pure_core_imports_nothing_heavy() -> None:
    """validation, submissions, messages and sourcemap import no click, web framework, ORM or git."""
    code = ("import sys, registry.checks.validation, registry.submissions.validator, registry.submissions.readers, registry.submissions.messages, registry.syntax.sourcemap;"
            "print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    heavy = [m for m in out if m.split(".")[0] in ("click", "litestar", "sqlmodel", "sqlalchemy", "git", "httpx")]
    assert heavy == []


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")


def test_refs_to_other_templates_resolve_in_the_repository(tmp_path: Path) -> None:
    """A form may reuse another template's $defs in the same repository; a missing one is reported."""
    base = VersionKey("272094", "maternal-handbook-appointment", "1.0.0")
    other = VersionKey("272094", "maternal-handbook-survey", "1.0.0")
    _write(tmp_path / base.relpath / "template.json", {"title": "母子健康手帳交付 来所予約", "category": "子育て"})
    _write(tmp_path / base.relpath / "schema.json", {
        "$schema": DIALECT, "$id": base.schema_id, "title": "来所予約", "type": "object",
        "properties": {"pregnancy": {"$ref": "#/$defs/pregnancy"}},
        "$defs": {"pregnancy": {"title": "妊娠週数", "type": "integer", "minimum": 0, "maximum": 45}}})
    _write(tmp_path / other.relpath / "template.json", {"title": "事前アンケート", "category": "子育て"})
    _write(tmp_path / other.relpath / "schema.json", {
        "$schema": DIALECT, "$id": other.schema_id, "title": "事前アンケート", "type": "object", "required": ["weeks"],
        "properties": {"weeks": {"$ref": f"/{base.relpath}/schema.json#/$defs/pregnancy"},
                       "gone": {"$ref": "/272094/no-such-template/1.0.0/schema.json"}}})
    for kind, values in (("valid", [{"weeks": 10}, {"weeks": 20}]), ("invalid", [{"weeks": 50}, {}])):
        for i, v in enumerate(values):
            _write(tmp_path / other.relpath / "examples" / kind / f"{i}.json", v)
            _write(tmp_path / base.relpath / "examples" / kind / f"{i}.json", {"pregnancy": 10} if kind == "valid"
                   else {"pregnancy": -1 - i})
    issues = validate_paths([tmp_path])
    assert [(i.rule, i.pointer) for i in issues] == [("ref.unresolvable", "/properties/gone/$ref")]
    assert "272094/no-such-template@1.0.0" in issues[0].message_ja


def test_lone_template_file(tmp_path: Path) -> None:
    """``yoshiki validate template.json`` checks it against the template meta-schema."""
    path = tmp_path / "template.json"
    _write(path, {"title": "欠席連絡", "category": "教育", "compatibility": "SOMETIMES"})
    assert [(i.rule, i.pointer) for i in validate_paths([path])] == [("template.meta", "/compatibility")]


def test_either_field_and_array_items_are_named() -> None:
    """anyOf of required fields names them; an array item is named by its array and position."""
    schema = _form({
        "email": {"title": "メールアドレス", "type": "string"},
        "phone": {"title": "電話番号", "type": "string"},
        "menu": {"title": "食べたもの", "type": "array", "items": {"enum": ["bento", "noodles"]}},
    }, anyOf=[{"required": ["email"]}, {"required": ["phone"]}])
    form = compile_form(schema, SchemaSet())
    assert [(i.pointer, i.message_ja) for i in form.check({"menu": ["bento", "pizza"]})] == [
        ("/menu/1", "食べたもの（2番目）は次のいずれかを選んでください: bento、noodles（入力値: pizza）"),
        ("", "『メールアドレス』、『電話番号』のいずれかを入力してください"),
    ]


PROPERTY_FORM = _form({
    "name": {"title": "氏名", "type": "string", "minLength": 1, "maxLength": 8},
    "kind": {"title": "区分", "enum": ["欠席", "遅刻", "早退"]},
    "grade": {"title": "学年", "type": "integer", "minimum": 1, "maximum": 6},
    "date": {"title": "欠席日", "type": "string", "format": "date"},
    "tags": {"title": "症状", "type": "array", "items": {"enum": ["発熱", "咳"]}, "uniqueItems": True, "maxItems": 2},
    "child": {"title": "児童", "type": "object", "required": ["name"], "additionalProperties": False,
              "properties": {"name": {"title": "児童氏名", "type": "string"}, "class": {"title": "組", "type": "integer"}}},
}, required=["name", "kind"], additionalProperties=False)


VALID_SUBMISSIONS = st.fixed_dictionaries(
    {"name": st.text(min_size=1, max_size=8), "kind": st.sampled_from(["欠席", "遅刻", "早退"])},
    optional={
        "grade": st.integers(1, 6),
        "date": st.dates().map(lambda d: d.isoformat()),
        "tags": st.lists(st.sampled_from(["発熱", "咳"]), unique=True, max_size=2),
        "child": st.fixed_dictionaries({"name": st.text(max_size=5)}, optional={"class": st.integers()}),
    },
)


@settings(max_examples=100, deadline=None)
@given(value=VALID_SUBMISSIONS)
def test_generated_valid_submissions_are_accepted(value: Any) -> None:
    """Submissions built to the form's rules (any date, any text within limits) are accepted."""
    assert _PROPERTY_VALIDATOR.check(value) == []


ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.text(max_size=10) | st.sampled_from(["欠席", "2024-04-01"]),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "kind", "grade", "date", "tags", "child", "class", "x"]), c, max_size=5),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(value=ANY_JSON)
def test_every_rejection_is_explained(value: Any) -> None:
    """Any value the validator rejects gets at least one Japanese message at a pointer into it."""
    issues = _PROPERTY_VALIDATOR.check(value)
    assert (issues == []) == _PROPERTY_VALIDATOR.is_valid(value)
    for issue in issues:
        assert issue.rule.startswith("data.")
        assert issue.message_ja
        assert issue.message
        parent = issue.pointer[: issue.pointer.rfind("/")] if issue.rule == "data.required" else issue.pointer
        pointers.resolve(value, parent)  # raises if the pointer is not in the submission


_PROPERTY_VALIDATOR = compile_form(PROPERTY_FORM, SchemaSet())
