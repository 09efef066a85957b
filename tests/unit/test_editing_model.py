"""The editor's form model: every catalogue version round-trips; edits write the catalogue's idioms."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from registry.editing import model as M  # noqa: N812 - the model namespace, read as M.Field

CATALOGUE = Path(__file__).resolve().parents[2] / "templates_repo"
VERSIONS = sorted(p.parent for p in CATALOGUE.glob("*/*/*/schema.json"))


def load(version: Path) -> tuple[dict, dict]:
    return (json.loads((version / "schema.json").read_text("utf-8")),
            json.loads((version / "template.json").read_text("utf-8")))


def test_the_catalogue_is_there() -> None:
    assert len(VERSIONS) >= 20


@pytest.mark.parametrize("version", VERSIONS, ids=lambda p: "/".join(p.parts[-3:]))
def test_round_trip(version: Path) -> None:
    """schema → model → JSON (a draft) → model → schema gives the same documents."""
    schema, template = load(version)
    model = M.from_documents(copy.deepcopy(schema), copy.deepcopy(template))
    again = M.FormModel.from_json(json.loads(json.dumps(model.to_json(), ensure_ascii=False)))
    assert M.to_documents(again) == (schema, template)


def test_kinds_and_conditions_of_the_absence_notice() -> None:
    m = M.from_documents(*load(CATALOGUE / "272264/absence-notice/1.0.1"))
    kinds = {f.key: f.kind for f in m.fields}
    assert kinds["student"] == "shared"
    assert kinds["kind"] == "choice"
    assert kinds["symptoms"] == "choices"
    assert kinds["date_from"] == "date"
    assert kinds["temperature"] == "number"
    assert kinds["message"] == "textarea"
    texts = [M.condition_ja(m, c) for c in m.conditions]
    assert "『区分』が『遅刻』か『早退』のとき『時刻』を表示して必須にする" in texts


def test_edits_write_the_catalogue_idioms() -> None:
    schema, template = load(CATALOGUE / "132250/staff-lunch-survey/1.0.0")
    m = M.from_documents(schema, template)
    m.field_by_key("workplace").choices[0].label = "市役所本庁舎"
    M.remove_choice(m, "workplace", 2)
    m.fields.append(M.shared_field(m, "phone.json"))
    m.fields.append(M.basic_field(m, "choice", "区分"))
    M.add_condition(m, "workplace", 2, "phone")
    M.move_field(m, "phone", -1)
    new, tmpl = M.to_documents(m)
    wp = new["properties"]["workplace"]
    assert wp["enum"] == ["main-office", "branch", "other"]           # stored values stay
    assert wp["x-yoshiki-enum-labels"]["main-office"] == "市役所本庁舎"
    assert "school-nursery" not in wp["x-yoshiki-enum-labels"]
    assert new["properties"]["phone"] == {"$ref": "/common/phone.json", "title": "電話番号"}
    assert new["properties"]["kind"]["enum"] == ["選択肢1", "選択肢2"]  # readable key from the dictionary
    assert list(new["properties"])[-3:] == ["phone", "kitchen_car_wish", "kind"]
    assert new["allOf"] == [{"if": {"properties": {"workplace": {"const": "other"}}, "required": ["workplace"]},
                             "then": {"required": ["phone"]}}]
    assert tmpl["local"] == template["local"]


def test_keys_are_readable_and_unique() -> None:
    m = M.FormModel(title="t")
    m.fields.append(M.shared_field(m, "phone.json"))
    m.fields.append(M.shared_field(m, "phone.json"))
    m.fields.append(M.basic_field(m, "text", "自由記入"))
    assert [f.key for f in m.fields] == ["phone", "phone_1", "field_1"]


def test_locked_fields_refuse_removal_and_choice_changes() -> None:
    m = M.from_documents(*load(CATALOGUE / "132250/staff-lunch-survey/1.0.0"))
    with pytest.raises(M.EditError, match="固定"):
        M.remove_field(m, "lunch_style")
    with pytest.raises(M.EditError, match="固定"):
        M.remove_choice(m, "lunch_style", 0)
    M.remove_field(m, "comments")
    assert "comments" not in M.to_documents(m)[0]["properties"]


def test_removing_a_field_drops_its_conditions() -> None:
    m = M.from_documents(*load(CATALOGUE / "272264/absence-notice/1.0.1"))
    M.remove_field(m, "time")
    assert all("time" not in c.then for c in m.conditions)
    assert len(m.conditions) == 2


def test_a_schema_without_properties_is_not_editable() -> None:
    with pytest.raises(M.EditError, match="エディターで開けません"):
        M.from_documents({"type": "object", "properties": []}, {"title": "x"})
