"""``yoshiki lint`` end to end, in a subprocess: exit codes, formats, configuration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import RunCli


def _write(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")


def _form(**props: Any) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://yoshiki.invalid/132241/memo/1.0.0/schema.json",
            "type": "object", "title": "メモ", "additionalProperties": False, "properties": props}


def _repo(tmp_path: Path, schema: dict[str, Any], template_extra: dict[str, Any] | None = None,
          config: Any = None) -> Path:
    repo = tmp_path / "repo"
    version = repo / "132241" / "memo" / "1.0.0"
    _write(version / "template.json", {"title": "メモ", "category": "その他", **(template_extra or {})})
    _write(version / "schema.json", schema)
    if config is not None:
        _write(repo / ".yoshiki.json", config)
    return repo


CLEAN = _form(memo={"type": "string", "title": "メモ", "maxLength": 100})
WARNING_ONLY = _form(memo={"type": "string", "title": "メモ"})
WITH_ERROR = _form(grade={"type": "integer", "title": "学年", "enum": [1, 2]},
                   memo={"type": "string", "title": "メモ"})


def test_clean_repository_exits_0(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("lint", _repo(tmp_path, CLEAN))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "lint: 問題は見つかりませんでした"


def test_warnings_pass_unless_strict(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, WARNING_ONLY)
    result = run_cli("lint", repo)
    assert result.returncode == 0
    schema = repo / "132241" / "memo" / "1.0.0" / "schema.json"
    assert result.stdout.splitlines()[0] == (
        f"{schema}:8:5 #/properties/memo: [警告 lint.max-length] 「メモ」は自由記述ですが maxLength がありません。")
    assert run_cli("lint", "--strict", repo).returncode == 1


def test_errors_exit_1_with_json_report(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, WITH_ERROR)
    result = run_cli("lint", "--format", "json", "--lang", "en", repo / "132241" / "memo")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["counts"] == {"error": 1, "warning": 1, "info": 0}
    assert report["summary"] == "lint: 1 error(s), 1 warning(s), 0 note(s)"
    first = report["issues"][0]
    assert first["rule"] == "lint.enum-labels"
    assert first["pointer"] == "/properties/grade/enum"
    # Issue is encoded with omit_defaults, so the default severity "error" may be left out.
    assert first.get("severity", "error") == "error"
    assert report["issues"][1]["severity"] == "warning"
    assert first["file"].endswith("132241/memo/1.0.0/schema.json")
    assert first["line"] == 11
    assert first["message"] == 'Values 1, 2 are codes with no label in "x-yoshiki-enum-labels".'
    assert first["message_ja"] == '値 1, 2 はコードですが "x-yoshiki-enum-labels" に表示名がありません。'


def test_github_and_markdown_formats(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, WITH_ERROR)
    github = run_cli("lint", "--format", "github", repo)
    assert github.stdout.startswith("::error file=")
    assert "title=lint.enum-labels /properties/grade/enum::" in github.stdout
    markdown = run_cli("lint", "--format", "markdown", repo)
    assert "| エラー |" in markdown.stdout
    assert "`lint.enum-labels`" in markdown.stdout


def test_schema_file_and_version_folder_paths(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, WITH_ERROR)
    version = repo / "132241" / "memo" / "1.0.0"
    loose = tmp_path / "loose.json"
    _write(loose, WITH_ERROR)
    for target in (version, version / "schema.json", loose):
        assert run_cli("lint", target).returncode == 1, target


def test_repository_config_disables_a_rule(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, WITH_ERROR, config={"lint": {"disable": ["lint.enum-labels"]}})
    result = run_cli("lint", "--strict", "--format", "json", repo)
    assert [i["rule"] for i in json.loads(result.stdout)["issues"]] == ["lint.max-length"]
    assert result.returncode == 1
    _write(repo / ".yoshiki.json", {"lint": {"disable": ["lint.enum-labels"],
                                             "severity": {"lint.max-length": "off"}}})
    assert run_cli("lint", "--strict", repo).returncode == 0


def test_template_lint_disable(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, WITH_ERROR,
                 template_extra={"lint": {"disable": ["lint.enum-labels", "lint.max-length"]}})
    result = run_cli("lint", "--strict", repo)
    assert result.returncode == 0, result.stdout


def test_bad_config_is_a_usage_error_naming_file_and_pointer(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, CLEAN, config={"lint": {"disable": ["lint.dpeth"]}})
    result = run_cli("lint", repo)
    assert result.returncode == 2
    assert f"{repo / '.yoshiki.json'}#/lint/disable/0" in result.stderr
    assert "'lint.dpeth' という lint ルールはありません" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_json_is_reported_with_line(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path, CLEAN)
    schema = repo / "132241" / "memo" / "1.0.0" / "schema.json"
    schema.write_text('{\n  "type": "object",\n  "title": "メモ"\n  "properties": {}\n}\n', encoding="utf-8")
    result = run_cli("lint", repo)
    assert result.returncode == 1
    assert f"{schema}:4:3: [エラー json.syntax]" in result.stdout
    assert "Traceback" not in result.stderr


def test_missing_path_and_bad_option(run_cli: RunCli, tmp_path: Path) -> None:
    missing = run_cli("lint", tmp_path / "nope")
    assert missing.returncode == 3
    assert "ファイルもフォルダもありません" in missing.stderr
    assert run_cli("lint", "--format", "xml", tmp_path).returncode == 2
    assert run_cli("lint").returncode == 2


def test_starter_catalogue_has_no_lint_errors(run_cli: RunCli, catalogue: Path) -> None:
    result = run_cli("lint", "--format", "json", catalogue)
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout)["counts"]["error"] == 0


def test_a_broken_copy_of_every_template_fails(run_cli: RunCli, catalogue_copy: Path) -> None:
    schemas = sorted(catalogue_copy.rglob("schema.json"))
    assert schemas
    for path in schemas:
        schema = json.loads(path.read_text(encoding="utf-8"))
        schema["properties"]["broken"] = {"type": "string", "maxLength": 10}
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
    result = run_cli("lint", "--format", "json", catalogue_copy)
    assert result.returncode == 1
    flagged = {(Path(i["file"]), i["pointer"], i["message_ja"]) for i in json.loads(result.stdout)["issues"]
               if i["rule"] == "lint.title-missing"}
    assert flagged == {(path, "/properties/broken", "項目「broken」に title（日本語の項目名）がありません。")
                       for path in schemas}
