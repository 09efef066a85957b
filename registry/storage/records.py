"""What the git store hands the SQL index: one record per published version (and per event).

The index is a cache of git: every field here is derivable from a commit and the files of a
version folder, so ``reindex`` can rebuild the index from git alone.
"""

from __future__ import annotations

from typing import Literal

import msgspec

EventKind = Literal["published", "forked", "pulled", "deprecated", "detached"]


class VersionRecord(msgspec.Struct, kw_only=True):
    """One published version as the index stores it."""

    lg: str
    slug: str
    version: str
    title: str
    category: str
    commit: str                      # the commit that published this version
    published_at: str                # ISO 8601 UTC, the commit's author date
    author_name: str
    author_email: str
    title_en: str | None = None
    description: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    license: str | None = None
    compatibility: str = "BACKWARD"
    changelog: str | None = None
    bump: str | None = None          # none|patch|minor|major against the previous version
    upstream_template: str | None = None   # "132241/staff-lunch-survey"
    upstream_version: str | None = None
    upstream_commit: str | None = None
    deprecated: bool = False
    deprecated_reason: str | None = None
    event: EventKind = "published"


class TemplateSummary(msgspec.Struct, kw_only=True):
    """A template in a search result or a listing."""

    lg: str
    slug: str
    title: str
    category: str
    latest_version: str
    updated_at: str
    municipality_name: str | None = None
    title_en: str | None = None
    description: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    upstream_template: str | None = None
    fork_count: int = 0


class ChangeEvent(msgspec.Struct, kw_only=True):
    """One entry of the append-only change feed."""

    id: int
    kind: EventKind
    lg: str
    slug: str
    version: str
    at: str
    actor: str
    upstream_template: str | None = None
    detail: str | None = None


class TokenInfo(msgspec.Struct, kw_only=True):
    """What a verified API token stands for (the token itself is never stored in clear)."""

    municipality: str                # LG code the token may write to ("" for an admin-only token)
    name: str                        # the account / token name, e.g. "情報政策課"
    admin: bool = False
    created_at: str | None = None
    last_used_at: str | None = None


class AuditEntry(msgspec.Struct, kw_only=True):
    """One entry of the audit log (who did what to which target, from where, when)."""

    id: int
    at: str
    actor: str
    action: str
    target: str
    detail: str | None = None
    remote_addr: str | None = None
    commit: str | None = None          # the git commit of the write (None for other actions)
