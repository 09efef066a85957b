"""yoshiki migrate: plans from the diff, mappings, side files, fork lineage (registry/migration)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from registry.migration.plan import Mapping, make_plan
from registry.migration.rows import Migrator
from registry.submissions.readers import Tally, check_file
from registry.submissions.validator import compile_form
from registry.submissions.values import ValueReader
from registry.syntax.documents import read_json
from registry.syntax.refs import SchemaSet

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "templates_repo"
SCHEMAS = SchemaSet.for_folder(CATALOGUE)


def _examples(folder: Path) -> list[Any]:
    return [read_json(p) for kind in ("valid",) for p in sorted((folder / "examples" / kind).glob("*.json"))]


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _lines(path: Path) -> list[Any]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _migrate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cli", "migrate", "--repo", str(CATALOGUE), *args],
                          capture_output=True, text=True, check=False)


def _valid_under(version: str, path: Path) -> int:
    lg, rest = version.split("/", 1)
    slug, v = rest.split("@")
    form = compile_form(read_json(CATALOGUE / lg / slug / v / "schema.json"), SCHEMAS)
    tally = Tally()
    errors = [i for i in check_file(form, path, tally) if i.severity == "error"]
    assert errors == []
    return tally.valid


SAKAI_A, SAKAI_B = "271403/after-school-club-application@1.0.0", "271403/after-school-club-application@2.0.0"


def test_sakai_after_school_club_every_example_migrates_or_is_refused_with_reason(tmp_path: Path) -> None:
    rows = _examples(CATALOGUE / "271403" / "after-school-club-application" / "1.0.0")
    data = _jsonl(tmp_path / "apps.jsonl", rows)
    out = tmp_path / "out.jsonl"
    run = _migrate("--from", SAKAI_A, "--to", SAKAI_B, str(data), "-o", str(out))
    refused = _lines(tmp_path / "out.refused.jsonl")
    migrated = _lines(out)
    assert len(migrated) + len(refused) == len(rows)
    assert run.returncode == (1 if refused else 0), run.stderr
    assert _valid_under(SAKAI_B, out) == len(migrated)
    for entry in refused:
        assert entry["reasons"]
        assert all(r["ja"] and r["en"] for r in entry["reasons"])
        assert entry["row"] == rows[entry["record"] - 1]  # refused rows are kept whole
        assert any("緊急連絡先" in r["ja"] or "long-vacations" in r["ja"] for r in entry["reasons"])
    assert f"{len(rows)} 行" in run.stdout
    side = _lines(tmp_path / "out.removed.jsonl")
    assert {e["record"] for e in side} <= set(range(1, len(rows) + 1)) - {e["record"] for e in refused}


def test_value_map_and_default_from_a_mapping_file(tmp_path: Path) -> None:
    rows = _examples(CATALOGUE / "271403" / "after-school-club-application" / "1.0.0")
    for r in rows:
        r["period"] = "long-vacations"
    data = _jsonl(tmp_path / "apps.jsonl", rows)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("values:\n  period:\n    long-vacations: summer\ndefaults:\n  emergency_contact:\n"
                       "    name: 不明\n    relationship: 未記入\n    phone: 000-0000-0000\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    run = _migrate("--from", SAKAI_A, "--to", SAKAI_B, str(data), "-o", str(out), "--map", str(mapping))
    assert run.returncode == 0, run.stdout + run.stderr
    assert _valid_under(SAKAI_B, out) == len(rows)
    assert "summer" in out.read_text(encoding="utf-8-sig")
    assert f"変更して移行 {len(rows)}" in run.stdout


def test_plan_prints_the_diff_driven_plan_and_moves_nothing(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "apps.jsonl", _examples(CATALOGUE / "271403" / "after-school-club-application" / "1.0.0"))
    run = _migrate("--from", SAKAI_A, "--to", SAKAI_B, str(data), "-o", str(tmp_path / "o.jsonl"), "--plan")
    assert run.returncode == 0
    assert "long-vacations" in run.stdout
    assert "[refuse-missing]" in run.stdout
    assert "緊急連絡先" in run.stdout
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize("source", ["132241/staff-lunch-survey@1.0.0", "132241/staff-lunch-survey@1.1.0"])
def test_across_the_fork_boundary_nothing_is_lost(source: str, tmp_path: Path) -> None:
    lg, rest = source.split("/", 1)
    slug, v = rest.split("@")
    rows = _examples(CATALOGUE / lg / slug / v)
    data = _jsonl(tmp_path / "lunch.jsonl", rows)
    out = tmp_path / "out.json"
    run = _migrate("--from", source, "--to", "132250/staff-lunch-survey@1.0.0", str(data), "-o", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    migrated = json.loads(out.read_text(encoding="utf-8"))
    assert len(migrated) == len(rows)
    removed = _lines(tmp_path / "out.removed.jsonl")
    with_menu = [i + 1 for i, r in enumerate(rows) if "menu" in r]
    assert [e["record"] for e in removed] == with_menu
    for e in removed:
        assert e["removed"]["menu"] == rows[e["record"] - 1]["menu"]
    plan = _migrate("--from", source, "--to", "132250/staff-lunch-survey@1.0.0", "--plan")
    assert "フォーク" in plan.stdout


def test_mapping_shipped_in_template_json_is_used(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    src = CATALOGUE / "271403" / "after-school-club-application"
    shutil.copytree(src / "1.0.0", repo / "271403" / "after-school-club-application" / "1.0.0")
    new = repo / "271403" / "after-school-club-application" / "3.0.0"
    shutil.copytree(src / "2.0.0", new)
    schema = read_json(new / "schema.json")
    schema["$id"] = schema["$id"].replace("2.0.0", "3.0.0")
    schema["properties"]["health"] = schema["properties"].pop("health_notes")
    (new / "schema.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    template = read_json(new / "template.json")
    template["migrations"] = [{"from": "1.0.0", "renames": {"health_notes": "health"},
                               "values": {"period": {"long-vacations": "summer"}}}]
    (new / "template.json").write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")
    rows = [r for r in _examples(src / "1.0.0") if "health_notes" in r] or _examples(src / "1.0.0")
    for r in rows:
        r["health_notes"] = "喘息があります"
        r["emergency_contact"] = {"name": "山田 一郎", "relationship": "祖父", "phone": "072-000-0000"}
    data = _jsonl(tmp_path / "d.jsonl", rows)
    run = subprocess.run([sys.executable, "-m", "cli", "migrate", "--repo", str(repo), "--from",
                          "271403/after-school-club-application@1.0.0", "--to", "271403/after-school-club-application@3.0.0",
                          str(data), "-o", str(tmp_path / "o.jsonl")], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    out = _lines(tmp_path / "o.jsonl")
    assert all(r["health"] == "喘息があります" and "health_notes" not in r for r in out)


def _form(folder: Path) -> Any:
    return compile_form(read_json(folder / "schema.json"), SCHEMAS)


def test_migrator_renames_nested_maps_lists_fills_defaults() -> None:
    a = {"type": "object", "properties": {"g": {"type": "object", "properties": {"x": {"type": "string"}}},
                                          "tags": {"type": "array", "items": {"enum": ["a", "b"]}},
                                          "old": {"type": "string"}}}
    b = {"type": "object", "additionalProperties": False, "required": ["must"],
         "properties": {"g": {"type": "object", "properties": {"y": {"type": "string"}}, "additionalProperties": False},
                        "tags": {"type": "array", "items": {"enum": ["a", "c"]}},
                        "must": {"type": "integer"}}}
    fa, fb = compile_form(a, SchemaSet()), compile_form(b, SchemaSet())
    ra, rb = ValueReader(a, fa.resolver).root, ValueReader(b, fb.resolver).root
    mapping = Mapping.parse({"renames": {"g.x": "g.y"}, "values": {"tags": {"b": "c"}}, "defaults": {"must": 1}}, "m")
    plan = make_plan("A", "B", ra, rb, [], mapping, {}, ("", ""))
    row = {"g": {"x": "v"}, "tags": ["a", "b"], "old": "gone"}
    out = Migrator(plan, fb).row(row)
    assert out.status == "changed"
    assert out.value == {"g": {"y": "v"}, "tags": ["a", "c"], "must": 1}
    assert out.removed == {"old": "gone"}
    assert row == {"g": {"x": "v"}, "tags": ["a", "b"], "old": "gone"}  # the input is untouched
    assert Migrator(plan, fb).row({"must": 2, "g": {}}).status == "migrated"
    refused = Migrator(plan, fb).row({"must": "x"})
    assert refused.status == "refused"
    assert refused.reasons


def test_csv_with_labels_in_and_xlsx_out(tmp_path: Path) -> None:
    data = tmp_path / "lunch.csv"
    rows = _examples(CATALOGUE / "132241" / "staff-lunch-survey" / "1.0.0")
    schema = read_json(CATALOGUE / "132241" / "staff-lunch-survey" / "1.0.0" / "schema.json")
    names = list(schema["properties"])
    labels = {n: schema["properties"][n].get("x-yoshiki-enum-labels", {}) for n in names}
    lines = [",".join(names)]
    for r in rows:
        cells = []
        for n in names:
            v = r.get(n)
            if isinstance(v, list):
                v = "、".join(labels[n].get(x, x) if labels[n] else x for x in v)
            elif isinstance(v, str):
                v = labels[n].get(v, v)
            cells.append("" if v is None else f'"{v}"' if "," in str(v) else str(v))
        lines.append(",".join(cells))
    data.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    out = tmp_path / "out.xlsx"
    run = _migrate("--from", "132241/staff-lunch-survey@1.0.0", "--to", "132250/staff-lunch-survey@1.0.0",
                   str(data), "-o", str(out))
    assert run.returncode == 0, run.stdout + run.stderr
    assert _valid_under("132250/staff-lunch-survey@1.0.0", out) == len(rows)


def test_template_migrations_are_validated(tmp_path: Path) -> None:
    from registry.checks.validation import validate_paths

    folder = tmp_path / "271403" / "after-school-club-application" / "2.0.0"
    shutil.copytree(CATALOGUE / "271403" / "after-school-club-application" / "2.0.0", folder)
    template = read_json(folder / "template.json")
    template["migrations"] = [{"from": "1.0.0", "values": {"period": {"long-vacations": "summer"}}}]
    (folder / "template.json").write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")
    assert [i for i in validate_paths([folder]) if i.severity == "error" and "template" in (i.file or "")] == []
    template["migrations"] = [{"from": "一つ前", "renames": {"a": 3}}]
    (folder / "template.json").write_text(json.dumps(template, ensure_ascii=False), encoding="utf-8")
    errors = [i for i in validate_paths([folder]) if i.severity == "error"]
    assert any("/migrations/0" in i.pointer for i in errors)
