"""``yoshiki export FOLDER|LG/SLUG@V --format xlsx|entry-xlsx -o FILE``: a form as a workbook.

``xlsx``: the form itself (sheets 項目, 選択肢, 設定, 記入例) to edit and bring back with
``yoshiki import``; what a sheet cannot express is refused with its pointer, never dropped.
``entry-xlsx``: a workbook for typing in submissions, one column per field; check it with
``yoshiki check-data``.
"""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import guarded, lang_option, traceback_option

HELP = """フォームを Excel ブックに書き出す / export a form as a spreadsheet.

SOURCE: 版のフォルダ、または LG/SLUG@VERSION（--repo のリポジトリ内）。

--format xlsx: フォームそのもの（項目・選択肢・設定・記入例 シート）。編集して yoshiki import で
取り込めます。表で表せない部分があるときは、その場所と理由を示して書き出しません。
--format entry-xlsx: 申請の入力用ブック（1列に1項目、選択肢はプルダウン、日付はセルの書式）。
入力後に yoshiki check-data で検査できます。

終了コード / exit: 0 書き出した written, 1 表で表せない cannot express, 2 指定の誤り usage,
3 見つからない not found.
"""


@click.command(help=HELP)
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "entry-xlsx"]), default="xlsx", show_default=True,
              help="xlsx: フォーム form / entry-xlsx: 入力用 for entering submissions")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="書き出すファイル / output file")
@click.option("--repo", type=click.Path(path_type=Path, file_okay=False),
              help="LG/SLUG@VERSION を探すリポジトリ（既定: 現在のフォルダ） / repository for LG/SLUG@VERSION")
@lang_option
@traceback_option
@guarded
def command(source: str, fmt: str, output: Path, repo: Path | None, lang: str, show_traceback: bool) -> int:
    """Write SOURCE's form (or its entry workbook) to OUTPUT."""
    from registry.layout import find_repository_root
    from registry.sheets.exports import entry_workbook, form_workbook
    from registry.sheets.folders import locate, read_version
    from registry.syntax.refs import SchemaSet

    folder = locate(source, repo)
    template, schema, examples = read_version(folder)
    if fmt == "xlsx":
        data = form_workbook(template, schema, examples)
    else:
        title = template.get("title") or (schema.get("title") if isinstance(schema, dict) else "") or ""
        data = entry_workbook(schema, SchemaSet.for_folder(find_repository_root(folder)), str(title))
    output.write_bytes(data)
    what = "フォーム" if fmt == "xlsx" else "入力用ブック"
    click.echo(f"{output} に{what}を書き出しました（{folder}）" if lang == "ja"
               else f"wrote {'the form' if fmt == 'xlsx' else 'the entry workbook'} of {folder} to {output}")
    return 0
