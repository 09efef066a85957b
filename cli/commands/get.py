"""``yoshiki get LG/SLUG[@VERSION] [-o DIR]``: download a version into ``DIR/<lg>/<slug>/<version>/``."""

from __future__ import annotations

from pathlib import Path

import click

from cli.client import registry_options
from cli.options import format_option, guarded, lang_option, traceback_option


def _dump(value: object) -> bytes:
    import json

    return json.dumps(value, ensure_ascii=False, indent=2).encode() + b"\n"


@click.command(help="版をダウンロードする (標準のフォルダー構成で) / download a version in the canonical layout")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="出力先フォルダー / output folder")
@registry_options
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(name: str, output: Path, registry: str | None, token: str | None, fmt: str, lang: str,
            show_traceback: bool) -> int:
    """Write template.json, schema.json (byte for byte) and the examples."""
    from cli.client import Client, echo_json
    from registry.layout import TemplateKey, VersionKey

    client = Client(registry, token)
    if "@" in name:
        key = VersionKey.parse(name)
    else:
        tk = TemplateKey.parse(name)
        latest = client.get(f"/api/v1/templates/{tk.lg}/{tk.slug}")["template"]["latest_version"]
        key = VersionKey(tk.lg, tk.slug, latest)
    base = f"/api/v1/templates/{key.lg}/{key.slug}/versions/{key.version}"
    doc = client.get(base)
    schema = client.request("GET", base + "/schema.json", raw=True)
    folder = output / key.relpath
    files: dict[str, bytes] = {"template.json": _dump(doc["template"]), "schema.json": schema}
    for kind, named in doc.get("examples", {}).items():
        for file, value in named.items():
            files[f"examples/{kind}/{file}"] = _dump(value)
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if fmt == "json":
        echo_json({"ok": True, "version": str(key), "folder": str(folder), "files": sorted(files)})
    else:
        click.echo(f"{key} を {folder} に保存しました（{len(files)} ファイル）" if lang == "ja"
                   else f"saved {key} to {folder} ({len(files)} files)")
    return 0
