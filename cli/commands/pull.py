"""``yoshiki pull LG/SLUG [--resolve POINTER=ours|theirs ...] [--schema FILE] [--dry-run]``.

Merges the upstream's newest version into the fork and publishes the fork's next version.
Conflicts are listed by JSON pointer with the three values (exit 4) and nothing is written;
settle each with ``--resolve`` (template.json fields as ``template.json#/pointer``) or give an
edited schema with ``--schema``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.client import registry_options
from cli.options import EXIT_CONFLICT, format_option, guarded, lang_option, traceback_option


@click.command(help="フォーク元の変更を取り込む / pull upstream changes into a fork")
@click.argument("name")
@click.option("--resolve", "resolves", multiple=True, metavar="POINTER=ours|theirs",
              help="競合の解決 (繰り返し可) / settle a conflict (repeatable)")
@click.option("--schema", "schema_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="編集済みのスキーマで置き換える / use this edited schema")
@click.option("--dry-run", is_flag=True, help="検査だけして公開しない / check only")
@registry_options
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(name: str, resolves: tuple[str, ...], schema_file: Path | None, dry_run: bool,
            registry: str | None, token: str | None, fmt: str, lang: str,
            show_traceback: bool) -> int:
    """Pull; print the published version, 'up to date', or the conflicts."""
    from cli.client import Client, echo_json
    from cli.render.remote import emit, pull_conflicts, pulled
    from registry.errors import Conflict, UsageError
    from registry.layout import TemplateKey
    from registry.syntax.documents import read_json

    tk = TemplateKey.parse(name)
    resolutions: dict[str, Any] = {}
    for item in resolves:
        pointer, sep, choice = item.rpartition("=")
        if not sep or choice not in ("ours", "theirs"):
            raise UsageError(f"--resolve {item!r}: write POINTER=ours or POINTER=theirs",
                             detail_ja=f"--resolve {item!r}: POINTER=ours または POINTER=theirs と書いてください")
        resolutions[pointer] = choice
    body: dict[str, Any] = {"resolutions": resolutions, "dry_run": dry_run}
    if schema_file is not None:
        body["schema"] = read_json(schema_file)
    try:
        result = Client(registry, token).post(f"/api/v1/templates/{tk.lg}/{tk.slug}/pull", body)
    except Conflict as exc:
        conflicts = exc.extra.get("conflicts") or []
        if fmt == "json":
            echo_json({"ok": False, "conflicts": conflicts, **{k: exc.extra.get(k) for k in ("base", "ours", "theirs")}})
        pull_conflicts(conflicts, exc.text(lang), str(tk), lang)
        return EXIT_CONFLICT
    return emit(result, fmt, lambda r: pulled(r, str(tk), lang, dry_run))
