"""The packaged meta-schema and shared field definitions: valid 2020-12 schemas that mean what they say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from registry.resources import schemas_dir
from registry.syntax.refs import SchemaSet

COMMON_NAMES = ["address", "birth-date", "email", "furigana", "person-name", "phone",
                "postal-code", "prefecture", "student"]


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _common(name: str) -> Any:
    return _load(schemas_dir() / "common" / f"{name}.json")


def _validator(schema: Any) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(schema, retriever=SchemaSet().retrieve, validate_formats=True)


def test_schemas_dir_finds_the_packaged_files() -> None:
    folder = schemas_dir()
    assert (folder / "template.schema.json").is_file()
    assert sorted(p.stem for p in (folder / "common").glob("*.json")) == COMMON_NAMES


@pytest.mark.parametrize("name", ["template.schema.json", *(f"common/{n}.json" for n in COMMON_NAMES)])
def test_packaged_schema_is_valid_2020_12(name: str) -> None:
    schema = _load(schemas_dir() / name)
    jsonschema_rs.meta.validate(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert isinstance(schema["title"], str)
    assert schema["title"]


@pytest.mark.parametrize("name", COMMON_NAMES)
def test_common_definition_id_names_its_file(name: str) -> None:
    schema = _common(name)
    assert schema["$id"] == f"https://yoshiki.invalid/common/{name}.json"
    assert schema["description"]


@pytest.mark.parametrize("name", [n for n in COMMON_NAMES if n != "prefecture"])
def test_personal_definitions_are_marked(name: str) -> None:
    assert _common(name)["x-yoshiki-personal"] is True


CASES: list[tuple[str, Any, bool]] = [
    ("postal-code", "123-4567", True),
    ("postal-code", "１２３-４５６７", False),
    ("postal-code", "1234567", False),
    ("postal-code", "123-4567\n", False),
    ("postal-code", "12-34567", False),
    ("furigana", "ヤマダ ハナコ", True),
    ("furigana", "ヴァレンタイン・ジョン", True),
    ("furigana", "サトウ　タロー", True),
    ("furigana", "やまだ はなこ", False),
    ("furigana", "山田 花子", False),
    ("furigana", " ヤマダ", False),
    ("furigana", "", False),
    ("person-name", "山田 花子", True),
    ("person-name", "", False),
    ("person-name", "あ" * 51, False),
    ("birth-date", "2015-04-02", True),
    ("birth-date", "2015-02-30", False),
    ("birth-date", "2015/04/02", False),
    ("phone", "090-1234-5678", True),
    ("phone", "042-123-4567", True),
    ("phone", "03-1234-5678", True),
    ("phone", "0285-82-1111", True),
    ("phone", "04992-2-1234", True),
    ("phone", "0120-123-456", True),
    ("phone", "09012345678", False),
    ("phone", "０９０-１２３４-５６７８", False),
    ("phone", "+81-90-1234-5678", False),
    ("phone", "0-1-123", False),
    ("phone", "090-1234-5678\n", False),
    ("email", "hanako@example.jp", True),
    ("email", "hanako.example.jp", False),
    ("email", "a" * 250 + "@example.jp", False),
    ("prefecture", "東京都", True),
    ("prefecture", "大阪府", True),
    ("prefecture", "東京", False),
    ("address", {"postal_code": "206-0011", "prefecture": "東京都", "city": "多摩市",
                 "street": "関戸6丁目12-1"}, True),
    ("address", {"postal_code": "206-0011", "prefecture": "東京都", "city": "多摩市",
                 "street": "関戸6丁目12-1", "building": "ハイツ関戸101"}, True),
    ("address", {"postal_code": "2060011", "prefecture": "東京都", "city": "多摩市",
                 "street": "関戸6丁目12-1"}, False),
    ("address", {"postal_code": "206-0011", "prefecture": "東京都", "city": "多摩市"}, False),
    ("address", {"postal_code": "206-0011", "prefecture": "東京都", "city": "多摩市",
                 "street": "関戸6丁目12-1", "room": "101"}, False),
    ("student", {"school": "藤井寺市立藤井寺小学校", "grade": "3年", "class": "2組"}, True),
    ("student", {"school": "藤井寺市立藤井寺小学校", "grade": "3年", "name": "山田 太郎"}, True),
    ("student", {"school": "藤井寺市立藤井寺小学校"}, False),
    ("student", {"school": "藤井寺市立藤井寺小学校", "grade": "3年", "name": ""}, False),
]


@pytest.mark.parametrize(("name", "value", "ok"), CASES)
def test_common_definition_accepts_and_rejects(name: str, value: Any, ok: bool) -> None:
    assert _validator(_common(name)).is_valid(value) is ok


def test_prefecture_enum_lists_all_47_in_code_order() -> None:
    names = _common("prefecture")["enum"]
    assert len(names) == 47 == len(set(names))
    assert (names[0], names[12], names[26], names[-1]) == ("北海道", "東京都", "大阪府", "沖縄県")


def test_normalisation_hints_on_typed_codes() -> None:
    for name in ("postal-code", "phone"):
        assert _common(name)["x-yoshiki-normalize"] == ["nfkc", "trim"]


META_CASES: list[tuple[str, Any, bool]] = [
    ("minimal", {"title": "欠席連絡", "category": "教育"}, True),
    ("survey category", {"title": "職員ランチ実態アンケート", "category": "意見・アンケート"}, True),
    ("full", {"title": "職員ランチ実態アンケート", "title_en": "Staff lunch survey", "category": "職員",
              "tags": ["アンケート"], "license": "CC-BY-4.0",
              "maintainers": [{"department": "企画部 ICT推進課", "contact": "042-378-2111"}],
              "changelog": "多摩市の 1.0.0 からフォーク", "compatibility": "FULL_TRANSITIVE",
              "upstream": {"template": "132241/staff-lunch-survey", "version": "1.0.0"},
              "local": {"department": "企画部", "contact": "内線 123", "notes": "紙と併用"},
              "lint": {"disable": ["lint.description-length"]}}, True),
    ("typo in a key", {"title": "欠席連絡", "category": "教育", "licence": "CC0-1.0"}, False),
    ("no title", {"category": "教育"}, False),
    ("unknown category", {"title": "欠席連絡", "category": "学校"}, False),
    ("licence expression", {"title": "x", "category": "その他", "license": "MIT OR CC0-1.0"}, False),
    ("upstream without lg code", {"title": "x", "category": "その他",
                                  "upstream": {"template": "staff-lunch-survey", "version": "1.0.0"}}, False),
    ("upstream pre-release", {"title": "x", "category": "その他",
                              "upstream": {"template": "132241/staff-lunch-survey", "version": "1.0.0-rc.1"}}, False),
    ("upstream leading zero", {"title": "x", "category": "その他",
                               "upstream": {"template": "132241/staff-lunch-survey", "version": "01.0.0"}}, False),
    ("unknown mode", {"title": "x", "category": "その他", "compatibility": "STRICT"}, False),
    ("maintainer without department", {"title": "x", "category": "その他",
                                       "maintainers": [{"contact": "内線 1"}]}, False),
]


@pytest.mark.parametrize(("case", "value", "ok"), META_CASES, ids=[c[0] for c in META_CASES])
def test_template_meta_schema(case: str, value: Any, ok: bool) -> None:
    meta = _load(schemas_dir() / "template.schema.json")
    assert _validator(meta).is_valid(value) is ok


def test_meta_schema_compatibility_modes() -> None:
    meta = _load(schemas_dir() / "template.schema.json")
    assert len(meta["properties"]["compatibility"]["enum"]) == 7
    assert meta["additionalProperties"] is False
    assert "意見・アンケート" in meta["properties"]["category"]["enum"]


# The starter catalogue: checked here with jsonschema-rs directly, independently of `yoshiki validate`.
CATALOGUE = Path(__file__).resolve().parents[2] / "templates_repo"
VERSION_DIRS = sorted(p for p in CATALOGUE.glob("*/*/*") if (p / "schema.json").is_file())


def test_catalogue_size_and_forks() -> None:
    templates = {p.parent for p in VERSION_DIRS}
    assert len(templates) >= 14
    assert len({p.parent.parent.name for p in VERSION_DIRS}) >= 8
    assert sum(1 for t in templates if len(list(t.iterdir())) >= 2) >= 3
    fork = _load(CATALOGUE / "132250/staff-lunch-survey/1.0.0/template.json")
    assert fork["upstream"] == {"template": "132241/staff-lunch-survey", "version": "1.0.0"}


@pytest.mark.parametrize("folder", VERSION_DIRS, ids=[str(p.relative_to(CATALOGUE)) for p in VERSION_DIRS])
def test_catalogue_version(folder: Path) -> None:
    lg, slug, version = folder.relative_to(CATALOGUE).parts
    meta = _validator(_load(schemas_dir() / "template.schema.json"))
    template = _load(folder / "template.json")
    assert not [e.message for e in meta.iter_errors(template)]
    if "upstream" in template:
        assert (CATALOGUE / template["upstream"]["template"] / template["upstream"]["version"]).is_dir()
    schema = _load(folder / "schema.json")
    jsonschema_rs.meta.validate(schema)
    assert schema["$id"] == f"https://yoshiki.invalid/{lg}/{slug}/{version}/schema.json"
    form = jsonschema_rs.validator_for(schema, retriever=SchemaSet.for_folder(CATALOGUE).retrieve,
                                       validate_formats=True)
    valid = sorted((folder / "examples" / "valid").glob("*.json"))
    invalid = sorted((folder / "examples" / "invalid").glob("*.json"))
    assert len(valid) >= 2
    assert len(invalid) >= 2
    for path in valid:
        assert not [e.message for e in form.iter_errors(_load(path))], path.name
    for path in invalid:
        assert not form.is_valid(_load(path)), path.name


def test_fork_keeps_the_locked_fields() -> None:
    upstream = _load(CATALOGUE / "132241/staff-lunch-survey/1.0.0/schema.json")["properties"]
    fork = _load(CATALOGUE / "132250/staff-lunch-survey/1.0.0/schema.json")["properties"]
    locked = [name for name, field in upstream.items() if field.get("x-yoshiki-locked")]
    assert locked == ["lunch_style", "days_eating_out"]
    for name in locked:
        assert fork[name] == upstream[name]
