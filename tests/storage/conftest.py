"""Fixtures for the storage tests: real bare repositories in tmp_path, sample version files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from registry.layout import VersionKey, schema_uri
from registry.readmodels import Author
from registry.storage.git_store import GitTemplateStore

if TYPE_CHECKING:
    from registry.service import RegistryService

TAMA = Author(name="情報政策課", email="joho@city.tama.invalid", municipality="132241",
              municipality_name="多摩市")


def version_files(key: VersionKey, *, title: str = "職員ランチ実態アンケート",
                  extra_template: dict[str, Any] | None = None,
                  properties: dict[str, Any] | None = None) -> dict[str, bytes]:
    """A small, valid version folder as ``relative path -> bytes``."""
    props = properties if properties is not None else {
        "name": {"type": "string", "title": "氏名", "x-yoshiki-personal": True},
        "lunch": {"type": "string", "title": "昼食", "enum": ["弁当", "外食", "社員食堂"]},
    }
    template = {"title": title, "category": "職員", "tags": ["アンケート"],
                "license": "CC-BY-4.0", **(extra_template or {})}
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$id": schema_uri(key.lg, key.slug, key.version), "title": title,
              "type": "object", "properties": props, "required": ["lunch"]}

    def dump(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, indent=2).encode() + b"\n"

    return {"template.json": dump(template), "schema.json": dump(schema),
            "examples/valid/弁当.json": dump({"lunch": "弁当"}),
            "examples/valid/外食.json": dump({"lunch": "外食", "name": "多摩 太郎"}),
            "examples/invalid/空.json": dump({}),
            "examples/invalid/不明.json": dump({"lunch": "不明"})}


def under(key: VersionKey, files: dict[str, bytes]) -> dict[str, bytes | None]:
    """Version-relative paths → repository paths."""
    return {f"{key.relpath}/{p}": data for p, data in files.items()}


@pytest.fixture
def store(tmp_path: Path) -> GitTemplateStore:
    """An empty bare repository."""
    return GitTemplateStore(tmp_path / "templates.git")


def fsck_ok(store: GitTemplateStore) -> str:
    """Assert ``git fsck --strict`` is clean (dangling objects allowed); return its output."""
    proc = store.fsck()
    out = (proc.stdout + proc.stderr).decode()
    assert proc.returncode == 0, out
    bad = [line for line in out.splitlines() if not line.startswith(("dangling ", "Checking"))]
    assert bad == [], out
    return out


@contextmanager
def opened(data: Path, *, copy_of: Path | None = None) -> Iterator[RegistryService]:
    """A service over the data folder ``data`` (first copied from ``copy_of`` when given),
    its index closed afterwards."""
    from registry.config import Settings
    from registry.wiring import open_service

    if copy_of is not None:
        shutil.copytree(copy_of, data)
    service = open_service(Settings.for_data_dir(data))
    try:
        yield service
    finally:
        service.index.close()  # type: ignore[attr-defined]
