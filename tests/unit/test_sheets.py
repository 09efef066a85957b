"""Forms as spreadsheets both ways, entry workbooks, hostile workbooks (registry/sheets)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from registry.diff import diff, required_bump
from registry.errors import InvalidTemplate, UsageError
from registry.layout import iter_version_dirs
from registry.sheets import entry
from registry.sheets.exports import entry_workbook, form_workbook, read_form_workbook
from registry.sheets.folders import read_version, write_version
from registry.submissions.readers import Tally, check_file
from registry.submissions.validator import compile_form
from registry.submissions.values import ValueReader
from registry.syntax.refs import SchemaSet

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "templates_repo"
VERSIONS = list(iter_version_dirs(CATALOGUE))
ABSENCE = CATALOGUE / "272264" / "absence-notice" / "1.0.1"
SCHEMAS = SchemaSet.for_folder(CATALOGUE)


def _round_trip(folder: Path, tmp_path: Path) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    book = tmp_path / "form.xlsx"
    book.write_bytes(form_workbook(*read_version(folder)))
    return read_form_workbook(book)


@pytest.mark.parametrize("folder", VERSIONS, ids=lambda p: "/".join(p.parts[-3:]))
def test_every_catalogue_version_round_trips_with_no_change(folder: Path, tmp_path: Path) -> None:
    template, schema, examples = read_version(folder)
    t2, s2, e2 = _round_trip(folder, tmp_path)
    d = diff(schema, s2, old_schemas=SCHEMAS, new_schemas=SCHEMAS)
    assert d.changes == []
    assert required_bump(d, "BACKWARD") == "none"
    assert t2 == template
    assert e2 == examples


def test_catalogue_is_all_there() -> None:
    assert len(VERSIONS) >= 20


def test_bytes_are_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    version = read_version(ABSENCE)
    first = form_workbook(*version)
    real = dt.datetime

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:  # openpyxl stamps the save time: a later save
            return real.now(tz) + dt.timedelta(days=400)

        @classmethod
        def utcnow(cls) -> Any:
            return real.utcnow() + dt.timedelta(days=400)

    monkeypatch.setattr(dt, "datetime", Later)
    assert form_workbook(*version) == first
    schema = version[1]
    assert entry_workbook(schema, SCHEMAS, "t") == entry_workbook(schema, SCHEMAS, "t")


def test_cli_round_trip_diff_reports_no_change(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CATALOGUE / "common", repo / "common") if (CATALOGUE / "common").exists() else None
    book = tmp_path / "form.xlsx"
    run = [sys.executable, "-m", "cli"]
    out = subprocess.run([*run, "export", "272264/absence-notice@1.0.1", "--repo", str(CATALOGUE), "--format", "xlsx",
                          "-o", str(book)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    target = repo / "272264" / "absence-notice" / "1.0.1"
    imp = subprocess.run([*run, "import", str(book), "-o", str(target)], capture_output=True, text=True, check=False)
    assert imp.returncode == 0, imp.stdout + imp.stderr
    d = subprocess.run([*run, "diff", str(ABSENCE / "schema.json"), str(target / "schema.json"), "--format", "json"],
                       capture_output=True, text=True, check=False)
    report = json.loads(d.stdout)
    assert report["bump"] == "none"
    assert report["changes"] == []


def test_edited_workbook_imports_to_the_expected_diff(tmp_path: Path) -> None:
    book_path = tmp_path / "form.xlsx"
    book_path.write_bytes(form_workbook(*read_version(ABSENCE)))
    book = openpyxl.load_workbook(book_path)
    items, choices = book["項目"], book["選択肢"]
    header = [c.value for c in items[1]]
    for row in items.iter_rows(min_row=2):
        if row[0].value == "relationship":
            row[header.index("必須")].value = None  # made optional
    choices.append(["reason", "covid", "新型コロナ"])  # a choice added
    book.save(book_path)
    _, new, _ = read_form_workbook(book_path)
    old = read_version(ABSENCE)[1]
    d = diff(old, new, old_schemas=SCHEMAS, new_schemas=SCHEMAS)
    kinds = sorted((c.kind, c.pointer, c.field) for c in d.changes)
    assert kinds == [("annotation_changed", "/properties/reason/x-yoshiki-enum-labels", "/reason"),
                     ("enum_value_added", "/properties/reason/enum", "/reason"),
                     ("required_removed", "/required", "/relationship")]
    assert d.backward == "compatible"
    assert required_bump(d, "BACKWARD") == "minor"
    assert new["properties"]["reason"]["x-yoshiki-enum-labels"]["covid"] == "新型コロナ"
    assert "relationship" not in new["required"]


def test_what_a_sheet_cannot_express_is_refused_with_the_pointer() -> None:
    template, schema, examples = read_version(ABSENCE)
    schema = json.loads(json.dumps(schema))
    schema["properties"]["message"]["not"] = {"const": "x"}
    schema["properties"]["kind"]["oneOf"] = [{"const": "absence"}]
    with pytest.raises(InvalidTemplate) as exc:
        form_workbook(template, schema, examples)
    pointers = {i.pointer for i in exc.value.issues}
    assert pointers == {"/properties/message", "/properties/kind"}
    assert "表の列で表せません" in exc.value.issues[0].message_ja


def _edit(tmp_path: Path, change: Any) -> Path:
    path = tmp_path / "form.xlsx"
    path.write_bytes(form_workbook(*read_version(ABSENCE)))
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)
    return path


def test_import_error_names_sheet_cell_and_suggests(tmp_path: Path) -> None:
    path = _edit(tmp_path, lambda b: b["項目"].cell(row=7, column=3, value="日付け"))
    with pytest.raises(InvalidTemplate) as exc:
        read_form_workbook(path)
    assert exc.value.issues[0].message_ja == "項目 シート C7: 種類『日付け』は使えません。日付 ですか？"


def test_bad_condition_and_bounds_name_their_cells(tmp_path: Path) -> None:
    def change(b: Any) -> None:
        ws = b["項目"]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == "time":
                row[8].value = "区分 = 欠勤"
                row[5].value = "いっぱい"
    with pytest.raises(InvalidTemplate) as exc:
        read_form_workbook(_edit(tmp_path, change))
    texts = [i.message_ja for i in exc.value.issues]
    assert any("I" in t and "『欠勤』は『区分』の選択肢にありません" in t for t in texts)
    assert any("F" in t and "『いっぱい』は読めません" in t for t in texts)


# --------------------------------------------------------------------------- hostile workbooks


def test_formula_is_refused(tmp_path: Path) -> None:
    path = _edit(tmp_path, lambda b: b["項目"].cell(row=3, column=2, value="=A1&A2"))
    with pytest.raises(InvalidTemplate) as exc:
        read_form_workbook(path)
    assert exc.value.issues[0].message_ja.startswith("項目 シート B3: 数式")


def test_merged_cells_are_refused(tmp_path: Path) -> None:
    path = _edit(tmp_path, lambda b: b["項目"].merge_cells("A3:B3"))
    with pytest.raises(UsageError) as exc:
        read_form_workbook(path)
    assert "A3:B3" in exc.value.detail_ja


def test_macro_workbooks_are_refused(tmp_path: Path) -> None:
    xlsm = tmp_path / "form.xlsm"
    xlsm.write_bytes(form_workbook(*read_version(ABSENCE)))
    with pytest.raises(UsageError, match="macro"):
        read_form_workbook(xlsm)
    hidden = tmp_path / "hidden.xlsx"
    with zipfile.ZipFile(xlsm) as src, zipfile.ZipFile(hidden, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/vbaProject.bin", b"\0" * 100)
    with pytest.raises(UsageError) as exc:
        read_form_workbook(hidden)
    assert "マクロ" in exc.value.detail_ja


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(40):
                f.write(chunk)
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(UsageError) as exc:
        read_form_workbook(bomb)
    assert "圧縮爆弾" in exc.value.detail_ja


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "form.xlsx"
    fake.write_text("項目ID,項目名\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"not an \.xlsx"):
        read_form_workbook(fake)


def _huge(tmp_path: Path, rows: int, dimension: bool) -> Path:
    """A form workbook whose 項目 sheet has ``rows`` rows, its sheet XML written directly (fast)."""
    small = tmp_path / "small.xlsx"
    small.write_bytes(form_workbook(*read_version(ABSENCE)))
    body = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>f{i}</t></is></c>'
                   f'<c r="C{i}" t="inlineStr"><is><t>テキスト</t></is></c></row>' for i in range(2, rows + 2))
    header = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>' for i, h in enumerate(
        ["項目ID", "項目名", "種類", "必須", "説明", "上限・下限", "形式", "個人情報", "表示条件", "固定"]))
    xml = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
           'spreadsheetml/2006/main">' + (f'<dimension ref="A1:J{rows + 1}"/>' if dimension else "")
           + f'<sheetData><row r="1">{header}</row>{body}</sheetData></worksheet>')
    big = tmp_path / f"big-{dimension}.xlsx"
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info))
    return big


@pytest.mark.parametrize("dimension", [True, False], ids=["declared-size", "streamed"])
def test_hundred_thousand_rows_are_refused_with_bounded_memory(tmp_path: Path, dimension: bool) -> None:
    path = _huge(tmp_path, 100_000, dimension)
    # In a fresh process, so its peak resident memory is this read's (tracemalloc is too slow here).
    script = ("import resource, sys\n"
              "from registry.sheets.exports import read_form_workbook\n"
              "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
              "try:\n    read_form_workbook(__import__('pathlib').Path(sys.argv[1]))\n"
              "except Exception as exc:\n    print(exc.issues[0].message_ja)\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n")
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout.splitlines()
    assert "行を超えています" in out[0]
    assert int(out[1]) < 64 * 1024  # KiB: the sheet's rows are streamed, not held


# --------------------------------------------------------------------------- entry workbook


def _filled_entry(tmp_path: Path, folder: Path) -> tuple[Path, list[list[Any]]]:
    schema = read_version(folder)[1]
    path = tmp_path / "entry.xlsx"
    path.write_bytes(entry_workbook(schema, SCHEMAS, "t"))
    form = compile_form(schema, SCHEMAS)
    cols, _ = entry.columns(schema, form.resolver)
    book = openpyxl.load_workbook(path)
    ws = book["入力"]
    assert [c.value for c in ws[1]] == [c.header for c in cols]
    assert ws.freeze_panes == "A2"
    assert book["コード"].sheet_state == "hidden"
    rows: list[list[Any]] = []
    for example in sorted((folder / "examples" / "valid").glob("*.json")):
        value = json.loads(example.read_text(encoding="utf-8"))
        row: list[Any] = []
        for col in cols:
            v: Any = value
            for token in col.path:
                v = v.get(token) if isinstance(v, dict) else None
            labels = dict(col.choices)
            if v is None:
                row.append(None)
            elif isinstance(v, list):
                row.append("、".join(labels.get(x, x) for x in v))
            elif col.field.date:
                row.append(dt.datetime.fromisoformat(v))
            elif isinstance(v, bool):
                row.append("はい" if v else "いいえ")
            else:
                row.append(labels.get(v, v))
        ws.append(row)
        rows.append(row)
    book.save(path)
    return path, [[c.header for c in cols], *rows]


@pytest.mark.parametrize("folder", [ABSENCE, CATALOGUE / "271403" / "after-school-club-application" / "2.0.0",
                                    CATALOGUE / "132241" / "staff-lunch-survey" / "1.1.0"],
                         ids=lambda p: "/".join(p.parts[-3:]))
def test_filled_entry_workbook_and_its_csv_pass_check_data(folder: Path, tmp_path: Path) -> None:
    path, rows = _filled_entry(tmp_path, folder)
    schema = read_version(folder)[1]
    form = compile_form(schema, SCHEMAS)
    values = ValueReader(form.schema, form.resolver)
    tally = Tally()
    problems = [i for i in check_file(form, path, tally, values=values) if i.severity == "error"]
    assert problems == []
    assert tally.valid == len(rows) - 1
    for encoding in ("cp932", "utf-8-sig"):
        text = io.StringIO()
        w = csv.writer(text, lineterminator="\r\n")
        for row in rows:  # what Excel writes: a date cell as 2022/6/13
            w.writerow(["" if v is None else f"{v.year}/{v.month}/{v.day}" if isinstance(v, dt.datetime) else v
                        for v in row])
        csv_path = tmp_path / f"entry-{encoding}.csv"
        csv_path.write_bytes(text.getvalue().encode(encoding))
        tally = Tally()
        problems = [i for i in check_file(form, csv_path, tally, values=values) if i.severity == "error"]
        assert problems == [], encoding
        assert tally.valid == len(rows) - 1


def test_write_version_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("x")
    with pytest.raises(UsageError):
        write_version(tmp_path, {}, {}, {})


def test_settings_keep_text_and_refuse_what_they_cannot_carry() -> None:
    template, schema, examples = read_version(ABSENCE)
    template = {**template, "description": "[重要] 当日 8:15 まで", "x-note": {"a": 1}}
    assert form_workbook(template, schema, examples)
    with pytest.raises(InvalidTemplate) as exc:
        form_workbook({**template, "odd": 3}, schema, examples)
    assert [i.pointer for i in exc.value.issues] == ["template.json#/odd"]
