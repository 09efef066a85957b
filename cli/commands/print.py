"""``yoshiki print FOLDER|LG/SLUG@VERSION [-o FILE.pdf] [--data FILE]``: the paper form as PDF.

Offline: the version folder's template.json and schema.json (common definitions and other
templates of the same repository resolve locally) are typeset by WeasyPrint into an A4 PDF,
the same document as the registry's ``/t/{lg}/{slug}/{version}/print.pdf``. ``--data`` fills it
in: one submission (JSON object), or several (a JSON array, JSON Lines, CSV), one sheet each.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cli.options import guarded, lang_option, traceback_option

HELP = """紙の様式を PDF にする / the paper form as an A4 PDF (offline).

TEMPLATE: 版のフォルダ、または LG/SLUG@VERSION（--repo のリポジトリ、なければ同梱のカタログ）。
a version folder, or LG/SLUG@VERSION in --repo (default: the current folder, then the shipped
catalogue).

--data: 記入済みの様式を作る申請データ。.json（1件のオブジェクトか配列）、.jsonl（1行1件）、
.csv（check-data と同じ読み方）。1件ごとに新しいページから印刷します。
submissions to fill in: one sheet each.

-o: 出力する PDF（既定: LG-SLUG-VERSION.pdf、- で標準出力）。 output file (- for stdout).

終了コード / exit: 0 成功 ok, 2 指定の誤り usage, 3 見つからない not found,
70 フォント・Pango がない missing font or Pango (the message names the Debian package).
"""


def load_version(template: str, repo: Path | None) -> tuple[Any, Any, Any, tuple[str, str, str]]:
    """(template.json, schema, schema set, (lg, slug, version)) of a folder or LG/SLUG@VERSION."""
    from registry.errors import NotFound
    from registry.layout import SCHEMA_FILE, TEMPLATE_FILE, VersionKey, find_repository_root
    from registry.resources import catalogue_dir
    from registry.syntax.documents import read_json
    from registry.syntax.refs import SchemaSet, version_key_of_uri

    path = Path(template)
    if path.is_dir():
        folder, root = path, find_repository_root(path)
    elif "@" in template:
        key = VersionKey.parse(template)
        candidates = [r for r in (repo or Path.cwd(), catalogue_dir()) if (r / key.relpath).is_dir()]
        if not candidates:
            raise NotFound(f"{key}: no such template version in {repo or Path.cwd()} or the catalogue",
                           detail_ja=f"{key}: {repo or Path.cwd()} にも同梱のカタログにもこの版がありません")
        root = candidates[0]
        folder = root / key.relpath
    else:
        raise NotFound(f"{template}: no such folder (or give LG/SLUG@VERSION)",
                       detail_ja=f"{template}: フォルダがありません（LG/SLUG@VERSION でも指定できます）")
    for name in (SCHEMA_FILE, TEMPLATE_FILE):
        if not (folder / name).is_file():
            raise NotFound(f"{folder}: no {name} in this folder",
                           detail_ja=f"{folder}: このフォルダに {name} がありません")
    schema = read_json(folder / SCHEMA_FILE)
    meta = read_json(folder / TEMPLATE_FILE)
    sid = schema.get("$id") if isinstance(schema, dict) else None
    key_of = version_key_of_uri(sid) if isinstance(sid, str) else None
    ident = (key_of.lg, key_of.slug, key_of.version) if key_of else \
        (folder.parent.parent.name, folder.parent.name, folder.name)
    return meta, schema, SchemaSet.for_folder(root), ident


@click.command(help=HELP)
@click.argument("template")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="出力する PDF（- で標準出力） / output PDF (- for stdout)")
@click.option("--data", "data", type=click.Path(path_type=Path, dir_okay=False),
              help="記入する申請データ (.json/.jsonl/.csv) / submissions to fill in")
@click.option("--repo", type=click.Path(path_type=Path, file_okay=False),
              help="LG/SLUG@VERSION を探すリポジトリ（既定: 現在のフォルダ） / repository for LG/SLUG@VERSION")
@click.option("--encoding", type=click.Choice(["auto", "utf-8", "cp932"]), default="auto", show_default=True,
              help="CSV の文字コード / CSV text encoding")
@lang_option
@traceback_option
@guarded
def command(template: str, output: Path | None, data: Path | None, repo: Path | None,
            encoding: str, lang: str, show_traceback: bool) -> int:
    """Write TEMPLATE's paper form (blank or filled) as a PDF."""
    from registry.errors import NotFound
    from registry.paper import model, pdf
    from registry.paper.data import read_submissions

    meta, schema, schemas, (lg, slug, version) = load_version(template, repo)
    if data is not None and not data.is_file():
        raise NotFound(f"{data}: no such file", detail_ja=f"{data}: ファイルがありません")
    records: list[Any] = [None] if data is None else read_submissions(data, schema, schemas,
                                                                       encoding=encoding)
    many = len(records) > 1
    sheets = [model.sheet(meta, schema, schemas, lg=lg, slug=slug, version=version, data=value,
                          caption=None if value is None else
                          f"申請内容の写し（{i} / {len(records)} 件）" if many else "申請内容の写し")
              for i, value in enumerate(records, 1)]
    body = pdf.render(sheets)
    target = output or Path(f"{lg}-{slug}-{version}{'-filled' if data else ''}.pdf")
    if str(target) == "-":
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    else:
        target.write_bytes(body)
        msg = (f"{target}: {len(sheets)} 枚の様式を書き出しました（{len(body):,} バイト）" if lang == "ja" else
               f"{target}: wrote {len(sheets)} sheet(s) ({len(body):,} bytes)")
        click.echo(msg, err=True)
    return 0
