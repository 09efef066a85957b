"""Two sides of a repository as the checks see them: file paths and a reader (no git here).

``yoshiki ci`` builds a ``Tree`` for the base and one for the working tree from git; the
registry's publish builds one in memory. File names are relative to the layout root.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry.errors import NotFound
from registry.layout import SCHEMA_FILE, VersionKey
from registry.syntax.refs import SchemaSet
from registry.syntax.sourcemap import locate

Reader = Callable[[str], bytes | None]
"""Bytes of a file (path relative to the layout root), or None when it does not exist."""


@dataclass(frozen=True)
class Tree:
    """The files of one side (base or working tree): paths relative to the layout root."""

    paths: frozenset[str]
    read: Reader

    @classmethod
    def from_dict(cls, files: dict[str, bytes]) -> Tree:
        """A tree held in memory (tests, in-memory checks)."""
        return cls(frozenset(files), files.get)


def load_json(tree: Tree, path: str) -> Any:
    """The parsed JSON at ``path``, or None (unreadable files are validation's to report)."""
    data = tree.read(path)
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return None


def position(tree: Tree, path: str, pointer: str) -> tuple[int | None, int | None]:
    """(line, column) of ``pointer`` in the file ``path`` of ``tree``, or (None, None)."""
    data = tree.read(path)
    if data is None:
        return None, None
    try:
        found = locate(data.decode("utf-8-sig"), pointer)
    except UnicodeDecodeError:
        return None, None
    return found if found is not None else (None, None)


def tree_schemas(*trees: Tree) -> SchemaSet:
    """A SchemaSet that loads other templates' schemas from the trees, first tree first."""

    def load(key: VersionKey) -> Any:
        path = f"{key.relpath}/{SCHEMA_FILE}"
        for tree in trees:
            if path in tree.paths:
                doc = load_json(tree, path)
                if doc is not None:
                    return doc
        raise NotFound(f"{path}: no such file", detail_ja=f"{path}: ファイルがありません")

    return SchemaSet(load)
