"""``yoshiki merge`` in a subprocess: exit codes, output, and as a real git merge driver."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def write(path: Path, value: Any, *, indent: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=indent) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def clean_trio(tmp_path: Path) -> tuple[Path, Path, Path]:
    base = {"title": "欠席連絡", "properties": {"reason": {"enum": ["病気", "その他"]}}}
    ours = {"title": "欠席連絡", "properties": {"reason": {"enum": ["病気", "忌引", "その他"]}}}
    theirs = {"title": "欠席・遅刻連絡", "properties": {"reason": {"enum": ["病気", "その他", "通院"]}}}
    return (write(tmp_path / "base.json", base), write(tmp_path / "ours.json", ours),
            write(tmp_path / "theirs.json", theirs))


@pytest.fixture
def conflict_trio(tmp_path: Path) -> tuple[Path, Path, Path]:
    return (write(tmp_path / "b.json", {"title": "a", "properties": {"fax": {"type": "string"}}}),
            write(tmp_path / "o.json", {"title": "b", "properties": {}}),
            write(tmp_path / "t.json", {"title": "c", "properties": {"fax": {"type": "string",
                                                                           "title": "FAX"}}}))


MERGED_TEXT = """{
  "title": "欠席・遅刻連絡",
  "properties": {
    "reason": {
      "enum": [
        "病気",
        "忌引",
        "その他",
        "通院"
      ]
    }
  }
}
"""


def test_clean_merge_to_stdout(run_cli: RunCli, clean_trio: tuple[Path, Path, Path]) -> None:
    proc = run_cli("merge", *clean_trio)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == MERGED_TEXT
    assert proc.stderr == ""


def test_clean_merge_to_file_keeps_its_mode(run_cli: RunCli, tmp_path: Path,
                                             clean_trio: tuple[Path, Path, Path]) -> None:
    out = tmp_path / "out.json"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o640)
    proc = run_cli("merge", *clean_trio, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert out.read_text(encoding="utf-8") == MERGED_TEXT
    assert out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.json", "ours.json", "out.json",
                                                          "theirs.json"]


def test_clean_merge_json_format_with_output(run_cli: RunCli, tmp_path: Path,
                                             clean_trio: tuple[Path, Path, Path]) -> None:
    out = tmp_path / "new.json"
    proc = run_cli("merge", *clean_trio, "-o", out, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"clean": True, "conflicts": [], "output": str(out)}
    assert out.read_text(encoding="utf-8") == MERGED_TEXT


def test_conflicts_listed_in_japanese(run_cli: RunCli, conflict_trio: tuple[Path, Path, Path]) -> None:
    proc = run_cli("merge", *conflict_trio)
    assert proc.returncode == 1
    assert proc.stdout == """\
マージの競合が 2 件あります（何も出力していません）。
/title: 両方の版でこの値が異なる内容に変更されています [both_changed]
    共通の元 base  : "a"
    こちら   ours  : "b"
    相手     theirs: "c"
/properties/fax: 一方の版で削除され、もう一方の版で変更されています [delete_edit]
    共通の元 base  : {"type": "string"}
    こちら   ours  : （なし）
    相手     theirs: {"type": "string", "title": "FAX"}
→ 競合ごとに --resolve POINTER ours|theirs|JSON で解決するか、OURS を編集してもう一度実行してください。
"""


def test_conflicts_listed_in_english(run_cli: RunCli, conflict_trio: tuple[Path, Path, Path]) -> None:
    proc = run_cli("merge", *conflict_trio, "--lang", "en")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[:5] == [
        "2 merge conflicts (nothing written).",
        "/title: both sides changed this value differently [both_changed]",
        '    base  : "a"',
        '    ours  : "b"',
        '    theirs: "c"',
    ]
    assert '    ours  : (absent)' in proc.stdout


def test_conflicts_as_json(run_cli: RunCli, conflict_trio: tuple[Path, Path, Path]) -> None:
    proc = run_cli("merge", *conflict_trio, "--format", "json")
    assert proc.returncode == 1
    body = json.loads(proc.stdout)
    assert body["clean"] is False
    assert [{k: c.get(k) for k in ("pointer", "kind", "base", "ours", "theirs")}
            for c in body["conflicts"]] == [
        {"pointer": "/title", "kind": "both_changed", "base": "a", "ours": "b", "theirs": "c"},
        {"pointer": "/properties/fax", "kind": "delete_edit", "base": {"type": "string"},
         "ours": None, "theirs": {"type": "string", "title": "FAX"}},
    ]
    assert "ours" not in body["conflicts"][1]
    assert body["conflicts"][1]["missing"] == ["ours"]


def test_conflict_leaves_output_untouched(run_cli: RunCli, tmp_path: Path,
                                          conflict_trio: tuple[Path, Path, Path]) -> None:
    out = tmp_path / "keep.json"
    out.write_text('{"keep": true}\n', encoding="utf-8")
    proc = run_cli("merge", *conflict_trio, "-o", out)
    assert proc.returncode == 1
    assert "keep.json は変更していません" in proc.stdout
    assert out.read_text(encoding="utf-8") == '{"keep": true}\n'


def test_resolve_options(run_cli: RunCli, conflict_trio: tuple[Path, Path, Path]) -> None:
    proc = run_cli("merge", *conflict_trio, "--resolve", "/title", '"欠席届"',
                   "--resolve", "/properties/fax", "theirs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == {"title": "欠席届",
                                       "properties": {"fax": {"type": "string", "title": "FAX"}}}


def test_resolve_naming_no_conflict_is_usage(run_cli: RunCli,
                                             conflict_trio: tuple[Path, Path, Path]) -> None:
    proc = run_cli("merge", *conflict_trio, "--resolve", "/nothing", "ours")
    assert proc.returncode == 2
    assert "/nothing に競合はありません" in proc.stderr


def test_resolve_with_bad_json_is_usage(run_cli: RunCli,
                                        conflict_trio: tuple[Path, Path, Path]) -> None:
    proc = run_cli("merge", *conflict_trio, "--resolve", "/title", "{oops")
    assert proc.returncode == 2
    assert "ours・theirs・JSON の値" in proc.stderr


def test_empty_base_means_no_common_ancestor(run_cli: RunCli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    ours = write(tmp_path / "o.json", {"type": "object", "required": ["name"]})
    theirs = write(tmp_path / "t.json", {"type": "object", "required": ["email"], "title": "届"})
    proc = run_cli("merge", empty, ours, theirs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == {"type": "object", "required": ["name", "email"],
                                       "title": "届"}
    # An empty OURS or THEIRS is still an error.
    proc = run_cli("merge", ours, empty, theirs)
    assert proc.returncode == 1
    assert "empty.json: ファイルが空です" in proc.stderr


def test_missing_argument_is_usage(run_cli: RunCli, clean_trio: tuple[Path, Path, Path]) -> None:
    proc = run_cli("merge", *clean_trio[:2])
    assert proc.returncode == 2


def test_missing_file_is_not_found(run_cli: RunCli, tmp_path: Path,
                                   clean_trio: tuple[Path, Path, Path]) -> None:
    proc = run_cli("merge", clean_trio[0], clean_trio[1], tmp_path / "nope.json")
    assert proc.returncode == 3
    assert "nope.json: ファイルがありません" in proc.stderr


def test_output_in_a_missing_folder_is_not_found(run_cli: RunCli, tmp_path: Path,
                                                 clean_trio: tuple[Path, Path, Path]) -> None:
    proc = run_cli("merge", *clean_trio, "-o", tmp_path / "no" / "out.json")
    assert proc.returncode == 3
    assert "がありません" in proc.stderr


def test_invalid_json_is_reported_with_position(run_cli: RunCli, tmp_path: Path,
                                                clean_trio: tuple[Path, Path, Path]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "title": "a",\n}\n', encoding="utf-8")
    proc = run_cli("merge", clean_trio[0], bad, clean_trio[2])
    assert proc.returncode == 1
    assert "bad.json:3:1: JSON の書式が正しくありません" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_too_deep_is_refused(run_cli: RunCli, tmp_path: Path,
                             clean_trio: tuple[Path, Path, Path]) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"a":' * 300 + "1" + "}" * 300, encoding="utf-8")
    proc = run_cli("merge", clean_trio[0], deep, clean_trio[2], "--lang", "en")
    assert proc.returncode == 1
    assert "nested more than 200 levels deep" in proc.stderr


def test_template_by_file_name(run_cli: RunCli, tmp_path: Path) -> None:
    base = write(tmp_path / "base" / "template.json", {"title": "a", "category": "職員"})
    ours = write(tmp_path / "ours" / "template.json",
                 {"title": "a", "category": "職員", "local": {"contact": "稲城市"}})
    theirs = write(tmp_path / "theirs" / "template.json",
                   {"title": "b", "category": "職員", "local": {"contact": "多摩市"}})
    proc = run_cli("merge", base, ours, theirs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == {"title": "b", "category": "職員",
                                       "local": {"contact": "稲城市"}}
    # The same files under other names merge as plain JSON: local is then a conflict.
    plain = [shutil.copy(p, tmp_path / f"{n}.json") for p, n in
             ((base, "b"), (ours, "o"), (theirs, "t"))]
    assert run_cli("merge", *plain).returncode == 1
    assert run_cli("merge", *plain, "--template").returncode == 0


def test_help_names_the_git_driver(run_cli: RunCli) -> None:
    proc = run_cli("merge", "--help")
    assert proc.returncode == 0
    assert "yoshiki merge %O %A %B -o %A" in proc.stdout


def test_command_imports_nothing_heavy() -> None:
    code = ("import sys, cli.commands.merge; "
            "print([m for m in ('litestar', 'sqlmodel', 'sqlalchemy', 'git') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# --- a real git merge driver ------------------------------------------------------------------

SCHEMA_PATH = "132250/absence-notice/1.0.0/schema.json"
BASE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "欠席・遅刻・早退連絡",
    "properties": {
        "name": {"type": "string", "title": "児童氏名", "maxLength": 50},
        "reason": {"type": "string", "title": "理由", "enum": ["病気", "けが", "その他"]},
    },
    "required": ["name"],
}


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(repo.parent), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env,
                          check=check, timeout=120)


def make_repo(tmp_path: Path, *, driver: bool) -> Path:
    """A city's repository with schema.json on main and two branches to edit it."""
    repo = tmp_path / "city"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "稲城市 DX推進課")
    git(repo, "config", "user.email", "dx@city.inagi.invalid")
    if driver:
        command = f"{shlex.quote(sys.executable)} -m cli merge %O %A %B -o %A"
        git(repo, "config", "merge.yoshiki.name", "Yoshiki structural JSON merge")
        git(repo, "config", "merge.yoshiki.driver", command)
        (repo / ".gitattributes").write_text("schema.json merge=yoshiki\n", encoding="utf-8")
    write(repo / SCHEMA_PATH, BASE_SCHEMA, indent=2)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "1.0.0")
    return repo


def edit_on_branch(repo: Path, branch: str, schema: dict[str, Any], *, new: bool) -> None:
    git(repo, "checkout", "-q", *(["-b"] if new else []), branch)
    write(repo / SCHEMA_PATH, schema, indent=2)
    git(repo, "commit", "-q", "-am", f"edit on {branch}")


def with_reason(*values: str, **changes: Any) -> dict[str, Any]:
    schema = json.loads(json.dumps(BASE_SCHEMA))
    schema["properties"]["reason"]["enum"] = list(values)
    for key, value in changes.items():
        schema["properties"]["name"][key] = value
    return schema


def diverge(repo: Path, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    edit_on_branch(repo, "upstream", theirs, new=True)
    edit_on_branch(repo, "main", ours, new=False)


# Both sides add an enum value on the line after "けが": a text merge cannot take both.
OURS_ADJACENT = with_reason("病気", "けが", "忌引", "その他")
THEIRS_ADJACENT = with_reason("病気", "けが", "通院", "その他")


def test_text_merge_alone_conflicts_on_adjacent_enum_lines(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, driver=False)
    diverge(repo, OURS_ADJACENT, THEIRS_ADJACENT)
    merged = git(repo, "merge", "--no-edit", "upstream", check=False)
    assert merged.returncode != 0
    assert "<<<<<<<" in (repo / SCHEMA_PATH).read_text(encoding="utf-8")


def test_git_driver_merges_adjacent_enum_additions(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, driver=True)
    diverge(repo, OURS_ADJACENT, THEIRS_ADJACENT)
    merged = git(repo, "merge", "--no-edit", "upstream", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    schema = json.loads((repo / SCHEMA_PATH).read_text(encoding="utf-8"))
    assert schema["properties"]["reason"]["enum"] == ["病気", "けが", "忌引", "その他", "通院"]
    assert git(repo, "status", "--porcelain").stdout == ""
    assert git(repo, "log", "-1", "--format=%P").stdout.count(" ") == 1  # a merge commit


def test_git_driver_leaves_ours_on_conflict(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, driver=True)
    ours = with_reason("病気", "けが", "その他", maxLength=40)
    theirs = with_reason("病気", "けが", "その他", maxLength=100)
    diverge(repo, ours, theirs)
    ours_text = (repo / SCHEMA_PATH).read_text(encoding="utf-8")
    merged = git(repo, "merge", "--no-edit", "upstream", check=False)
    assert merged.returncode != 0
    assert "/properties/name/maxLength" in merged.stdout + merged.stderr
    assert f"UU {SCHEMA_PATH}" in git(repo, "status", "--porcelain").stdout
    text = (repo / SCHEMA_PATH).read_text(encoding="utf-8")
    assert text == ours_text
    assert json.loads(text) == ours


def test_git_driver_merges_a_file_both_branches_added(tmp_path: Path) -> None:
    # No common ancestor: git passes an empty %O, merged as an empty object.
    repo = make_repo(tmp_path, driver=True)
    new_path = "132250/absence-notice/1.1.0/schema.json"
    theirs = json.loads(json.dumps(BASE_SCHEMA))
    theirs["properties"]["email"] = {"type": "string", "title": "メールアドレス"}
    ours = json.loads(json.dumps(BASE_SCHEMA))
    ours["properties"]["phone"] = {"type": "string", "title": "電話番号"}
    ours["required"] = ["name", "phone"]
    for branch, schema, new in (("upstream", theirs, True), ("main", ours, False)):
        git(repo, "checkout", "-q", *(["-b"] if new else []), branch)
        write(repo / new_path, schema, indent=2)
        git(repo, "add", new_path)
        git(repo, "commit", "-q", "-m", f"1.1.0 on {branch}")
    merged = git(repo, "merge", "--no-edit", "upstream", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    schema = json.loads((repo / new_path).read_text(encoding="utf-8"))
    assert list(schema["properties"]) == ["name", "reason", "phone", "email"]
    assert schema["required"] == ["name", "phone"]
