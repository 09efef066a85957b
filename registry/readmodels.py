"""Read-models: what the use-cases hand the web and the CLI, and what the SQL index stores.

One record per published version (and per event), template summaries, the change feed, tokens
and the acting account. The index is a cache of git: every field of a ``VersionRecord`` is
derivable from a commit and the files of a version folder, so ``reindex`` can rebuild the index
from git alone. Pure data (msgspec), next to the domain models (``registry/models.py``).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

EventKind = Literal["published", "forked", "pulled", "deprecated", "detached"]


class Author(msgspec.Struct, frozen=True, kw_only=True):
    """Who a commit is written for: the publishing account and its municipality."""

    name: str                      # the account, e.g. "情報政策課"
    email: str = "registry@yoshiki.invalid"
    municipality: str = ""         # LG code, e.g. "132241"
    municipality_name: str = ""    # e.g. "多摩市"
    admin: bool = False            # an admin account may write any municipality's templates

    @property
    def display(self) -> str:
        """``<account> (<municipality name> <code>)`` as written into the commit's author."""
        where = " ".join(p for p in (self.municipality_name, self.municipality) if p)
        return f"{self.name} ({where})" if where else self.name


def author_of(info: TokenInfo) -> Author:
    """The git author a token writes as: its name and its municipality."""
    from registry.municipalities import name_of

    lg = info.municipality
    return Author(name=info.name, email=f"{lg or 'admin'}@tokens.yoshiki.invalid",
                  municipality=lg, municipality_name=name_of(lg) if lg else "", admin=info.admin)


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
    field_titles: list[str] = msgspec.field(default_factory=list)  # titles of the schema's fields


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
    # Why a search result matched (「項目『郵便番号』に一致」); only in search results with a query.
    match_reason: str | None = None
    match_reason_en: str | None = None


class TemplateDetail(msgspec.Struct, kw_only=True):
    """A template: its summary, every version, where it comes from and who forked it."""

    template: TemplateSummary
    versions: list[VersionRecord]
    upstream_chain: list[str] = msgspec.field(default_factory=list)
    forks: list[VersionRecord] = msgspec.field(default_factory=list)
    behind: int | None = None          # upstream releases the fork has not pulled yet
    detachments: list[dict[str, Any]] = msgspec.field(default_factory=list)  # detached.json's records


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
