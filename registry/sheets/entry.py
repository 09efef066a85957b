"""Entry workbook: one column per field, for counter staff typing in paper forms.

Row 1 holds the fields' Japanese titles (a required field is marked ``※必須``), frozen. Choices
are drop-downs of their labels (kept on a hidden コード sheet), dates are date cells, はい/いいえ
fields offer はい and いいえ, integers are checked as whole numbers. ``check-data`` reads the filled
workbook — or its CSV saved from Excel — directly: labels and date cells are read as the form's
values (registry/submissions/values.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from registry.submissions.values import FieldInfo, ValueReader
from registry.syntax.refs import Resolver

ENTRY_SHEET, CODES_SHEET = "入力", "コード"
REQUIRED_SUFFIX = " ※必須"
ENTRY_ROWS = 500


@dataclass(frozen=True)
class Column:
    """One column of the entry sheet."""

    path: tuple[str, ...]
    titles: tuple[str, ...]
    field: FieldInfo
    required: bool
    header: str = ""

    @property
    def choices(self) -> list[tuple[Any, str]]:
        """(value, label) of a choice field (labels from x-yoshiki-enum-labels)."""
        f = self.field.items if self.field.values is None and self.field.items is not None else self.field
        if f is None or f.values is None:
            return []
        labels = f.schema.get("x-yoshiki-enum-labels")
        if not isinstance(labels, dict):
            by_value = {v: k for k, v in reversed(list(f.labels.items()))}  # oneOf titles; first wins
            return [(v, by_value.get(v, str(v))) for v in f.values]
        return [(v, str(labels.get(str(v), v))) for v in f.values]


def columns(schema: Any, resolver: Resolver) -> tuple[list[Column], list[str]]:
    """(the entry columns, the fields left out because one cell cannot hold them: lists of groups)."""
    root = ValueReader(schema, resolver).root
    out: list[Column] = []
    left_out: list[str] = []

    def walk(f: FieldInfo, path: tuple[str, ...], titles: tuple[str, ...], required: bool) -> None:
        for name, sub in f.properties.items():
            p, t, req = (*path, name), (*titles, sub.title), required and name in f.required
            if sub.properties and "array" not in sub.types:
                walk(sub, p, t, req)
            elif sub.items is not None and sub.items.properties:
                left_out.append(".".join(p))
            else:
                out.append(Column(p, t, sub, req))

    walk(root, (), (), True)
    leaf_counts: dict[str, int] = {}
    for c in out:
        leaf_counts[c.titles[-1]] = leaf_counts.get(c.titles[-1], 0) + 1
    named = []
    for c in out:
        text = c.titles[-1] if leaf_counts[c.titles[-1]] == 1 else ".".join(c.titles)
        named.append(Column(c.path, c.titles, c.field, c.required, text + (REQUIRED_SUFFIX if c.required else "")))
    return named, left_out


def write_entry(schema: Any, resolver: Resolver, title: str) -> bytes:
    """The entry workbook's bytes (deterministic)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    from registry.sheets.workbook import new_workbook, set_text, to_bytes

    cols, left_out = columns(schema, resolver)
    book = new_workbook()
    ws = book.active
    ws.title = ENTRY_SHEET
    codes = book.create_sheet(CODES_SHEET)
    codes.sheet_state = "hidden"
    bold = Font(bold=True)
    required_fill, optional_fill = PatternFill("solid", fgColor="FCE4D6"), PatternFill("solid", fgColor="DDEBF7")
    code_col = 0
    for i, col in enumerate(cols, 1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i)
        set_text(cell, col.header)
        cell.font = bold
        cell.fill = required_fill if col.required else optional_fill
        ws.column_dimensions[letter].width = max(12, min(40, len(col.header) * 2 + 2))
        area = f"{letter}2:{letter}{ENTRY_ROWS + 1}"
        f = col.field
        choices = col.choices
        if choices:
            code_col += 1
            cl = get_column_letter(code_col)
            set_text(codes.cell(row=1, column=code_col), ".".join(col.path))
            for r, (_, label) in enumerate(choices, 2):
                set_text(codes.cell(row=r, column=code_col), label)
            source = f"{quote_sheetname(CODES_SHEET)}!${cl}$2:${cl}${len(choices) + 1}"
            if f.values is not None:
                dv = DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                                    errorTitle="選択肢にありません", error="一覧から選んでください。")
                dv.add(area)
                ws.add_data_validation(dv)
            else:
                cell.comment = Comment("複数選ぶときは「、」で区切ってください: "
                                       + "、".join(label for _, label in choices), "Yoshiki")
        elif f.date:
            # A column style (not 500 pre-made cells): rows typed or appended start at row 2.
            ws.column_dimensions[letter].number_format = "yyyy/m/d"
            dv = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True,
                                showErrorMessage=True, errorTitle="日付ではありません", error="2024/4/1 のように日付を入力してください。")
            dv.add(area)
            ws.add_data_validation(dv)
        elif f.types == {"boolean"}:
            dv = DataValidation(type="list", formula1='"はい,いいえ"', allow_blank=True)
            dv.add(area)
            ws.add_data_validation(dv)
        elif f.types == {"integer"}:
            lo, hi = f.schema.get("minimum"), f.schema.get("maximum")
            dv = DataValidation(type="whole", operator="between", formula1=str(lo if lo is not None else -(10**9)),
                                formula2=str(hi if hi is not None else 10**9), allow_blank=True,
                                showErrorMessage=True, errorTitle="整数ではありません", error="整数を入力してください。")
            dv.add(area)
            ws.add_data_validation(dv)
        else:
            ws.column_dimensions[letter].number_format = "@"  # text: 0120 and 2060011 stay as typed
        description = f.schema.get("description")
        if isinstance(description, str) and description and cell.comment is None:
            cell.comment = Comment(description[:500], "Yoshiki")
    if left_out:
        set_text(codes.cell(row=1, column=code_col + 2), "入力欄のない項目 (一覧)")
        for r, name in enumerate(left_out, 2):
            set_text(codes.cell(row=r, column=code_col + 2), name)
    ws.freeze_panes = "A2"
    book.properties.title = title
    return to_bytes(book)
