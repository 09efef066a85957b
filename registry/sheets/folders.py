"""A version folder (template.json, schema.json, examples/) read into memory and written back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry.errors import NotFound, UsageError
from registry.layout import SCHEMA_FILE, TEMPLATE_FILE
from registry.syntax.documents import dumps, read_json

MAX_EXAMPLES = 200




def read_version(folder: Path) -> tuple[dict[str, Any], Any, dict[str, Any]]:
    """(template.json, schema.json, examples keyed "valid/x.json") of a version folder."""
    if not (folder / SCHEMA_FILE).is_file():
        raise NotFound(f"{folder}: no {SCHEMA_FILE} in this folder",
                       detail_ja=f"{folder}: このフォルダに {SCHEMA_FILE} がありません")
    template = read_json(folder / TEMPLATE_FILE) if (folder / TEMPLATE_FILE).is_file() else {}
    examples: dict[str, Any] = {}
    for kind in ("valid", "invalid"):
        d = folder / "examples" / kind
        for p in sorted(d.glob("*.json")) if d.is_dir() else []:
            if len(examples) >= MAX_EXAMPLES:
                break
            examples[f"{kind}/{p.name}"] = read_json(p)
    return template, read_json(folder / SCHEMA_FILE), examples


def write_version(out: Path, template: dict[str, Any], schema: Any, examples: dict[str, Any]) -> list[Path]:
    """Write a version folder in the canonical layout; refuses to overwrite a non-empty folder."""
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out}: the folder is not empty (published versions are never overwritten)",
                         detail_ja=f"{out}: フォルダが空ではありません（既存の版は上書きしません）")
    written = []
    out.mkdir(parents=True, exist_ok=True)
    for name, value in ((TEMPLATE_FILE, template), (SCHEMA_FILE, schema)):
        (out / name).write_bytes(dumps(value))
        written.append(out / name)
    for key, value in examples.items():
        path = out / "examples" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(dumps(value))
        written.append(path)
    return written


def locate(source: str, repo: Path | None) -> Path:
    """The version folder named by a folder path or by ``LG/SLUG@VERSION`` in ``repo`` (default: cwd)."""
    from registry.layout import VersionKey

    path = Path(source)
    if path.is_dir():
        return path
    if "@" not in source:
        raise NotFound(f"{source}: no such folder (or give LG/SLUG@VERSION)",
                       detail_ja=f"{source}: フォルダがありません（LG/SLUG@VERSION でも指定できます）")
    key = VersionKey.parse(source)
    root = repo or Path.cwd()
    folder = root / key.relpath
    if not (folder / SCHEMA_FILE).is_file():
        raise NotFound(f"{key}: no such template version in {root}",
                       detail_ja=f"{key}: {root} にこのテンプレートの版がありません")
    return folder
