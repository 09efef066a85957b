"""``yoshiki validate`` in a subprocess: exit codes, renderings, languages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import RunCli

CASES = Path(__file__).resolve().parent.parent / "data" / "validate"


def test_valid_version_folder(run_cli: RunCli) -> None:
    """A valid version folder: exit 0, Japanese summary on stdout, nothing on stderr."""
    proc = run_cli("validate", "132241/absence-notice/1.0.0", cwd=CASES / "valid-template")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "問題は見つかりませんでした\n", "")


def test_broken_schema_text_ja(run_cli: RunCli) -> None:
    """A broken schema: exit 1, file:line:column, pointer, rule and a Japanese message."""
    proc = run_cli("validate", ".", cwd=CASES / "schema-keyword")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "132241/absence-notice/1.0.0/schema.json:5:3 #/type: [エラー schema.meta] JSON Schema 2020-12 として"
        "正しくありません: \"objekt\" is not valid under any of the schemas listed in the 'anyOf' keyword。",
        "エラー 1 件、警告 0 件",
    ]


def test_lang_en_and_json(run_cli: RunCli) -> None:
    """--lang en and --format json render the same issue."""
    proc = run_cli("validate", ".", "--lang", "en", cwd=CASES / "ref-cycle")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1] == "2 error(s), 0 warning(s)"
    proc = run_cli("validate", ".", "--format", "json", cwd=CASES / "remote-ref")
    body = json.loads(proc.stdout)
    assert body["ok"] is False
    assert [(i["rule"], i["pointer"], i["line"], i["column"]) for i in body["issues"]] == [
        ("ref.unresolvable", "/properties/kind/$ref", 21, 7)]


def test_github_annotations(run_cli: RunCli) -> None:
    """--format github: one workflow command per issue with file, line and column."""
    proc = run_cli("validate", ".", "--format", "github", cwd=CASES / "bad-id")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0] == (
        "::error file=132241/absence-notice/1.0.0/schema.json,line=3,col=3,title=layout.id-mismatch /$id::"
        "$id はフォルダの場所に合わせて https://yoshiki.invalid/132241/absence-notice/1.0.0/schema.json にしてください。"
        "%0A$id は <団体コード>/<スラッグ>/<版> から決まります。")


def test_markdown(run_cli: RunCli) -> None:
    """--format markdown: a table for a pull-request comment."""
    proc = run_cli("validate", ".", "--format", "markdown", cwd=CASES / "non-semver")
    assert proc.returncode == 1
    assert proc.stdout.startswith("❌ エラー 1 件、警告 0 件\n\n| 重要度 | 場所 | ポインタ | ルール | 内容 |")
    assert "`layout.version`" in proc.stdout


def test_missing_path_exit_3(run_cli: RunCli, tmp_path: Path) -> None:
    """A path that does not exist: exit 3 with a Japanese message on stderr, no traceback."""
    proc = run_cli("validate", str(tmp_path / "nope"))
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert "ファイルもフォルダもありません" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_path_is_usage(run_cli: RunCli) -> None:
    """No PATH: click's usage error, exit 2."""
    assert run_cli("validate").returncode == 2


def test_catalogue_passes_and_a_broken_copy_fails(run_cli: RunCli, catalogue: Path, tmp_path: Path) -> None:
    """``yoshiki validate templates_repo`` passes; a broken copy fails with file, pointer, Japanese."""
    proc = run_cli("validate", str(catalogue))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    copy = tmp_path / "repo"
    shutil.copytree(catalogue, copy)
    schema_path = sorted(copy.glob("*/*/*/schema.json"))[0]
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["required"] = "everything"
    schema_path.write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
    proc = run_cli("validate", str(copy), "--format", "json")
    assert proc.returncode == 1
    issues = json.loads(proc.stdout)["issues"]
    assert [(i["rule"], i["pointer"], i["file"]) for i in issues if i.get("severity", "error") == "error"] == [
        ("schema.meta", "/required", str(schema_path))]
    assert all("正しくありません" in i["message_ja"] for i in issues)


def test_misspelt_keywords_are_errors_with_a_suggestion(run_cli: RunCli) -> None:
    """"requried", "typ", "maxlength": a validator would ignore them; validate says what was meant."""
    proc = run_cli("validate", ".", cwd=CASES / "unknown-keyword")
    assert proc.returncode == 1
    assert "requried は required の誤りですか" in proc.stdout
    assert "typ は type の誤りですか" in proc.stdout
    assert "maxlength は maxLength の誤りですか" in proc.stdout
    assert "x-note" not in proc.stdout  # x-* annotations are allowed
    en = run_cli("validate", ".", "--lang", "en", cwd=CASES / "unknown-keyword")
    assert "did you mean 'required'?" in en.stdout


def test_the_catalogue_validates(run_cli: RunCli) -> None:
    """Every template of the starter catalogue passes, unknown-keyword check included."""
    root = Path(__file__).resolve().parents[2] / "templates_repo"
    proc = run_cli("validate", ".", cwd=root)
    assert (proc.returncode, proc.stdout) == (0, "問題は見つかりませんでした\n"), proc.stdout
