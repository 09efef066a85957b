"""Checks on request parameters and bodies made before any path is built or any JSON validated.

Path parameters: the municipality code (check digit), the slug and the version are checked
before they become a repository path, so ``..``, encoded slashes or other names never reach
git. Bodies: the nesting depth and the number of ``$ref`` are bounded (Settings) before the
schema is compiled — a schema deeper or more referenced than a form needs is refused with 413.
"""

from __future__ import annotations

from typing import Any

from registry.config import Settings
from registry.errors import LimitExceeded, UsageError
from registry.layout import TemplateKey, VersionKey, is_slug
from registry.municipalities import check_code
from registry.search import cursors
from registry.versioning import Version


def template_key(lg: str, slug: str) -> TemplateKey:
    """A template key from path parameters (UsageError 400 / NotFound 404 before any read)."""
    check_code(lg)
    if not is_slug(slug):
        raise UsageError(
            f"{slug!r} is not a slug: lowercase letters, digits and '-', at most 64 characters",
            detail_ja=f"{slug!r} はスラッグではありません。英小文字・数字・ハイフン（64文字まで）で指定してください")
    return TemplateKey(lg, slug)


def version_key(lg: str, slug: str, version: str) -> VersionKey:
    """A version key from path parameters (the version must be SemVer)."""
    key = template_key(lg, slug)
    if not Version.is_valid(version):
        raise UsageError(f"{version!r} is not a version number (SemVer, e.g. 1.0.0)",
                         detail_ja=f"{version!r} は版番号ではありません（1.0.0 のような SemVer で指定してください）")
    return VersionKey(key.lg, key.slug, version)


def check_document(value: Any, settings: Settings, what: str = "schema") -> None:
    """LimitExceeded unless ``value`` nests at most max_schema_depth and has at most max_ref_count $ref."""
    max_depth, max_refs = settings.max_schema_depth, settings.max_ref_count
    refs = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise LimitExceeded(
                f"the {what} nests deeper than {max_depth} levels",
                detail_ja=f"{what} の入れ子が深すぎます（上限 {max_depth} 段）",
                extra={"limit": "max_schema_depth", "max": max_depth})
        if isinstance(node, dict):
            if "$ref" in node:
                refs += 1
                if refs > max_refs:
                    raise LimitExceeded(
                        f"the {what} has more than {max_refs} $ref",
                        detail_ja=f"{what} の $ref が多すぎます（上限 {max_refs} 個）",
                        extra={"limit": "max_ref_count", "max": max_refs})
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def check_cursor(cursor: str) -> None:
    """UsageError (400) unless a search cursor decodes within bounds (registry/search/cursors.py),
    before the index reads it."""
    cursors.decode(cursor)
