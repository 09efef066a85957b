"""Form workbooks as bytes and back: deterministic writing, guarded reading (openpyxl).

The same form always gives the same bytes (the API's strong ETag depends on it): the workbook's
created/modified times are fixed and the zip is rewritten with fixed entry times.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from registry.models import Issue
from registry.sheets import formsheet
from registry.sheets.formsheet import SheetErrors, Sheets
from registry.sheets.safety import open_workbook

FIXED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_MODIFIED = re.compile(rb"(<dcterms:(?:modified|created)[^>]*>)[^<]*(</dcterms:(?:modified|created)>)")
MAX_SHEET_ROWS = 10_000


def new_workbook() -> Any:
    """An empty openpyxl workbook with fixed document times."""
    import openpyxl

    book = openpyxl.Workbook()
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    book.properties.creator = "Yoshiki"
    book.properties.lastModifiedBy = "Yoshiki"
    return book


def set_text(cell: Any, value: Any) -> None:
    """Write a value; text beginning with '=' stays text (never a formula)."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def to_bytes(book: Any) -> bytes:
    """The workbook's bytes with fixed zip entry times (deterministic)."""
    raw = io.BytesIO()
    book.properties.modified = FIXED_TIME
    book.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time into dcterms:modified whatever the properties say.
                data = _MODIFIED.sub(rb"\g<1>" + FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", data)
            dst.writestr(fixed, data)
    return out.getvalue()


def write_form(sheets: Sheets) -> bytes:
    """The form workbook: 項目, 選択肢, 設定 and 記入例 sheets with Japanese headers."""
    from openpyxl.styles import Alignment, Font, PatternFill

    book = new_workbook()
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    layout = ((formsheet.ITEMS_SHEET, formsheet.ITEM_COLUMNS, sheets.items, (14, 20, 14, 8, 40, 14, 30, 8, 24, 6)),
              (formsheet.CHOICES_SHEET, formsheet.CHOICE_COLUMNS, sheets.choices, (20, 20, 30)),
              (formsheet.SETTINGS_SHEET, formsheet.SETTING_COLUMNS, sheets.settings, (20, 60)),
              (formsheet.EXAMPLES_SHEET, formsheet.EXAMPLE_COLUMNS, sheets.examples, (10, 24, 80)))
    for index, (title, header, rows, widths) in enumerate(layout):
        ws = book.active if index == 0 else book.create_sheet()
        ws.title = title
        ws.append(list(header))
        for cell in ws[1]:
            cell.font, cell.fill = bold, fill
        for r, row in enumerate(rows, 2):
            for c, value in enumerate(row, 1):
                if value != "":
                    cell = ws.cell(row=r, column=c)
                    set_text(cell, value)
                    if "\n" in value:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
        for c, width in enumerate(widths, 1):
            ws.column_dimensions[_letter(c - 1)].width = width
        ws.freeze_panes = "A2"
    return to_bytes(book)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def read_form(path: Path) -> Sheets:
    """The rows of a form workbook; SheetErrors for formulas, missing sheets, too many rows."""
    book = open_workbook(path)
    errors: list[Issue] = []
    try:
        names = book.sheetnames
        sheets = Sheets()
        for title, header, target, required in (
                (formsheet.ITEMS_SHEET, formsheet.ITEM_COLUMNS, sheets.items, True),
                (formsheet.CHOICES_SHEET, formsheet.CHOICE_COLUMNS, sheets.choices, False),
                (formsheet.SETTINGS_SHEET, formsheet.SETTING_COLUMNS, sheets.settings, True),
                (formsheet.EXAMPLES_SHEET, formsheet.EXAMPLE_COLUMNS, sheets.examples, False)):
            if title not in names:
                if required:
                    errors.append(Issue(rule="sheet.missing", message=f"the workbook has no sheet {title}",
                                        message_ja=f"ブックに {title} シートがありません（シート名を {title} にしてください）"))
                continue
            _read_sheet(book[title], title, header, target, errors)
    finally:
        book.close()
    if errors:
        raise SheetErrors(errors)
    return sheets


def _too_large(title: str) -> Issue:
    return Issue(rule="sheet.too-large", message=f"sheet {title}: more than {MAX_SHEET_ROWS} rows",
                 message_ja=f"{title} シート: {MAX_SHEET_ROWS} 行を超えています。不要な行を削除してください")


def _read_sheet(ws: Any, title: str, header: tuple[str, ...], target: list[list[str]], errors: list[Issue]) -> None:
    declared = ws.max_row  # the sheet's <dimension>, when Excel wrote one: refuse before reading rows
    if isinstance(declared, int) and declared > MAX_SHEET_ROWS + 1:
        errors.append(_too_large(title))
        return
    rows = ws.iter_rows()
    first = next(rows, None)
    got = [str(c.value).strip() if c.value is not None else "" for c in first or ()]
    positions = []
    for name in header:
        if name not in got:
            errors.append(Issue(rule="sheet.header", message=f"sheet {title}: no column {name} in row 1",
                                message_ja=f"{title} シート 1行目: 列『{name}』がありません"))
            return
        positions.append(got.index(name))
    for r, row in enumerate(rows, 2):
        if r - 1 > MAX_SHEET_ROWS:
            errors.append(_too_large(title))
            return
        values: list[str] = []
        for p in positions:
            cell = row[p] if p < len(row) else None
            v = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f":
                errors.append(Issue(rule="sheet.formula", file=f"{title}!{_letter(p)}{r}",
                                    message=f"sheet {title} {_letter(p)}{r}: a formula ({v}); write the value",
                                    message_ja=f"{title} シート {_letter(p)}{r}: 数式（{v}）は読めません。値を書いてください"))
                v = None
            values.append(_text(v))
        if any(values):
            while len(target) < r - 2:
                target.append([""] * len(header))
            target.append(values)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return formsheet.YES if v else formsheet.NO
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    return str(v)
