"""check-data reads values as people and Excel write them (registry/submissions/values.py)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from registry.submissions.readers import Tally, check_file
from registry.submissions.validator import compile_form
from registry.submissions.values import ValueReader, parse_date, parse_number
from registry.syntax.documents import read_json
from registry.syntax.refs import SchemaSet

ROOT = Path(__file__).resolve().parents[2]
ABSENCE = ROOT / "templates_repo" / "272264" / "absence-notice" / "1.0.1"


@pytest.mark.parametrize(("text", "iso"), [
    ("2022/6/13", "2022-06-13"), ("2022-6-13", "2022-06-13"), ("2022年6月13日", "2022-06-13"),
    ("令和4年6月13日", "2022-06-13"), ("R4.6.13", "2022-06-13"), ("r4/6/13", "2022-06-13"),
    ("令和元年5月1日", "2019-05-01"), ("平成31年4月30日", "2019-04-30"), ("H1.1.8", "1989-01-08"),
    ("昭和64年1月7日", "1989-01-07"), ("明治45年7月29日", "1912-07-29"), ("２０２２／６／１３", "2022-06-13"),
    ("令和1年4月30日", None), ("平成元年1月7日", None), ("2022/2/30", None), ("昨日", None), ("R4.13.1", None),
])
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(("text", "integer", "value"), [
    ("４", True, 4), ("－３", True, -3), ("−３", True, -3), ("１２．５", False, 12.5), ("1,234", True, 1234),
    ("１２．５", True, None), ("四", True, None),
])
def test_parse_number(text: str, integer: bool, value: float | None) -> None:
    assert parse_number(text, integer) == value


def _form():  # type: ignore[no-untyped-def]
    return compile_form(read_json(ABSENCE / "schema.json"), SchemaSet.for_folder(ROOT / "templates_repo"))


def test_labels_dates_and_numbers_are_read_with_notes() -> None:
    form = _form()
    reader = ValueReader(form.schema, form.resolver)
    value = {"kind": "欠席", "date_from": "令和4年6月13日", "temperature": "３８．５",
             "symptoms": ["発熱", "cough"], "reason": " illness "}
    read, readings = reader.read(value)
    assert read == {"kind": "absence", "date_from": "2022-06-13", "temperature": 38.5,
                    "symptoms": ["fever", "cough"], "reason": "illness"}
    assert value["kind"] == "欠席"  # the input is not changed
    notes = {r.pointer: r.issue("f", 1, 1).message_ja for r in readings}
    assert notes["/kind"] == "『区分』の『欠席』を absence として読みました"
    assert notes["/symptoms/0"] == "『症状』の『発熱』を fever として読みました"
    assert set(notes) == {"/kind", "/date_from", "/temperature", "/symptoms/0", "/reason"}


def test_oneof_const_titles_are_labels() -> None:
    schema = {"type": "object", "properties": {"k": {"title": "区分", "oneOf": [
        {"const": "a", "title": "甲"}, {"const": "b", "title": "乙"}]}}}
    form = compile_form(schema, SchemaSet())
    read, readings = ValueReader(form.schema, form.resolver).read({"k": "乙"})
    assert read == {"k": "b"}
    assert readings[0].read_as == "b"


def _rows(tmp_path: Path, name: str, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    book.save(path)
    return path




def test_xlsx_with_labels_dates_and_serials(tmp_path: Path) -> None:
    path = _rows(tmp_path, "d.xlsx", [
        ["student.school", "student.grade", "student.name", "区分 ※必須", "日付", "理由", "連絡者氏名", "続柄"],
        ["多摩第一小学校", 3, "山田 太郎", "欠席", dt.datetime(2022, 6, 13), "けが", "山田 花子", "母"],
        ["多摩第一小学校", "３", "山田 次郎", "absence", 44725, "injury", "山田 花子", "母"],
    ])
    form = _form()
    tally = Tally()
    issues = list(check_file(form, path, tally, values=ValueReader(form.schema, form.resolver)))
    assert (tally.valid, tally.invalid) == (2, 0)
    assert all(i.severity == "info" for i in issues)
    texts = [i.message_ja for i in issues]
    assert "『区分』の『欠席』を absence として読みました" in texts
    assert "『日付』の『44725』を 2022-06-13 として読みました" in texts
    strict = Tally()
    assert any(i.severity == "error" for i in list(check_file(form, path, strict)))
    assert (strict.valid, strict.invalid) == (0, 2)


def test_xlsx_formula_is_refused_with_the_cell(tmp_path: Path) -> None:
    path = _rows(tmp_path, "f.xlsx", [["区分"], ["=A1"]])
    form = _form()
    tally = Tally()
    issues = list(check_file(form, path, tally))
    assert issues[0].rule == "xlsx.formula"
    assert "A2" in issues[0].message_ja


def test_cli_strict_values_and_notes(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_text("student.school,student.grade,student.name,区分,日付,理由,連絡者氏名,続柄\n"
                   "多摩第一小学校,3,山田 太郎,欠席,2022/6/13,けが,山田 花子,母\n", encoding="cp932")
    run = [sys.executable, "-m", "cli", "check-data", str(ABSENCE), str(csv)]
    ok = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "『区分』の『欠席』を absence として読みました" in ok.stdout
    assert "『日付』の『2022/6/13』を 2022-06-13 として読みました" in ok.stdout
    strict = subprocess.run([*run, "--strict-values"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert strict.returncode == 1
    assert "読みました" not in strict.stdout


def test_cli_refuses_a_zip_bomb_and_macros(tmp_path: Path) -> None:
    import zipfile

    bomb = tmp_path / "data.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z, z.open("xl/worksheets/sheet1.xml", "w") as f:
        for _ in range(40):
            f.write(b"\0" * (1 << 20))
    macro = tmp_path / "data.xlsm"
    macro.write_bytes(b"PK")
    for path, words in ((bomb, "圧縮爆弾"), (macro, "マクロ")):
        run = subprocess.run([sys.executable, "-m", "cli", "check-data", str(ABSENCE), str(path)],
                             capture_output=True, text=True, cwd=ROOT, check=False)
        assert run.returncode == 2
        assert words in run.stderr
