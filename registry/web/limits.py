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


_CURSOR_PARTS_MAX = 256
_RANK_MAX = 2**31 - 1


def check_cursor(cursor: str) -> None:
    """UsageError (400) unless a search cursor decodes to [rank, updated_at, lg, slug] within bounds.

    The index decodes cursors itself; this bounds them first so that no integer too large for
    SQLite or PostgreSQL and no NUL (PostgreSQL text cannot hold one) reaches a query.
    """
    import base64
    import binascii
    import json

    if len(cursor) > 4 * _CURSOR_PARTS_MAX:
        raise UsageError("the page cursor is too long; start again without a cursor",
                         detail_ja="ページカーソルが長すぎます。カーソルなしで最初から検索してください")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
        forks = 0
        if isinstance(parts, list) and len(parts) == 6 and parts[0] == "r":
            # A ranked search's cursor: ["r", score, updated_at, fork_count, lg, slug].
            _r, rank, updated_at, forks, lg, slug = parts
        else:
            rank, updated_at, lg, slug = parts
        good = (all(isinstance(n, int) and not isinstance(n, bool) and abs(n) <= _RANK_MAX
                    for n in (rank, forks))
                and all(isinstance(v, str) and len(v) <= _CURSOR_PARTS_MAX and "\x00" not in v
                        for v in (updated_at, lg, slug)))
    except (ValueError, TypeError, binascii.Error, RecursionError):
        good = False
    if not good:
        raise UsageError(f"invalid page cursor {cursor[:80]!r}; start again without a cursor",
                         detail_ja=f"ページカーソル {cursor[:80]!r} が正しくありません。カーソルなしで最初から検索してください")
