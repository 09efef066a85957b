"""``yoshiki diff`` and ``yoshiki compat`` in a subprocess: the CLI contract (docs/diff.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunCli

S = "https://json-schema.org/draft/2020-12/schema"
LG, SLUG = "132241", "absence-notice"
KUBUN = {"title": "区分", "type": "string", "enum": ["欠席", "遅刻", "早退"]}


def schema(version: str, kubun: list[str], *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "$schema": S, "$id": f"https://yoshiki.invalid/{LG}/{SLUG}/{version}/schema.json",
        "type": "object", "title": "欠席連絡",
        "properties": {
            "kubun": {**KUBUN, "enum": kubun},
            "zip": {"$ref": "/common/postal-code.json", "title": "郵便番号"},
            **(extra or {}),
        },
        "required": ["kubun"],
    }


VERSIONS = {
    "1.0.0": schema("1.0.0", ["欠席", "遅刻", "早退"]),
    "1.1.0": schema("1.1.0", ["欠席", "遅刻", "早退", "通院"]),
    "2.0.0": schema("2.0.0", ["欠席", "遅刻", "通院"]),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small repository in the canonical layout with three versions of one template."""
    root = tmp_path / "repo"
    for version, doc in VERSIONS.items():
        folder = root / LG / SLUG / version
        folder.mkdir(parents=True)
        (folder / "schema.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        (folder / "template.json").write_text(json.dumps(
            {"title": "欠席連絡", "category": "教育", "compatibility": "BACKWARD"}, ensure_ascii=False),
            encoding="utf-8")
    (root / ".yoshiki.json").write_text("{}", encoding="utf-8")
    return root


def test_json_contract_exact_keys(run_cli: RunCli, repo: Path) -> None:
    proc = run_cli("diff", f"{LG}/{SLUG}@1.1.0", f"{LG}/{SLUG}@2.0.0", "--format", "json", "--repo", repo)
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)  # exactly one JSON object on stdout
    assert {"backward", "forward", "bump", "changes"} <= set(body)
    assert (body["backward"], body["forward"], body["bump"]) == ("breaking", "compatible", "major")
    # Every version has its own $id: reported as a cosmetic identifier_changed.
    ident, change = sorted(body["changes"], key=lambda c: c["kind"] != "identifier_changed")
    assert (ident["kind"], ident["pointer"], ident["backward"], ident["forward"]) == (
        "identifier_changed", "/$id", "compatible", "compatible")
    assert "witness" not in ident
    assert {"pointer", "kind", "before", "after", "backward", "forward", "message", "message_ja",
            "witness"} <= set(change)
    assert change["pointer"] == "/properties/kubun/enum"
    assert change["kind"] == "enum_value_removed"
    assert (change["before"], change["after"]) == ("早退", None)
    assert (change["backward"], change["forward"]) == ("breaking", "compatible")
    assert change["message_ja"] == ("『区分』の選択肢「早退」が削除されました。"
                                    "これまでに受け付けた「早退」の申請データは新しい版では無効になります。")
    assert change["witness"] == {"value": {"kubun": "早退"}, "accepted_by": "old"}


def test_identical_and_added_value(run_cli: RunCli, repo: Path) -> None:
    proc = run_cli("diff", f"{LG}/{SLUG}@1.0.0", f"{LG}/{SLUG}@1.1.0", "--format", "json", cwd=repo)
    body = json.loads(proc.stdout)
    assert (body["backward"], body["forward"], body["bump"]) == ("compatible", "breaking", "minor")
    [change] = [c for c in body["changes"] if not c["cosmetic"]]
    assert change["kind"] == "enum_value_added"
    assert change["witness"]["accepted_by"] == "new"
    same = json.loads(run_cli("diff", f"{LG}/{SLUG}@1.0.0", f"{LG}/{SLUG}@1.0.0", "--format", "json",
                              cwd=repo).stdout)
    assert same == {"backward": "compatible", "forward": "compatible", "bump": "none", "mode": "BACKWARD",
                    "policy": "lenient", "changes": [], "old": f"{LG}/{SLUG}@1.0.0",
                    "new": f"{LG}/{SLUG}@1.0.0"}


def test_files_and_folders(run_cli: RunCli, repo: Path) -> None:
    old = repo / LG / SLUG / "1.1.0"
    new = repo / LG / SLUG / "2.0.0" / "schema.json"
    proc = run_cli("diff", old, new, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["bump"] == "major"


def test_text_is_japanese_grouped_by_field_breaking_first(run_cli: RunCli, repo: Path) -> None:
    new = json.loads((repo / LG / SLUG / "2.0.0" / "schema.json").read_text(encoding="utf-8"))
    new["properties"]["kubun"]["description"] = "該当するものを選んでください"
    path = repo / "new.json"
    path.write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8")
    proc = run_cli("diff", f"{LG}/{SLUG}@1.1.0", path, "--repo", repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"旧: {LG}/{SLUG}@1.1.0",
        f"新: {path}",
        "■ 『区分』（/kubun）",
        "  [後方: 非互換 / 前方: 互換] enum_value_removed /properties/kubun/enum: 『区分』の選択肢「早退」が削除されました。"
        "これまでに受け付けた「早退」の申請データは新しい版では無効になります。",
        '    例: 「区分: 早退」の申請データは旧版で有効、新版で無効（全体: {"kubun":"早退"}）',
        "  [後方: 互換 / 前方: 互換] annotation_changed /properties/kubun/description: 『区分』の説明・表示（description）"
        "が変わりました。受け付けるデータは変わりません。",
        "■ 『欠席連絡』（フォーム全体）",
        "  [後方: 互換 / 前方: 互換] identifier_changed /$id: 『欠席連絡』の識別子（$id）が変わりました。受け付けるデータは変わりません。",
        "後方互換: 非互換、前方互換: 互換、必要な版の上げ方: メジャー（major、互換性モード BACKWARD、ポリシー lenient）、変更 3 件",
    ]
    en = run_cli("diff", f"{LG}/{SLUG}@1.1.0", path, "--repo", repo, "--lang", "en")
    assert en.stdout.splitlines()[-1] == ("backward: breaking, forward: compatible, required bump: major "
                                          "(mode BACKWARD, policy lenient), 3 change(s)")


def test_fail_on(run_cli: RunCli, repo: Path) -> None:
    a, b = f"{LG}/{SLUG}@1.1.0", f"{LG}/{SLUG}@2.0.0"
    assert run_cli("diff", a, b, "--repo", repo, "--fail-on", "breaking").returncode == 1
    assert run_cli("diff", a, b, "--repo", repo, "--fail-on", "unknown").returncode == 1
    # Forward is compatible here: a FORWARD mode does not fail.
    assert run_cli("diff", a, b, "--repo", repo, "--fail-on", "breaking", "--mode", "FORWARD").returncode == 0
    assert run_cli("diff", f"{LG}/{SLUG}@1.0.0", f"{LG}/{SLUG}@1.1.0", "--repo", repo,
                   "--fail-on", "breaking").returncode == 0


def test_policy_switch(run_cli: RunCli, repo: Path) -> None:
    new = json.loads((repo / LG / SLUG / "1.0.0" / "schema.json").read_text(encoding="utf-8"))
    new["properties"]["memo"] = {"title": "備考", "type": "string"}
    (repo / "memo.json").write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8")
    args = ("diff", f"{LG}/{SLUG}@1.0.0", repo / "memo.json", "--repo", repo, "--format", "json")
    lenient = json.loads(run_cli(*args).stdout)
    strict = json.loads(run_cli(*args, "--policy", "strict").stdout)
    assert (lenient["backward"], lenient["bump"]) == ("compatible", "minor")
    assert (strict["backward"], strict["bump"]) == ("breaking", "major")
    assert [c["kind"] for c in strict["changes"]] == ["property_added"]


def test_markdown_and_github(run_cli: RunCli, repo: Path) -> None:
    a, b = f"{LG}/{SLUG}@1.1.0", f"{LG}/{SLUG}@2.0.0"
    md = run_cli("diff", a, b, "--repo", repo, "--format", "markdown")
    assert md.returncode == 0
    assert md.stdout.startswith(f"### ❌ {a} → {b}\n")
    assert "| ❌ 非互換 | ✅ 互換 | **major** |" in md.stdout
    gh = run_cli("diff", a, b, "--repo", repo, "--format", "github")
    first = gh.stdout.splitlines()[0]
    old_file = repo / LG / SLUG / "1.1.0" / "schema.json"
    # The removed value is reported in the old file, at the line of its "enum" key.
    line = next(i for i, t in enumerate(old_file.read_text(encoding="utf-8").splitlines(), 1) if '"enum"' in t)
    assert first.startswith(f"::error file={old_file},line={line},")
    assert "title=enum_value_removed /properties/kubun/enum::『区分』の選択肢「早退」が削除されました。" in first


@pytest.mark.parametrize(("args", "code"), [
    (("diff", "only-one"), 2),
    (("diff", "a.json", "b.json", "--format", "xml"), 2),
    (("diff", "a.json", "b.json", "--policy", "sloppy"), 2),
    (("diff", "missing.json", "also-missing.json"), 3),
    (("diff", f"{LG}/{SLUG}@9.9.9", f"{LG}/{SLUG}@1.0.0"), 3),
    (("diff", f"{LG}/{SLUG}@1.0", f"{LG}/{SLUG}@1.0.0"), 2),
    (("compat", f"{LG}/{SLUG}@1.0.0", f"{LG}/{SLUG}@1.0.0"), 2),  # --mode is required
])
def test_usage_and_not_found(run_cli: RunCli, repo: Path, args: tuple[str, ...], code: int) -> None:
    proc = run_cli(*args, cwd=repo)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr


def test_invalid_schema_is_a_message_not_a_traceback(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"type": 5}', encoding="utf-8")
    (tmp_path / "ok.json").write_text('{"type": "string"}', encoding="utf-8")
    proc = run_cli("diff", tmp_path / "bad.json", tmp_path / "ok.json")
    assert proc.returncode == 1
    assert proc.stderr.startswith("エラー: 旧スキーマが JSON Schema 2020-12 として正しくありません")
    assert "Traceback" not in proc.stderr


def test_compat_modes(run_cli: RunCli, repo: Path) -> None:
    v1, v2, v3 = (f"{LG}/{SLUG}@{v}" for v in ("1.0.0", "1.1.0", "2.0.0"))
    ok = run_cli("compat", v2, v1, "--mode", "BACKWARD", "--repo", repo)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[-1] == "✅ 互換性モード BACKWARD: 互換（比較した版 1 件）"
    assert run_cli("compat", v2, v1, "--mode", "FORWARD", "--repo", repo).returncode == 1
    assert run_cli("compat", v2, v1, "--mode", "FULL", "--repo", repo).returncode == 1
    assert run_cli("compat", v3, v1, v2, "--mode", "NONE", "--repo", repo).returncode == 0
    # 2.0.0 drops 早退: breaking against both earlier versions.
    bad = run_cli("compat", v3, v1, v2, "--mode", "BACKWARD_TRANSITIVE", "--repo", repo, "--format", "json")
    assert bad.returncode == 1
    body = json.loads(bad.stdout)
    assert (body["ok"], body["verdict"], body["mode"]) == (False, "breaking", "BACKWARD_TRANSITIVE")
    assert [r["old"] for r in body["results"]] == [v1, v2]
    assert [c["kind"] for r in body["results"] for c in r["changes"]] == ["enum_value_removed"] * 2


def test_compat_transitive_sees_older_versions(run_cli: RunCli, repo: Path) -> None:
    # Against 1.1.0 alone a version with 通院 but without 早退... is still breaking; use one that
    # keeps everything 1.1.0 has but drops a value only 1.0.0 had: none here, so build one.
    v1 = schema("1.0.0", ["欠席", "遅刻", "早退", "病欠"])
    (repo / "v1.json").write_text(json.dumps(v1, ensure_ascii=False), encoding="utf-8")
    v2 = f"{LG}/{SLUG}@1.1.0"
    new = schema("1.2.0", ["欠席", "遅刻", "早退", "通院"])
    (repo / "new.json").write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8")
    args = ("compat", repo / "new.json", repo / "v1.json", v2, "--repo", repo)
    assert run_cli(*args, "--mode", "BACKWARD").returncode == 0
    trans = run_cli(*args, "--mode", "BACKWARD_TRANSITIVE", "--lang", "en")
    assert trans.returncode == 1
    assert "病欠" in trans.stdout
    assert trans.stdout.splitlines()[-1] == "❌ compatibility mode BACKWARD_TRANSITIVE: breaking (2 version(s) checked)"
