"""``yoshiki import FORM.xlsx -o DIR``: a form workbook (項目, 選択肢, 設定) to a version folder.

DIR receives template.json, schema.json and examples/ in the canonical layout; the folder must be
new or empty (published versions are never overwritten). Errors name the sheet and the cell.
"""

from __future__ import annotations

from pathlib import Path

import click

from cli.options import EXIT_INVALID, guarded, lang_option, traceback_option

HELP = """Excel ブックからフォームを取り込む / import a form from a spreadsheet.

FORM: yoshiki export --format xlsx で書き出し、編集したブック（項目・選択肢・設定 シート）。
-o DIR: 版のフォルダ（template.json、schema.json、examples/ を書きます。空か新しいフォルダ）。

誤りはシート名とセル（例: 項目 シート C7）と、書くべき内容で示します。取り込んだ版は
yoshiki validate で検査されます。

終了コード / exit: 0 取り込んだ imported, 1 ブックの誤り・検査エラー invalid, 2 指定の誤り usage,
3 見つからない not found.
"""


@click.command(help=HELP)
@click.argument("form", type=click.Path(path_type=Path, dir_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="書き出す版のフォルダ / version folder to write")
@lang_option
@traceback_option
@guarded
def command(form: Path, output: Path, lang: str, show_traceback: bool) -> int:
    """Turn FORM into the version folder OUTPUT."""
    from cli.render import issues as reporters
    from registry.checks.validation import validate_paths
    from registry.errors import NotFound
    from registry.layout import VersionKey
    from registry.sheets.exports import read_form_workbook
    from registry.sheets.folders import write_version

    if not form.is_file():
        raise NotFound(f"{form}: no such file", detail_ja=f"{form}: ファイルがありません")
    template, schema, examples = read_form_workbook(form)
    key = VersionKey.from_folder(output.resolve())
    if key is not None and schema.get("$id") != key.schema_id:
        # The $id follows the folder (docs/format.md): importing 1.0.1's sheet as 1.0.2 is the usual edit.
        schema["$id"] = key.schema_id
        click.echo(f"$id を {key.schema_id} にしました（フォルダの場所から）" if lang == "ja"
                   else f"set $id to {key.schema_id} (from the folder)")
    written = write_version(output, template, schema, examples)
    click.echo(f"{output} に {len(written)} ファイルを書きました" if lang == "ja"
               else f"wrote {len(written)} file(s) to {output}")
    issues = [i for i in validate_paths([output]) if i.severity == "error"]
    if issues:
        click.echo(reporters.render("text", issues, lang, ""), err=True)
        return EXIT_INVALID
    return 0
