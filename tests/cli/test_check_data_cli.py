"""``yoshiki check-data`` in a subprocess: formats, template forms, encodings, bad input, big files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import RunCli

DATA = Path(__file__).resolve().parent.parent / "data"
CORPUS = DATA / "submissions"
FORM = CORPUS / "form.schema.json"
VERSION = DATA / "validate" / "valid-template"
GOOD = {"guardian": "山田 花子", "postal": "206-0011", "kind": "欠席", "date": "2024-04-01"}


def test_jsonl_text_ja(run_cli: RunCli) -> None:
    """Each error: file:line, pointer, rule and a staff-readable Japanese message; then the summary."""
    proc = run_cli("check-data", FORM, "batch.jsonl", cwd=CORPUS)
    assert proc.returncode == 1
    assert proc.stderr == ""
    assert proc.stdout.splitlines() == [
        "batch.jsonl:2 #/date: [エラー data.format] 欠席日は日付を 2024-04-01 の形式で入力してください（入力値: 2024-02-30）",
        "batch.jsonl:4 #/note: [エラー data.maxLength] 連絡事項は20文字以内で入力してください",
        "batch.jsonl:5: [エラー json.syntax] JSON の書式が正しくありません（JSON is malformed: expected ',' or '}'）。",
        "    → 1行に1つの JSON オブジェクトを書いてください。",
        "batch.jsonl:6 #/guardian: [エラー data.required] 『保護者氏名』を入力してください",
        "batch.jsonl:6 #/email: [エラー data.format] メールアドレスは taro@example.jp の形式で入力してください（入力値: taro.example.jp）",
        "batch.jsonl:6: [エラー data.additionalProperties] 欠席・遅刻・早退連絡に、このフォームにない項目があります: extra",
        "1 ファイル・5 件を検査しました: 正しい申請 1 件、誤りのある申請 4 件",
    ]


def test_all_valid_exit_0(run_cli: RunCli) -> None:
    """One valid object (full-width postal code normalised by the common definition): exit 0."""
    proc = run_cli("check-data", FORM, CORPUS / "one.json", "--lang", "en")
    assert (proc.returncode, proc.stdout) == (0, "checked 1 submission(s) in 1 file(s): 1 valid, 0 invalid\n")


def test_json_format_counts(run_cli: RunCli) -> None:
    """--format json: counts of valid and invalid submissions and every issue, in English too."""
    proc = run_cli("check-data", FORM, CORPUS / "utf8.csv", CORPUS / "cp932.csv", "--format", "json", "--lang", "en")
    body = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert (body["valid"], body["invalid"], body["counts"]["error"]) == (2, 4, 8)
    assert body["issues"][0]["message"] == "Write “郵便番号” in the form 123-4567 (got 2060011)."


def test_github_format(run_cli: RunCli) -> None:
    """--format github: annotations with the data file and line."""
    proc = run_cli("check-data", FORM, "utf8.csv", "--format", "github", cwd=CORPUS)
    assert proc.stdout.splitlines()[0] == (
        "::error file=utf8.csv,line=3,title=data.pattern /postal::郵便番号は 123-4567 の形式で入力してください（入力値: 2060011）")


def test_template_as_folder_and_as_name(run_cli: RunCli, tmp_path: Path) -> None:
    """TEMPLATE may be a version folder or LG/SLUG@VERSION in --repo (or the current folder)."""
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"student": "山田", "postal": "2060011"}, ensure_ascii=False) + "\n", encoding="utf-8")
    by_folder = run_cli("check-data", VERSION / "132241/absence-notice/1.0.0", data)
    by_name = run_cli("check-data", "132241/absence-notice@1.0.0", data, "--repo", VERSION)
    by_cwd = run_cli("check-data", "132241/absence-notice@1.0.0", data, cwd=VERSION)
    assert by_folder.returncode == by_name.returncode == by_cwd.returncode == 1
    assert by_folder.stdout.replace(str(data), "d") == by_name.stdout.replace(str(data), "d") == by_cwd.stdout.replace(str(data), "d")
    assert "郵便番号は 123-4567 の形式で入力してください（入力値: 2060011）" in by_name.stdout


@pytest.mark.parametrize(("args", "code", "message"), [
    (["132241/absence-notice@9.9.9", "x.jsonl"], 3, "このテンプレートの版がありません"),
    (["nowhere", "x.jsonl"], 3, "フォルダもファイルもありません"),
    (["not-a-template@1.0", "x.jsonl"], 2, "テンプレート名ではありません"),
    ([str(FORM), "missing.jsonl"], 3, "missing.jsonl: ファイルがありません"),
    ([str(FORM), "x.txt"], 2, "データの形式がわかりません"),
])
def test_usage_and_not_found(run_cli: RunCli, tmp_path: Path, args: list[str], code: int, message: str) -> None:
    """Wrong template or data: exit 2 or 3 with a Japanese message on stderr, never a traceback."""
    (tmp_path / "x.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "x.txt").write_text("{}\n", encoding="utf-8")
    proc = run_cli("check-data", *args, "--repo", VERSION, cwd=tmp_path)
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "ファイルが空です。"),
    (b'{"guardian": "a",\n  "kind": }', "b.json:2:11: [エラー json.syntax] JSON の書式が正しくありません（Expecting value）。"),
    ('{"guardian": "山田"}'.encode("cp932"), "ファイルが UTF-8 ではありません"),
])
def test_bad_json_files_are_messages(run_cli: RunCli, tmp_path: Path, content: bytes, expected: str) -> None:
    """An empty file, a syntax error (line:column), a non-UTF-8 file: a clear message, exit 1."""
    (tmp_path / "b.json").write_bytes(content)
    proc = run_cli("check-data", FORM, "b.json", cwd=tmp_path)
    assert proc.returncode == 1
    assert expected in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_cp932_with_explicit_encoding(run_cli: RunCli, tmp_path: Path) -> None:
    """--encoding cp932 reads an Excel export; the same rows as the UTF-8 file give the same result."""
    shutil.copy(CORPUS / "cp932.csv", tmp_path / "data.csv")
    sj = run_cli("check-data", FORM, "data.csv", "--encoding", "cp932", cwd=tmp_path)
    shutil.copy(CORPUS / "utf8.csv", tmp_path / "data.csv")
    utf8 = run_cli("check-data", FORM, "data.csv", cwd=tmp_path)
    assert sj.returncode == utf8.returncode == 1
    assert sj.stdout == utf8.stdout


def test_fifty_megabytes_streamed(tmp_path: Path) -> None:
    """A 50 MB JSON array is checked element by element: memory stays far below the file's size × 5."""
    path = tmp_path / "big.json"
    bad = {**GOOD, "kind": "遅れ"}
    line = json.dumps(GOOD, ensure_ascii=False)
    bad_line = json.dumps(bad, ensure_ascii=False)
    with path.open("w", encoding="utf-8") as f:
        f.write("[\n")
        n = 0
        while f.tell() < 50 * 1024 * 1024:
            # Padding keeps the record count (and the test's time) small; the bytes still stream.
            f.write((bad_line if n % 1000 == 999 else line) + ",\n" + " " * 1500 + "\n")
            n += 1
        f.write(line + "\n]\n")
    # VmHWM of the checking process itself (ru_maxrss of a child would include pytest's own
    # memory inherited through fork).
    runner = ("import atexit, sys; from cli.main import main;"
              "atexit.register(lambda: print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0],"
              " file=sys.stderr)); main(sys.argv[1:])")
    proc = subprocess.run([sys.executable, "-c", runner, "check-data", str(FORM), str(path), "--format", "json"],
                          capture_output=True, text=True, timeout=300, check=False)
    body = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stderr
    assert (body["valid"], body["invalid"]) == (n + 1 - n // 1000, n // 1000)
    peak_mib = int(proc.stderr.split()[-2]) / 1024
    assert peak_mib < 80, proc.stderr


def test_pattern_follows_ecma_262_not_fancy_regex(run_cli: RunCli, tmp_path: Path) -> None:
    """fancy-regex (jsonschema-rs's default) accepts "1" for ^\\d+-?\\d+$; ECMA-262 and the
    browser reject it, and so must check-data (registry/syntax/validators.py)."""
    form = tmp_path / "form.schema.json"
    form.write_text(json.dumps({
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "properties": {"code": {"type": "string", "title": "整理番号", "pattern": r"^\d+-?\d+$"},
                       "ver": {"type": "string", "title": "版", "pattern": r"^[0-9]+\.?[0-9]+$"}}},
        ensure_ascii=False), encoding="utf-8")
    data = tmp_path / "d.jsonl"
    rows = [{"code": "1"}, {"ver": "1"}, {"code": "1-2", "ver": "1.2"}, {"code": "12", "ver": "12"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    proc = run_cli("check-data", form, data, "--format", "json", "--lang", "en")
    body = json.loads(proc.stdout)
    assert proc.returncode == 1, proc.stderr
    assert (body["valid"], body["invalid"]) == (2, 2)
    assert sorted(i["pointer"] for i in body["issues"]) == ["/code", "/ver"]
