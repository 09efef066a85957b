"""``yoshiki check-data TEMPLATE DATA...``: check resident submissions against a form.

TEMPLATE is a version folder, a schema file, or ``LG/SLUG@VERSION`` in ``--repo`` (default: the
current folder). DATA files are JSON (one object or an array), JSON Lines, CSV (UTF-8, UTF-8
with BOM or CP932) or .xlsx. Values people write (choice labels, Japanese dates, full-width digits) are
read as the form means them, each reading reported as info (``--strict-values``: off). Problems are printed as they are found, so memory does not grow with the
data; the summary counts valid and invalid submissions. Exit 0 when all are valid, 1 otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.options import EXIT_INVALID, format_option, guarded, lang_option, traceback_option

if TYPE_CHECKING:
    from registry.syntax.refs import SchemaSet

# --format json/markdown must hold the report in memory: keep it bounded.
MAX_COLLECTED = 10_000


def load_form_schema(template: str, repo: Path | None) -> tuple[Any, SchemaSet, str]:
    """(schema, schema set, display name) for a version folder, a schema file or LG/SLUG@VERSION."""
    from registry.errors import NotFound
    from registry.layout import SCHEMA_FILE, VersionKey, find_repository_root
    from registry.syntax.documents import read_json
    from registry.syntax.refs import SchemaSet

    path = Path(template)
    if path.is_dir():
        schema_path = path / SCHEMA_FILE
        if not schema_path.is_file():
            raise NotFound(f"{path}: no {SCHEMA_FILE} in this folder",
                           detail_ja=f"{path}: このフォルダに {SCHEMA_FILE} がありません")
        root = find_repository_root(path)
        return read_json(schema_path), SchemaSet.for_folder(root), str(path)
    if path.is_file():
        return read_json(path), SchemaSet.for_folder(find_repository_root(path.parent)), str(path)
    if "@" not in template:
        raise NotFound(f"{template}: no such folder or file (or give LG/SLUG@VERSION)",
                       detail_ja=f"{template}: フォルダもファイルもありません（LG/SLUG@VERSION でも指定できます）")
    key = VersionKey.parse(template)
    root = repo or Path.cwd()
    schema_path = root / key.relpath / SCHEMA_FILE
    if not schema_path.is_file():
        raise NotFound(f"{key}: no such template version in {root}",
                       detail_ja=f"{key}: {root} にこのテンプレートの版がありません")
    return read_json(schema_path), SchemaSet.for_folder(root), str(key)


def summary_of(tally: Any, omitted: int, lang: str) -> str:
    """The summary line: how many submissions are valid and invalid."""
    total = tally.valid + tally.invalid
    if lang == "ja":
        text = (f"{tally.files} ファイル・{total} 件を検査しました: 正しい申請 {tally.valid} 件、"
                f"誤りのある申請 {tally.invalid} 件")
        return text + (f"（表示しきれない指摘 {omitted} 件を省略）" if omitted else "")
    text = f"checked {total} submission(s) in {tally.files} file(s): {tally.valid} valid, {tally.invalid} invalid"
    return text + (f" ({omitted} more problem(s) not shown)" if omitted else "")


HELP = """申請データをフォームで検査する / check submissions (JSON, JSONL, CSV, xlsx) against a form.

TEMPLATE: 版のフォルダ、schema.json、または LG/SLUG@VERSION（--repo のリポジトリ内）。
a version folder, a schema file, or LG/SLUG@VERSION in --repo.

DATA: .json（1件のオブジェクトか配列）、.jsonl / .ndjson（1行1件）、.csv（1行目が項目名:
プロパティ名か日本語の項目名、入れ子は child.name のようにドットでつなぐ）。CSV の文字コードは
UTF-8・BOM 付き UTF-8・CP932(Shift_JIS) を自動判定（--encoding で指定も可）。空のセルは未入力、
数値・真偽値（はい/いいえ）の列はフォームの型に合わせて変換します。.xlsx は最初の表示シートを読みます。

そのままでは誤りになる値は、人や Excel が書く形として読み直します（選択肢の表示名 → 値、
2022/6/13・2022年6月13日・令和4年6月13日・R4.6.13 → 2022-06-13、全角の数字・符号 → 数値）。
読み替えたものはすべて「読みました」という情報として表示します。--strict-values で無効にできます。

終了コード / exit: 0 すべて正しい all valid, 1 誤りあり some invalid, 2 指定の誤り usage,
3 見つからない not found.
"""


@click.command(help=HELP)
@click.argument("template")
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--repo", type=click.Path(path_type=Path, file_okay=False),
              help="LG/SLUG@VERSION を探すリポジトリ（既定: 現在のフォルダ） / repository for LG/SLUG@VERSION")
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "cp932"]), default="auto", show_default=True,
              help="CSV の文字コード / CSV text encoding")
@click.option("--strict-values", is_flag=True,
              help="書かれたとおりの値だけを受け付ける（表示名・和暦・全角数字を読み替えない） / "
                   "accept values only as the form writes them (no labels, Japanese dates, full-width digits)")
@format_option("text", "json", "github", "markdown")
@lang_option
@traceback_option
@guarded
def command(template: str, data: tuple[Path, ...], repo: Path | None, encoding: str, strict_values: bool,
            fmt: str, lang: str, show_traceback: bool) -> int:
    """Check every submission in DATA against TEMPLATE's form."""
    from cli.render import issues as reporters
    from cli.render.issues import json as json_report
    from registry.errors import NotFound
    from registry.models import Issue
    from registry.submissions.readers import Tally, check_file
    from registry.submissions.validator import compile_form
    from registry.submissions.values import ValueReader

    schema, schemas, _ = load_form_schema(template, repo)
    for path in data:
        if not path.is_file():
            raise NotFound(f"{path}: no such file", detail_ja=f"{path}: ファイルがありません")
    form = compile_form(schema, schemas)
    values = None if strict_values else ValueReader(form.schema, form.resolver)
    tally = Tally()
    collected: list[Issue] = []
    omitted = 0
    streaming = fmt in ("text", "github")
    out = sys.stdout
    for path in data:
        for issue in check_file(form, path, tally, encoding=encoding, source=str(path), values=values):
            if streaming:
                line = reporters.github_line(issue, lang) if fmt == "github" else \
                    reporters.text([issue], lang, "").rstrip("\n")
                out.write(line + "\n")
            elif len(collected) < MAX_COLLECTED:
                collected.append(issue)
            else:
                omitted += 1
    summary = summary_of(tally, omitted, lang)
    if streaming:
        out.write(summary + "\n")
    elif fmt == "json":
        click.echo(json_report(collected, lang, summary, extra={
            "valid": tally.valid, "invalid": tally.invalid, "omitted": omitted}))
    else:
        click.echo(reporters.render(fmt, collected, lang, summary))
    return EXIT_INVALID if tally.invalid else 0
