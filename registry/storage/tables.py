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

from sqlalchemy import Column, Index, Integer, String, Text, UniqueConstraint, text
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
    """One audited action (kept across rebuilds: git cannot restore it)."""

    __tablename__ = "audit_log"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                          autoincrement=True))
    at: str = Field(sa_type=String, nullable=False)
    actor: str = Field(sa_type=Text, nullable=False)
    action: str = Field(sa_type=String, nullable=False)
    target: str = Field(sa_type=Text, nullable=False)
    detail: str | None = Field(default=None, sa_type=Text)
    remote_addr: str | None = Field(default=None, sa_type=String)


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
UNMODELLED = ("templates_fts", "ix_templates_search_trgm")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the FTS5 table (and its shadow tables) and the trigram index out of comparisons."""
    return not (name and name.startswith(UNMODELLED))


class SearchTermRow(SQLModel, table=True):
    """One index key of a template (registry/search/analyser.py), for search by meaning.

    ``code`` names the field it came from (registry/search/ranking.CODES), ``pos`` the tag or
    field title. The primary key (term, template_id) is the btree a query's keys look up: it
    answers one-character queries as fast as long ones.
    """

    __tablename__ = "search_terms"

    term: str = Field(sa_type=key_type(), primary_key=True)
    template_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    code: int = Field(sa_column=Column(Integer, nullable=False))
    pos: int = Field(sa_column=Column(Integer, nullable=False))
