"""Lint rules: data-driven cases in tests/data/lint/, configuration, files and the rule table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from registry.checks.lint import (
    RULES,
    InvalidConfig,
    LintConfig,
    has_japanese,
    lint_paths,
    lint_schema,
    lint_version_dir,
)
from registry.errors import NotFound, UsageError
from registry.syntax.refs import SchemaSet

DATA = Path(__file__).resolve().parent.parent / "data" / "lint"
CASES = sorted(DATA.glob("*.json"))
ROOT = Path(__file__).resolve().parent.parent.parent


def _config(case: dict[str, Any]) -> LintConfig | None:
    raw = case.get("config")
    if raw is None:
        return None
    return LintConfig(frozenset(raw.get("disable", [])), dict(raw.get("severity", {})))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    issues = lint_schema(case["schema"], config=_config(case))
    got = sorted((i.rule, i.pointer) for i in issues)
    want = sorted((e["rule"], e["pointer"]) for e in case["expected"])
    assert got == want, case["about"]
    for issue in issues:
        assert issue.message
        assert issue.message_ja
        assert issue.hint
        assert issue.hint_ja
        assert has_japanese(issue.message_ja)
        want_severity = case.get("expected_severity", {}).get(issue.rule, RULES[issue.rule].severity)
        assert issue.severity == want_severity


def test_every_rule_has_a_positive_and_a_negative_case() -> None:
    positive: set[str] = set()
    for path in CASES:
        case = json.loads(path.read_text(encoding="utf-8"))
        positive |= {e["rule"] for e in case["expected"]}
    assert positive == set(RULES)
    assert any(not json.loads(p.read_text(encoding="utf-8"))["expected"] for p in CASES)


def test_rule_table_is_documented() -> None:
    doc = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
    for rule in RULES.values():
        assert f"`{rule.id}`" in doc, rule.id
        assert has_japanese(rule.what_ja)
        assert has_japanese(rule.hint_ja)


def test_common_definitions_supply_title_and_personal_mark() -> None:
    schema = {
        "$id": "https://yoshiki.invalid/132241/absence-notice/1.0.0/schema.json",
        "type": "object", "title": "欠席連絡", "additionalProperties": False,
        "properties": {"guardian": {"$ref": "/common/person-name.json"},
                       "child_name": {"$ref": "/common/person-name.json", "title": "児童氏名"}},
    }
    assert lint_schema(schema, schemas=SchemaSet()) == []


def test_ref_target_without_title_is_reported_at_the_use_site() -> None:
    extra = {"https://yoshiki.invalid/common/bare.json": {"type": "integer"}}
    schema = {"$id": "https://yoshiki.invalid/132241/x/1.0.0/schema.json", "type": "object",
              "title": "フォーム", "additionalProperties": False,
              "properties": {"n": {"$ref": "/common/bare.json"}}}
    issues = lint_schema(schema, schemas=SchemaSet(extra=extra))
    assert [(i.rule, i.pointer) for i in issues] == [("lint.title-missing", "/properties/n")]


def test_shipped_common_definitions_are_clean() -> None:
    files = sorted((ROOT / "schemas" / "common").glob("*.json"))
    assert files
    assert lint_paths(files) == []


def test_unresolvable_ref_is_left_to_validate() -> None:
    schema = {"type": "object", "title": "フォーム", "additionalProperties": False,
              "properties": {"n": {"$ref": "https://example.com/x.json", "title": "数"}}}
    assert lint_schema(schema) == []


def _write(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")


FORM = {"$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://yoshiki.invalid/132241/memo/1.0.0/schema.json",
        "type": "object", "title": "メモ", "additionalProperties": False,
        "properties": {"memo": {"type": "string", "title": "メモ"},
                       "grade": {"type": "integer", "title": "学年", "enum": [1, 2]}}}


def _repo(tmp_path: Path, config: Any = None, template_lint: Any = None) -> Path:
    repo = tmp_path / "repo"
    version = repo / "132241" / "memo" / "1.0.0"
    template: dict[str, Any] = {"title": "メモ", "category": "その他"}
    if template_lint is not None:
        template["lint"] = template_lint
    _write(version / "template.json", template)
    _write(version / "schema.json", FORM)
    if config is not None:
        _write(repo / ".yoshiki.json", config)
    return repo


def test_version_dir_issues_carry_file_line_and_column(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    issues = lint_version_dir(repo / "132241" / "memo" / "1.0.0")
    found = {(i.rule, i.pointer): i for i in issues}
    assert set(found) == {("lint.max-length", "/properties/memo"),
                          ("lint.enum-labels", "/properties/grade/enum")}
    memo = found[("lint.max-length", "/properties/memo")]
    assert memo.file == str(repo / "132241" / "memo" / "1.0.0" / "schema.json")
    assert (memo.line, memo.column) == (8, 5)
    assert found[("lint.enum-labels", "/properties/grade/enum")].line == 15


def test_repository_config_disables_and_regrades(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"lint": {"disable": ["lint.enum-labels"],
                                     "severity": {"lint.max-length": "error"}}})
    issues = lint_paths([repo])
    assert [(i.rule, i.severity) for i in issues] == [("lint.max-length", "error")]


def test_template_lint_disable(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"lint": {"severity": {"lint.max-length": "off"}}},
                 template_lint={"disable": ["lint.enum-labels"]})
    assert lint_paths([repo]) == []


def test_load_merges_repository_and_template(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"lint": {"disable": ["lint.depth"]}, "other": 1})
    config = LintConfig.load(repo, {"lint": {"disable": ["lint.max-length"]}})
    assert config.disabled == frozenset({"lint.depth", "lint.max-length"})
    assert LintConfig.load(None, None) == LintConfig()


@pytest.mark.parametrize(("config", "pointer"), [
    ([], ""),
    ({"lint": {"disable": "lint.depth"}}, "/lint/disable"),
    ({"lint": {"disable": ["lint.dpeth"]}}, "/lint/disable/0"),
    ({"lint": {"severity": {"lint.depth": "fatal"}}}, "/lint/severity/lint.depth"),
    ({"lint": {"disabled": []}}, "/lint/disabled"),
])
def test_bad_repository_config_names_file_and_pointer(tmp_path: Path, config: Any, pointer: str) -> None:
    repo = _repo(tmp_path, config)
    with pytest.raises(InvalidConfig) as caught:
        lint_paths([repo])
    assert isinstance(caught.value, UsageError)
    (issue,) = caught.value.issues
    assert issue.file == str(repo / ".yoshiki.json")
    assert issue.pointer == pointer


def test_bad_template_lint_section(tmp_path: Path) -> None:
    repo = _repo(tmp_path, template_lint={"disable": ["no-such-rule"]})
    with pytest.raises(InvalidConfig) as caught:
        lint_paths([repo])
    assert caught.value.issues[0].pointer == "/lint/disable/0"
    assert caught.value.issues[0].file is not None
    assert caught.value.issues[0].file.endswith("template.json")


def test_broken_json_is_an_issue_with_position(tmp_path: Path) -> None:
    bad = tmp_path / "form.json"
    bad.write_text('{\n  "type": "object",\n  "title": "x"\n  "properties": {}\n}\n', encoding="utf-8")
    (issue,) = lint_paths([bad])
    assert (issue.rule, issue.file, issue.line) == ("json.syntax", str(bad), 4)


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        lint_paths([tmp_path / "nope"])
    with pytest.raises(NotFound):
        lint_paths([tmp_path])


def test_lint_imports_no_framework() -> None:
    code = ("import sys, registry.checks.lint; bad = [m for m in ('click', 'litestar', 'sqlmodel', "
            "'sqlalchemy', 'git') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_KEYS = ["type", "title", "properties", "items", "prefixItems", "required", "enum", "const",
         "pattern", "patternProperties", "additionalProperties", "$ref", "$defs", "allOf", "anyOf",
         "oneOf", "if", "then", "else", "not", "maxLength", "minLength", "format", "description",
         "x-yoshiki-personal", "x-yoshiki-enum-labels", "dependentRequired", "$id", "minimum",
         "maximum", "a", "name"]
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 500), st.sampled_from(
    ["object", "string", "array", "氏名", "#", "#/$defs/a", "/common/person-name.json",
     "^(a+)+$", "(", "date", "x" * 401, "https://yoshiki.invalid/common/nope.json"]))
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(_KEYS), children, max_size=6)),
    max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_lint_never_crashes_on_any_json(schema: Any) -> None:
    issues = lint_schema(schema, schemas=SchemaSet())
    assert all(i.rule in RULES for i in issues)
