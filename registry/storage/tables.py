"""The SQL index's tables (SQLModel); private to ``registry.storage`` — use ``SqlIndex``.

Everything except ``api_tokens`` and ``audit_log`` is a cache of git and is rebuilt by
``SqlIndex.rebuild``. Timestamps are ISO 8601 UTC text (``2026-11-24T19:47:59Z``, seconds),
so they sort as text and read back identically on SQLite and PostgreSQL. Keys and sort columns
use the "C" collation on PostgreSQL so that ``ORDER BY lg, slug`` is byte order, as on SQLite.

The migrations in ``registry/storage/migrations`` create exactly these tables (a test compares
them), plus what the models cannot say: the FTS5 table and its triggers on SQLite, the pg_trgm
GIN index on PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel


def key_type() -> TypeEngine[str]:
    """Text compared and sorted bytewise on both backends ("C" collation on PostgreSQL)."""
    return String().with_variant(String(collation="C"), "postgresql")


class TemplateRow(SQLModel, table=True):
    """One template: the latest version's metadata plus what search needs."""

    __tablename__ = "templates"
    __table_args__ = (
        UniqueConstraint("lg", "slug", name="uq_templates_lg_slug"),
        Index("ix_templates_order", "updated_at", "lg", "slug"),
        Index("ix_templates_title_norm", "title_norm"),
        Index("ix_templates_category", "category"),
        Index("ix_templates_prefecture", "prefecture_code"),
        Index("ix_templates_upstream", "upstream_template"),
    )

    # An integer rowid: the SQLite FTS5 table is an external-content table keyed on it.
    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                          autoincrement=True))
    lg: str = Field(sa_type=key_type(), nullable=False)
    slug: str = Field(sa_type=key_type(), nullable=False)
    title: str = Field(sa_type=Text, nullable=False)
    title_en: str | None = Field(default=None, sa_type=Text)
    description: str | None = Field(default=None, sa_type=Text)
    category: str = Field(sa_type=key_type(), nullable=False)
    tags: str = Field(sa_type=Text, nullable=False)            # JSON array, as published
    latest_version: str = Field(sa_type=key_type(), nullable=False)
    updated_at: str = Field(sa_type=key_type(), nullable=False)  # newest published_at
    upstream_template: str | None = Field(default=None, sa_type=key_type())
    fork_count: int = Field(default=0, sa_column=Column(Integer, nullable=False,
                                                       server_default=text("0")))
    municipality_name: str = Field(sa_type=Text, nullable=False)
    prefecture_code: str = Field(sa_type=key_type(), nullable=False)
    # Normalised (NFKC + casefold) text for substring search; see sql_index.normalize.
    title_norm: str = Field(sa_type=Text, nullable=False)
    search_text: str = Field(sa_type=Text, nullable=False)
    # JSON array of the latest version's field titles (for the reason a result matched).
    field_titles: str | None = Field(default=None, sa_type=Text)


class TemplateTagRow(SQLModel, table=True):
    """One tag of a template's latest version, for the ``tag=`` filter."""

    __tablename__ = "template_tags"
    __table_args__ = (Index("ix_template_tags_tag", "tag"),)

    lg: str = Field(sa_type=key_type(), primary_key=True)
    slug: str = Field(sa_type=key_type(), primary_key=True)
    tag: str = Field(sa_type=key_type(), primary_key=True)


class VersionRow(SQLModel, table=True):
    """One published version: everything in a VersionRecord, plus SemVer parts for ordering."""

    __tablename__ = "versions"

    lg: str = Field(sa_type=key_type(), primary_key=True)
    slug: str = Field(sa_type=key_type(), primary_key=True)
    version: str = Field(sa_type=key_type(), primary_key=True)
    major: int = Field(nullable=False)
    minor: int = Field(nullable=False)
    patch: int = Field(nullable=False)
    commit: str = Field(sa_type=String, nullable=False)
    published_at: str = Field(sa_type=key_type(), nullable=False)
    author_name: str = Field(sa_type=Text, nullable=False)
    author_email: str = Field(sa_type=Text, nullable=False)
    title: str = Field(sa_type=Text, nullable=False)
    title_en: str | None = Field(default=None, sa_type=Text)
    description: str | None = Field(default=None, sa_type=Text)
    category: str = Field(sa_type=Text, nullable=False)
    tags: str = Field(sa_type=Text, nullable=False)            # JSON array
    license: str | None = Field(default=None, sa_type=Text)
    compatibility: str = Field(sa_type=String, nullable=False)
    changelog: str | None = Field(default=None, sa_type=Text)
    bump: str | None = Field(default=None, sa_type=String)
    upstream_template: str | None = Field(default=None, sa_type=key_type())
    upstream_version: str | None = Field(default=None, sa_type=String)
    upstream_commit: str | None = Field(default=None, sa_type=String)
    deprecated: bool = Field(default=False, nullable=False)
    deprecated_reason: str | None = Field(default=None, sa_type=Text)
    event: str = Field(sa_type=String, nullable=False)         # published | forked | pulled
    field_titles: str | None = Field(default=None, sa_type=Text)  # JSON array, for search


class LineageRow(SQLModel, table=True):
    """A fork edge: this fork version was taken from (or pulled up to) that upstream version."""

    __tablename__ = "lineage"
    __table_args__ = (Index("ix_lineage_upstream", "upstream_lg", "upstream_slug"),)

    fork_lg: str = Field(sa_type=key_type(), primary_key=True)
    fork_slug: str = Field(sa_type=key_type(), primary_key=True)
    fork_version: str = Field(sa_type=key_type(), primary_key=True)
    upstream_lg: str = Field(sa_type=key_type(), nullable=False)
    upstream_slug: str = Field(sa_type=key_type(), nullable=False)
    upstream_version: str | None = Field(default=None, sa_type=String)
    upstream_commit: str | None = Field(default=None, sa_type=String)


class EventRow(SQLModel, table=True):
    """The append-only change feed; ``id`` is the cursor (never reused, never renumbered)."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_target", "lg", "slug", "version", "kind"),
                      {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                          autoincrement=True))
    kind: str = Field(sa_type=String, nullable=False)
    lg: str = Field(sa_type=key_type(), nullable=False)
    slug: str = Field(sa_type=key_type(), nullable=False)
    version: str = Field(sa_type=key_type(), nullable=False)
    at: str = Field(sa_type=String, nullable=False)
    actor: str = Field(sa_type=Text, nullable=False)
    upstream_template: str | None = Field(default=None, sa_type=String)
    detail: str | None = Field(default=None, sa_type=Text)


class AuditRow(SQLModel, table=True):
    """One audited action (kept across rebuilds).

    A write to git names its commit: at most one entry per commit (a unique index), so the
    catch-up after a crash (registry/recovery.py) can restore a lost entry from the commit's
    trailers without ever doubling one.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("uq_audit_log_commit", "commit", unique=True,
              sqlite_where=text("\"commit\" IS NOT NULL"),
              postgresql_where=text("\"commit\" IS NOT NULL")),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                          autoincrement=True))
    at: str = Field(sa_type=String, nullable=False)
    actor: str = Field(sa_type=Text, nullable=False)
    action: str = Field(sa_type=String, nullable=False)
    target: str = Field(sa_type=Text, nullable=False)
    detail: str | None = Field(default=None, sa_type=Text)
    remote_addr: str | None = Field(default=None, sa_type=String)
    commit: str | None = Field(default=None, sa_type=String)


class IndexStateRow(SQLModel, table=True):
    """Named values about the index itself: ``git_tip`` = the last commit it has caught up with."""

    __tablename__ = "index_state"

    name: str = Field(sa_type=String, primary_key=True)
    value: str = Field(sa_type=String, nullable=False)


class DetachmentRow(SQLModel, table=True):
    """A city detached its template from its upstream (a cache of ``<lg>/<slug>/detached.json``)."""

    __tablename__ = "detachments"
    __table_args__ = (Index("ix_detachments_upstream", "upstream_template"),)

    lg: str = Field(sa_type=key_type(), primary_key=True)
    slug: str = Field(sa_type=key_type(), primary_key=True)
    upstream_template: str = Field(sa_type=key_type(), primary_key=True)
    version: str = Field(sa_type=key_type(), primary_key=True)   # the fork's latest at detach
    at: str = Field(sa_type=String, nullable=False)
    actor: str = Field(sa_type=Text, nullable=False)
    reason: str | None = Field(default=None, sa_type=Text)


class ForkStatusRow(SQLModel, table=True):
    """A template as a node of the fork graph: latest version, upstream version taken, behind.

    A cache of git (``registry/forktree.py``); refreshed at publish, rebuilt by reindex.
    """

    __tablename__ = "fork_status"
    __table_args__ = (Index("ix_fork_status_upstream", "upstream_template"),
                      Index("ix_fork_status_prefecture", "prefecture_code", "lg", "slug"),
                      Index("ix_fork_status_adoption", "prefecture_code", "upstream_template",
                            "behind", "detached"))

    lg: str = Field(sa_type=key_type(), primary_key=True)
    slug: str = Field(sa_type=key_type(), primary_key=True)
    title: str = Field(sa_type=Text, nullable=False)
    municipality_name: str = Field(sa_type=Text, nullable=False)
    prefecture_code: str = Field(sa_type=key_type(), nullable=False)
    latest_version: str = Field(sa_type=key_type(), nullable=False)
    upstream_template: str | None = Field(default=None, sa_type=key_type())
    upstream_version: str | None = Field(default=None, sa_type=String)
    upstream_latest: str | None = Field(default=None, sa_type=String)
    behind: int = Field(default=0, nullable=False)
    detached: bool = Field(default=False, nullable=False)


class ForkDivergenceRow(SQLModel, table=True):
    """One field-level difference of a fork's latest version from the upstream version it took."""

    __tablename__ = "fork_divergence"
    __table_args__ = (
        # Covering indexes of the aggregations: by prefecture and upstream, or by upstream.
        Index("ix_fork_divergence_prefecture", "prefecture_code", "upstream_template",
              "category", "field", "lg", "slug"),
        Index("ix_fork_divergence_upstream", "upstream_template", "category", "field"),
    )

    lg: str = Field(sa_type=key_type(), primary_key=True)
    slug: str = Field(sa_type=key_type(), primary_key=True)
    category: str = Field(sa_type=key_type(), primary_key=True)
    field: str = Field(sa_type=key_type(), primary_key=True)
    # Copied from the fork's status so that counting needs no join.
    prefecture_code: str = Field(sa_type=key_type(), nullable=False)
    upstream_template: str = Field(sa_type=key_type(), nullable=False)
    label: str = Field(sa_type=Text, nullable=False)
    message: str = Field(sa_type=Text, nullable=False)
    message_ja: str = Field(sa_type=Text, nullable=False)


class WebhookRow(SQLModel, table=True):
    """A city's webhook: where its notices go and the secret they are signed with.

    Kept across rebuilds (git cannot restore it), like tokens. The secret is kept in clear:
    the registry must sign with it (HMAC-SHA256); it is shown to the city once.
    """

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_municipality", "municipality"),
                      {"sqlite_autoincrement": True})

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                          autoincrement=True))
    municipality: str = Field(sa_type=key_type(), nullable=False)
    url: str = Field(sa_type=Text, nullable=False)
    secret: str = Field(sa_type=String, nullable=False)
    created_at: str = Field(sa_type=String, nullable=False)
    created_by: str = Field(sa_type=Text, nullable=False)


class WebhookDeliveryRow(SQLModel, table=True):
    """The outbox: one delivery of one change-feed event to one webhook (at-least-once)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                          autoincrement=True))
    webhook_id: int = Field(nullable=False)
    event_id: int = Field(nullable=False)
    status: str = Field(sa_type=String, nullable=False)        # pending | delivered | failed
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: str = Field(sa_type=String, nullable=False)
    claimed_until: str | None = Field(default=None, sa_type=String)
    last_status: int | None = Field(default=None)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: str = Field(sa_type=String, nullable=False)
    delivered_at: str | None = Field(default=None, sa_type=String)


class NoticeStateRow(SQLModel, table=True):
    """Named cursors of the notices: ``outbox_cursor`` = the last event put in the outbox."""

    __tablename__ = "notice_state"

    name: str = Field(sa_type=String, primary_key=True)
    value: int = Field(nullable=False)


class TokenRow(SQLModel, table=True):
    """An API token: only the SHA-256 hex of the secret is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        # A name is unique among a municipality's live tokens; revoked ones keep their row.
        Index("uq_api_tokens_live_name", "municipality", "name", unique=True,
              sqlite_where=text("revoked_at IS NULL"),
              postgresql_where=text("revoked_at IS NULL")),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                          autoincrement=True))
    municipality: str = Field(sa_type=key_type(), nullable=False)
    name: str = Field(sa_type=key_type(), nullable=False)
    admin: bool = Field(default=False, nullable=False)
    token_hash: str = Field(sa_type=String(64), nullable=False, unique=True)
    created_at: str = Field(sa_type=String, nullable=False)
    revoked_at: str | None = Field(default=None, sa_type=String)
    last_used_at: str | None = Field(default=None, sa_type=String)


METADATA = SQLModel.metadata
# Objects the models cannot describe; created by the migrations, not compared by autogenerate.
UNMODELLED = ("templates_fts", "ix_templates_search_trgm", "ix_search_terms_prefecture")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the FTS5 table (and its shadow tables) and PostgreSQL's trigram and prefecture
    indexes out of comparisons."""
    return not (name and name.startswith(UNMODELLED))


class SearchTermRow(SQLModel, table=True):
    """One index key of a template (registry/search/analyser.py), for search by meaning.

    ``code`` names the field it came from (registry/search/ranking.CODES), ``pos`` the tag or
    field title, ``rk`` its place in the key's list (weight, then recency: registry/search/
    topk.py). ``prefecture_code`` and ``category`` repeat the template's, so a search filtered
    by them reads its lists from this table alone.

    - The primary key (template_id, term) holds one template's keys together: scoring a
      template met in a list, replacing its keys. A rebuild writes templates in id order, so
      on SQLite (WITHOUT ROWID: the table is this b-tree) its rows are appended, not inserted
      at random places (migration 0006).
    - ``ix_search_terms_rank`` (term, rk, …) reads a key's postings best first; it carries the
      category and the prefecture (a filtered list is read from it alone, skipping the other
      categories' and prefectures' postings, without touching the templates: joined to them,
      a list read 25 postings for each one it kept in 東京都, 4 % of the catalogue).
    - PostgreSQL only (migration 0007, ``UNMODELLED``): ``ix_search_terms_prefecture`` (term,
      prefecture, rk, …) seeks one prefecture's part of a key's list, which at 500k templates
      can be long; on SQLite reading past the others costs less than building it in a reindex.
    """

    __tablename__ = "search_terms"
    __table_args__ = (Index("ix_search_terms_rank", "term", "rk", "template_id", "code", "category",
                            "prefecture_code"),
                      # PostgreSQL: the probes by (template_id, term) read the index alone.
                      PrimaryKeyConstraint("template_id", "term",
                                           postgresql_include=["code", "pos", "rk"]),
                      {"sqlite_with_rowid": False})

    template_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    term: str = Field(sa_type=key_type(), primary_key=True)
    code: int = Field(sa_column=Column(Integer, nullable=False))
    pos: int = Field(sa_column=Column(Integer, nullable=False))
    rk: str = Field(sa_column=Column(key_type(), nullable=False, server_default=""))
    prefecture_code: str = Field(sa_column=Column(String, nullable=False, server_default=""))
    category: str = Field(sa_column=Column(String, nullable=False, server_default=""))
