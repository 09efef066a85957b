"""The entry points the CLI and the API share: a version to workbook bytes and a workbook to a version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry.errors import InvalidTemplate
from registry.sheets import entry, formsheet, workbook
from registry.syntax.refs import Resolver, SchemaSet


def form_workbook(template: dict[str, Any], schema: Any, examples: dict[str, Any]) -> bytes:
    """The form workbook (項目, 選択肢, 設定, 記入例); InvalidTemplate naming what cannot be written."""
    try:
        sheets = formsheet.to_sheets(template, schema, examples)
    except formsheet.SheetRefused as exc:
        raise InvalidTemplate("this form has parts a spreadsheet cannot express (nothing was written)",
                              detail_ja="このフォームには表で表せない部分があります（何も書き出していません）",
                              issues=exc.issues) from None
    return workbook.write_form(sheets)


def entry_workbook(schema: Any, schemas: SchemaSet, title: str) -> bytes:
    """The entry workbook (one column per field) of a form."""
    return entry.write_entry(schema, Resolver(schema, schemas), title)


def read_form_workbook(path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(template.json, schema.json, examples) from a form workbook; InvalidTemplate with cells."""
    try:
        return formsheet.from_sheets(workbook.read_form(path))
    except formsheet.SheetErrors as exc:
        raise InvalidTemplate(f"{path}: the workbook cannot be read as a form",
                              detail_ja=f"{path}: ブックをフォームとして読めません", issues=exc.issues) from None
