"""Locate the data shipped with the package: ``schemas/`` and the starter ``templates_repo/``.

In a wheel they live under ``registry/_data/`` (hatch force-include); in a source checkout or an
editable install they are the top-level folders next to the package. Never the working directory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"packaged data folder {name!r} not found next to {_PACKAGE_DIR}")


@cache
def schemas_dir() -> Path:
    """The folder holding template.schema.json and common/*.json."""
    return _find("schemas")


@cache
def catalogue_dir() -> Path:
    """The starter catalogue in the canonical layout."""
    return _find("templates_repo")
