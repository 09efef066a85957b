"""``yoshiki merge BASE OURS THEIRS [-o OUT]``: three-way structural merge of JSON files.

Exit 0 with the merged JSON written (to OUT or stdout), 1 with the conflicts listed and nothing
written, 2 for a usage error, 3 when a file is missing. Works as a git merge driver
(``yoshiki merge %O %A %B -o %A``): OUT is replaced atomically and only on a clean merge, so on
a conflict git keeps ours and marks the file conflicted. See docs/merge.md.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from cli.options import EXIT_INVALID, format_option, guarded, lang_option, traceback_option

# Long values (a whole property) are cut in the text listing; --format json gives them whole.
_TEXT_VALUE_LIMIT = 300


def _render_value(value: Any, lang: str) -> str:
    from registry.merge import MISSING

    if value is MISSING:
        return "（なし）" if lang == "ja" else "(absent)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return text if len(text) <= _TEXT_VALUE_LIMIT else text[:_TEXT_VALUE_LIMIT] + "…"


def _text_report(conflicts: list[Any], lang: str, output: Path | None) -> str:
    labels = (("共通の元 base  ", "こちら   ours  ", "相手     theirs")
              if lang == "ja" else ("base  ", "ours  ", "theirs"))
    n = len(conflicts)
    nothing = (f"{output} は変更していません" if output else "何も出力していません") if lang == "ja" \
        else (f"{output} left unchanged" if output else "nothing written")
    lines = [f"マージの競合が {n} 件あります（{nothing}）。" if lang == "ja"
             else f"{n} merge conflict{'s' if n != 1 else ''} ({nothing})."]
    for c in conflicts:
        message = c.message_ja if lang == "ja" else c.message
        lines.append(f"{c.pointer or '/'}: {message} [{c.kind}]")
        for label, value in zip(labels, (c.base, c.ours, c.theirs), strict=True):
            lines.append(f"    {label}: {_render_value(value, lang)}")
    lines.append(
        "→ 競合ごとに --resolve POINTER ours|theirs|JSON で解決するか、OURS を編集してもう一度実行してください。"
        if lang == "ja" else
        "→ resolve each with --resolve POINTER ours|theirs|JSON, or edit OURS and run again.")
    return "\n".join(lines)


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one rename so a reader (git) never sees half a file."""
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parse_resolutions(pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    from registry.errors import InvalidDocument, UsageError
    from registry.merge import Value
    from registry.syntax.documents import parse_json_text

    resolutions: dict[str, Any] = {}
    for pointer, choice in pairs:
        if choice in ("ours", "theirs"):
            resolutions[pointer] = choice
            continue
        try:
            resolutions[pointer] = Value(parse_json_text(choice, f"--resolve {pointer}"))
        except InvalidDocument as exc:
            raise UsageError(
                f"--resolve {pointer}: give ours, theirs or a JSON value ({exc.detail})",
                detail_ja=f"--resolve {pointer}: ours・theirs・JSON の値のいずれかを指定してください（{exc.detail_ja}）",
            ) from None
    return resolutions


@click.command(help="""3 つの JSON を構造的にマージします（スキーマ・template.json）。

Three-way structural merge of JSON Schemas: BASE is the common ancestor, OURS and THEIRS the two
edited versions. Objects merge key by key, required/enum/type as sets, other arrays whole.

終了コード / exit: 0 clean (merged JSON written to OUT or stdout), 1 conflicts (listed, nothing
written), 2 usage, 3 file not found. Git merge driver: yoshiki merge %O %A %B -o %A
""")
@click.argument("base", type=click.Path(path_type=Path, dir_okay=True))
@click.argument("ours", type=click.Path(path_type=Path, dir_okay=True))
@click.argument("theirs", type=click.Path(path_type=Path, dir_okay=True))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="マージ結果の書き込み先（競合時は書き込まない） / write the merge here (only when clean)")
@click.option("--template", "as_template", is_flag=True,
              help="template.json として扱う（自治体固有の項目は OURS から） / merge as template.json "
                   "(automatic when a file is named template.json)")
@click.option("--resolve", "resolve_pairs", type=(str, str), multiple=True,
              metavar="POINTER CHOICE",
              help="競合の解決: ours, theirs または JSON の値 / settle a conflict: ours, theirs or a JSON value")
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(base: Path, ours: Path, theirs: Path, output: Path | None, as_template: bool,
            resolve_pairs: tuple[tuple[str, str], ...], fmt: str, lang: str,
            show_traceback: bool) -> int:
    """Merge BASE, OURS and THEIRS; write the result or list the conflicts."""
    from registry.layout import TEMPLATE_FILE
    from registry.merge import merge_template, resolve
    from registry.syntax.documents import read_json

    # Git hands an empty %O when both branches added the file (no common ancestor): merge the
    # two additions against an empty object. Any other empty file is an error as usual.
    if output is not None and not output.resolve().parent.is_dir():
        from registry.errors import NotFound

        raise NotFound(f"{output}: the folder {output.parent} does not exist",
                       detail_ja=f"{output}: フォルダ {output.parent} がありません")
    base_doc = {} if base.is_file() and base.stat().st_size == 0 else read_json(base)
    ours_doc, theirs_doc = read_json(ours), read_json(theirs)
    resolutions = _parse_resolutions(resolve_pairs)
    names = [p.name for p in (base, ours, theirs, output) if p is not None]
    if as_template or TEMPLATE_FILE in names:
        result = merge_template(base_doc, ours_doc, theirs_doc, resolutions=resolutions)
    else:
        result = resolve(base_doc, ours_doc, theirs_doc, resolutions)

    if result.conflicts:
        if fmt == "json":
            body = {"clean": False, "conflicts": [c.to_json() for c in result.conflicts]}
            click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            click.echo(_text_report(result.conflicts, lang, output))
        return EXIT_INVALID

    text = json.dumps(result.merged, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return 0
    _write_atomically(output, text)
    if fmt == "json":
        click.echo(json.dumps({"clean": True, "conflicts": [], "output": str(output)},
                              ensure_ascii=False))
    return 0
