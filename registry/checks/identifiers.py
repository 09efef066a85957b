"""Identifiers that reach git checked by their grammar before anything is read or written.

A publish names paths in the repository through its key (already parsed: ``VersionKey``) and
through ``template.json``'s ``upstream`` pointer, which the registry follows to read the upstream
schema and to record lineage. ``upstream`` is therefore checked here by the same grammar as a
key (``LGCODE/slug`` and a bounded ``MAJOR.MINOR.PATCH``) before the registry follows it:
``./132241/evilup`` or a version ``[1, 2]`` is a 422 with a pointer, never a git error or a 500.
Pure: no web, SQL or git.
"""

from __future__ import annotations

from typing import Any

from registry.layout import LG_RE, TEMPLATE_FILE, is_slug
from registry.models import Issue
from registry.versioning import MAX_PART, Version

__all__ = ["is_template_name", "upstream_issues"]


def is_template_name(text: Any) -> bool:
    """True for ``LGCODE/slug`` (six digits, a slug)."""
    if not isinstance(text, str):
        return False
    lg, sep, slug = text.partition("/")
    return bool(sep) and LG_RE.fullmatch(lg) is not None and is_slug(slug)


def upstream_issues(template: Any) -> list[Issue]:
    """Issues for an ``upstream`` that is not ``{"template": "LG/slug", "version": "X.Y.Z"}``."""
    if not isinstance(template, dict) or "upstream" not in template:
        return []
    upstream = template["upstream"]
    if not isinstance(upstream, dict):
        return [_issue("/upstream", "upstream must be an object with template and version.",
                       "upstream は template と version を持つオブジェクトです。")]
    issues: list[Issue] = []
    name = upstream.get("template")
    if not is_template_name(name):
        issues.append(_issue(
            "/upstream/template",
            f"upstream.template {name!r} is not a template name LGCODE/slug (e.g. 132241/staff-lunch-survey).",
            f"upstream.template {name!r} はテンプレート名ではありません（例: 132241/staff-lunch-survey）。"))
    version = upstream.get("version")
    if not Version.is_valid(version):
        issues.append(_issue(
            "/upstream/version",
            f"upstream.version {version!r} is not a version MAJOR.MINOR.PATCH (each part at most {MAX_PART}).",
            f"upstream.version {version!r} は版番号ではありません（1.0.0 の形、各部分は {MAX_PART} 以下）。"))
    return issues


def _issue(pointer: str, message: str, message_ja: str) -> Issue:
    return Issue(rule="template.upstream-invalid", file=TEMPLATE_FILE, pointer=pointer,
                 message=message, message_ja=message_ja,
                 hint="Set upstream by `yoshiki fork` / `yoshiki pull`, or remove it.",
                 hint_ja="upstream は yoshiki fork / pull が設定します。手で書いた場合は直すか削除してください。")
