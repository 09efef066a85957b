"""``yoshiki publish VERSION_DIR [--dry-run]``: publish a version folder ``<lg>/<slug>/<version>``.

The registry validates, lints and checks compatibility; exit 1 invalid or incompatible (with the
issues), 4 the version exists, 5 no token or another municipality's template.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.client import registry_options
from cli.options import format_option, guarded, lang_option, traceback_option


@click.command(help="版のフォルダーを公開する / publish a version folder <lg>/<slug>/<version>")
@click.argument("version_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="検査だけして公開しない / check only")
@registry_options
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(version_dir: Path, dry_run: bool, registry: str | None, token: str | None, fmt: str,
            lang: str, show_traceback: bool) -> int:
    """Read the folder, send it, print what the registry did."""
    from cli.client import Client
    from cli.render.remote import emit, published
    from registry.errors import UsageError
    from registry.layout import VersionKey
    from registry.syntax.documents import read_json

    key = VersionKey.from_folder(version_dir.resolve())
    if key is None:
        raise UsageError(f"{version_dir} is not a version folder <lg>/<slug>/<version>",
                         detail_ja=f"{version_dir} は版のフォルダー（<団体コード>/<スラッグ>/<版>）ではありません")
    body: dict[str, Any] = {"version": key.version,
                            "template": read_json(version_dir / "template.json"),
                            "schema": read_json(version_dir / "schema.json"),
                            "examples": {}}
    for kind in ("valid", "invalid"):
        files = sorted((version_dir / "examples" / kind).glob("*.json"))
        if files:
            body["examples"][kind] = {f.name: read_json(f) for f in files}
    result = Client(registry, token).post(f"/api/v1/templates/{key.lg}/{key.slug}/versions", body,
                                          dry_run="true" if dry_run else None)
    return emit(result, fmt, lambda r: published(r, lang, dry_run))
