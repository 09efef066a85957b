"""Schemas named on the command line: a file, a version folder, or ``LG/SLUG@VERSION``.

``LG/SLUG@VERSION`` is looked up in ``--repo`` (default: the current folder) or, with
``--registry``, fetched from a registry. Shared by ``yoshiki diff`` and ``yoshiki compat``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from registry.diff.model import MODES

if TYPE_CHECKING:
    from registry.syntax.refs import SchemaSet


@dataclass
class Loaded:
    """A schema read from the command line, with where it came from."""

    schema: Any
    schemas: SchemaSet
    display: str
    file: Path | None  # the schema file (for GitHub annotations and source positions)
    template: dict[str, Any] | None  # the version's template.json, when there is one


def load(arg: str, repo: Path | None) -> Loaded:
    """A schema file, a version folder, or ``LG/SLUG@VERSION`` looked up in ``repo``."""
    from registry.errors import NotFound
    from registry.layout import SCHEMA_FILE, TEMPLATE_FILE, VersionKey, find_repository_root
    from registry.syntax.documents import read_json
    from registry.syntax.refs import SchemaSet

    path = Path(arg)
    folder: Path | None = None
    root: Path | None
    if path.is_dir():
        folder, root = path, find_repository_root(path)
    elif path.is_file():
        root = repo if repo is not None else find_repository_root(path.parent)
        file = path
    elif "@" in arg:
        key = VersionKey.parse(arg)
        root = repo if repo is not None else Path.cwd()
        folder = root / key.relpath
        if not folder.is_dir():
            raise NotFound(f"{key} does not exist in {root}",
                           detail_ja=f"{key} は {root} にありません")
    else:
        raise NotFound(f"{arg}: no such file or folder (nor LG/SLUG@VERSION)",
                       detail_ja=f"{arg}: ファイル・フォルダがありません（LG/SLUG@VERSION でもありません）")
    template: dict[str, Any] | None = None
    if folder is not None:
        file = folder / SCHEMA_FILE
        if not file.is_file():
            raise NotFound(f"{folder}: no {SCHEMA_FILE} in this folder",
                           detail_ja=f"{folder}: このフォルダに {SCHEMA_FILE} がありません")
        tfile = folder / TEMPLATE_FILE
        if tfile.is_file():
            try:
                t = read_json(tfile)
                template = t if isinstance(t, dict) else None
            except Exception:
                template = None
    return Loaded(read_json(file), SchemaSet.for_folder(root), arg, file, template)


def remote(arg: str, registry: str) -> Loaded:
    """``LG/SLUG@VERSION`` fetched from a registry (``--registry``, docs/api.md)."""
    from cli.client import remote_schema

    schema, schemas, template = remote_schema(registry, arg)
    return Loaded(schema, schemas, arg, None, template)


def policy_from(name: str, format_assertion: bool) -> Any:
    """The Policy the switches name."""
    from registry.diff import Policy

    return Policy(name, format_assertion=format_assertion)  # type: ignore[arg-type]


REF_DIR_OPTION = click.option(
    "--ref-dir", type=click.Path(path_type=Path, file_okay=False, exists=True), default=None,
    help="外部の絶対 URI の参照を、このフォルダのスキーマ（$id で探す）から解決する / "
         "resolve external absolute $refs from the schemas of this folder (by $id)")

MODE_CHOICE = click.Choice(list(MODES))
"""``--mode``: the compatibility modes (registry.diff)."""
