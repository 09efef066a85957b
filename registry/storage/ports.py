"""The storage ports: what the service needs from the git store and from the SQL index.

Adapters: ``GitTemplateStore`` (registry/storage/git_store.py) and ``SqlIndex``
(registry/storage/sql_index.py). The service depends on these Protocols only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from registry.layout import TemplateKey, VersionKey
from registry.readmodels import (
    AuditEntry,
    Author,
    ChangeEvent,
    TemplateSummary,
    TokenInfo,
    VersionRecord,
)

if TYPE_CHECKING:
    from registry.storage.lineage_sql import LineageIndex
    from registry.storage.outbox_sql import OutboxIndex
    from registry.storage.rebuild import Prepared


class CommitInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One commit of the store: id, author and date (ISO 8601) and its message."""

    commit: str
    author_name: str
    author_email: str
    date: str
    message: str = ""
    parent: str | None = None   # the tip the commit was written on (set by commit_files)


class StoredVersion(msgspec.Struct, kw_only=True):
    """A version as the bulk reader yields it: its key, its template.json bytes, its commit."""

    key: VersionKey
    template: bytes
    commit: CommitInfo | None = None
    schema: bytes = b""              # schema.json (for the field titles search indexes)
    bump: str | None = None
    event: str = "published"
    deprecated: bool = False
    deprecated_reason: str | None = None


class VersionCommit(msgspec.Struct, kw_only=True):
    """A commit that published a version, as its message records it."""

    version: str
    commit: CommitInfo
    event: str = "published"
    bump: str | None = None
    changelog: str | None = None


VersionCommits = dict[str, tuple[CommitInfo, str | None, str]]
"""``"<lg>/<slug>@<version>" -> (commit, bump, event)``: what published each version."""


class TemplateStore(Protocol):
    """The source of truth: template versions in the canonical layout, one commit per write."""

    skipped: list[str]
    """What the last ``iter_versions`` could not index, and why."""
    detached_files: dict[str, bytes]
    """The ``<lg>/<slug>/detached.json`` files the last ``iter_versions`` met (path -> bytes)."""

    def tip(self) -> str | None:
        """The commit the main branch points at (None for an empty store)."""

    def tip_and_versions(self, key: TemplateKey) -> tuple[str | None, list[str]]:
        """The tip and the template's versions at that tip (one consistent read)."""

    def list_templates(self) -> list[TemplateKey]:
        """Every template that has at least one version."""

    def list_versions(self, key: TemplateKey, commit: str | None = None) -> list[str]:
        """The versions of a template in ascending SemVer order (at ``commit`` or the tip)."""

    def exists(self, key: VersionKey, commit: str | None = None) -> bool:
        """True when the version is published."""

    def read_version(self, key: VersionKey, commit: str | None = None) -> dict[str, bytes]:
        """The files of a version (paths relative to its folder) at ``commit`` or the tip."""

    def read_file(self, path: str, commit: str | None = None) -> bytes | None:
        """One file by repository path, or None."""

    def commit_files(self, changes: Mapping[str, bytes | None]
                     | Callable[[Callable[[str], bytes | None]], Mapping[str, bytes | None]], *,
                     author: Author, message: str,
                     must_not_exist: VersionKey | None = None,
                     precheck: Callable[[str | None], None] | None = None) -> CommitInfo:
        """Write one commit changing ``changes`` (None deletes) on the tip, compare-and-swap.

        ``changes`` may be a function of a reader at the tip, re-run after every lost race;
        ``precheck(tip)`` runs on every attempt with the tip it builds on, and may refuse.
        """

    def iter_versions(self, *, at: str | None = None,
                      commits: Callable[[], VersionCommits] | None = None) -> Iterator[StoredVersion]:
        """Every version at the tip (or ``at``), with the commit that published it (bulk, for
        reindex); fills ``skipped`` and ``detached_files`` as it goes. ``commits``: where the
        version → commit map comes from, asked once before the first version (default: the
        store reads it, ``version_commits``)."""

    def version_commits(self, at: str | None = None) -> VersionCommits:
        """``"<lg>/<slug>@<version>" -> (commit, bump, event)`` of the commit that added each
        version, in the history of ``at`` (default: the branch)."""

    def log_for(self, key: VersionKey | TemplateKey) -> list[CommitInfo]:
        """Commits touching a version or template folder, newest first."""

    def commit_version(self, key: VersionKey, files: Mapping[str, bytes], *, author: Author,
                       event: str, bump: str | None, changelog: str | None,
                       extra: str | None = None,
                       precheck: Callable[[str | None], None] | None = None) -> CommitInfo:
        """Add one version folder (paths relative to it) in one commit; VersionExists if taken."""

    def version_log(self, key: TemplateKey) -> list[VersionCommit]:
        """The commits that published versions of the template, newest first."""

    def deprecations(self, key: TemplateKey) -> dict[str, Any]:
        """``version -> {"reason", "by", "at"}`` of the template's deprecated versions."""

    def flag_deprecated(self, key: VersionKey, entry: Mapping[str, str], *,
                        author: Author) -> CommitInfo:
        """Record the version deprecated (``entry``: reason, by, at) in one commit."""


    def record_detachment(self, key: VersionKey, entry: Mapping[str, str], *,
                          author: Author) -> CommitInfo:
        """Append a detachment record (registry/lineage.py) to the template's detached.json."""

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        """True when ``ancestor`` is ``commit`` or one of its ancestors."""

    def log_range(self, since: str | None, tip: str) -> list[tuple[CommitInfo, dict[str, str]]]:
        """Commits after ``since`` up to ``tip``, oldest first, with their Yoshiki trailers."""

    def files_named(self, name: str, commit: str | None = None) -> dict[str, bytes]:
        """Every ``<lg>/<slug>/<name>`` file (e.g. detached.json) at ``commit`` or the tip."""

    def repair_files(self) -> tuple[list[str], list[str], int]:
        """Clear stale locks and temporary files: (locks removed, locks left, files removed)."""

    def write_problems(self) -> dict[str, str]:
        """Checks of the write path (name -> "ok" | what is wrong), changing nothing."""


class TemplateIndex(Protocol):
    """The SQL index: a cache of git for search, listings, lineage, change feed, tokens, audit."""

    lineage: LineageIndex  # fork_status, fork_divergence, the filtered change feed
    outbox: OutboxIndex    # webhooks, the outbox, the delivery log

    def migrate(self) -> None:
        """Create or upgrade the tables."""

    def unit(self) -> AbstractContextManager[None]:
        """One transaction for every index call of this thread inside the block: all or nothing.

        Reentrant (an inner unit joins the outer one). An error through any index call inside
        it fails the unit even if caught: nothing of it is committed.
        """

    def record_version(self, rec: VersionRecord) -> None:
        """Add (or replace) one published version; idempotent."""

    def mark_deprecated(self, lg: str, slug: str, version: str, reason: str, actor: str,
                        at: str) -> None:
        """Flag a version deprecated with a reason."""

    def search(self, q: str | None = None, municipality: str | None = None,
               category: str | None = None, tag: str | None = None,
               prefecture: str | None = None, cursor: str | None = None,
               limit: int = 20) -> tuple[list[TemplateSummary], str | None]:
        """Templates matching the filters, and the cursor of the next page."""

    def get_template(self, lg: str, slug: str) -> TemplateSummary | None:
        """One template's summary."""

    def versions(self, lg: str, slug: str) -> list[VersionRecord]:
        """Every version of a template, ascending."""

    def version(self, lg: str, slug: str, version: str) -> VersionRecord | None:
        """One version, or None."""

    def forks_of(self, lg: str, slug: str) -> list[VersionRecord]:
        """The latest version of each fork whose upstream is this template."""

    def changes(self, after: int, limit: int) -> list[ChangeEvent]:
        """The change feed after an event id."""

    def last_event_id(self) -> int:
        """The id of the newest change-feed event (0 when empty)."""

    def audit(self, actor: str, action: str, target: str, detail: str | None = None,
              remote_addr: str | None = None, *, commit: str | None = None,
              at: str | None = None) -> None:
        """Append one audit entry (with ``commit``: at most one per commit)."""

    def audited_commits(self, commits: Sequence[str]) -> set[str]:
        """Which of ``commits`` have an audit entry."""

    def state(self, name: str) -> str | None:
        """A named value about the index itself (``git_tip``: the last commit caught up with)."""

    def set_state(self, name: str, value: str, *, expect: str | bool | None = True) -> bool:
        """Set a named value (compare-and-set with ``expect``; True sets unconditionally)."""

    def record_detachment(self, lg: str, slug: str, upstream: str, version: str, at: str,
                          actor: str, reason: str | None) -> bool:
        """Record a fork's detachment from its upstream (and its feed event); idempotent."""

    def detachments(self, lg: str, slug: str, *, as_upstream: bool = False) -> list[dict[str, Any]]:
        """Detachments of this template (or, ``as_upstream``, of its forks)."""

    def audit_log(self, limit: int = 100, *, since: str | None = None,
                  municipality: str | None = None) -> list[AuditEntry]:
        """The newest audit entries first, filtered."""

    def rebuild(self, records: Iterable[VersionRecord]) -> None:
        """Replace everything but tokens (and audit) with these records; idempotent."""

    def rebuild_prepared(self, feed: Iterable[Prepared]) -> list[VersionRecord]:
        """``rebuild`` from templates made ready by ``registry.storage.rebuild.prepare``
        (possibly in another process); returns the versions they held."""

    def create_token(self, municipality: str, name: str, admin: bool = False) -> str:
        """A new token (returned once, stored hashed)."""

    def verify_token(self, token: str) -> TokenInfo | None:
        """What a token stands for, or None."""

    def verify_token_hash(self, digest: str) -> TokenInfo | None:
        """What the live token with this SHA-256 hex stands for, or None."""

    def revoke_token(self, municipality: str, name: str) -> None:
        """Revoke a token."""

    def list_tokens(self, municipality: str) -> list[TokenInfo]:
        """The tokens of a municipality (never the secrets)."""
