"""Initial tables: templates, tags, versions, lineage, change feed, audit log, API tokens.

Dialect-specific search support: an FTS5 trigram table kept in step by triggers on SQLite, the
pg_trgm extension and a GIN trigram index on PostgreSQL.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def key() -> sa.types.TypeEngine[str]:
    """Bytewise-sorted text (the "C" collation on PostgreSQL), as in tables.key_type."""
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


SQLITE_FTS = [
    # External content: the text lives once, in templates.search_text; case folding is done
    # in Python (sql_index.normalize) so that SQLite and PostgreSQL fold identically.
    "CREATE VIRTUAL TABLE templates_fts USING fts5(search_text, content='templates', "
    "content_rowid='id', tokenize='trigram case_sensitive 1')",
    "CREATE TRIGGER templates_fts_ai AFTER INSERT ON templates BEGIN "
    "INSERT INTO templates_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER templates_fts_ad AFTER DELETE ON templates BEGIN "
    "INSERT INTO templates_fts(templates_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER templates_fts_au AFTER UPDATE OF search_text ON templates BEGIN "
    "INSERT INTO templates_fts(templates_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO templates_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
]
POSTGRES_TRGM = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_templates_search_trgm ON templates USING gin (search_text gin_trgm_ops)",
]


def upgrade() -> None:
    """Create every table and the dialect's search index."""
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("municipality", key(), nullable=False),
        sa.Column("name", key(), nullable=False),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("revoked_at", sa.String(), nullable=True),
        sa.Column("last_used_at", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("uq_api_tokens_live_name", "api_tokens", ["municipality", "name"],
                    unique=True, sqlite_where=sa.text("revoked_at IS NULL"),
                    postgresql_where=sa.text("revoked_at IS NULL"))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("remote_addr", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("lg", key(), nullable=False),
        sa.Column("slug", key(), nullable=False),
        sa.Column("version", key(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("upstream_template", sa.String(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_target", "events", ["lg", "slug", "version", "kind"])
    op.create_table(
        "lineage",
        sa.Column("fork_lg", key(), nullable=False),
        sa.Column("fork_slug", key(), nullable=False),
        sa.Column("fork_version", key(), nullable=False),
        sa.Column("upstream_lg", key(), nullable=False),
        sa.Column("upstream_slug", key(), nullable=False),
        sa.Column("upstream_version", sa.String(), nullable=True),
        sa.Column("upstream_commit", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("fork_lg", "fork_slug", "fork_version"),
    )
    op.create_index("ix_lineage_upstream", "lineage", ["upstream_lg", "upstream_slug"])
    op.create_table(
        "template_tags",
        sa.Column("lg", key(), nullable=False),
        sa.Column("slug", key(), nullable=False),
        sa.Column("tag", key(), nullable=False),
        sa.PrimaryKeyConstraint("lg", "slug", "tag"),
    )
    op.create_index("ix_template_tags_tag", "template_tags", ["tag"])
    op.create_table(
        "templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lg", key(), nullable=False),
        sa.Column("slug", key(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", key(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("latest_version", key(), nullable=False),
        sa.Column("updated_at", key(), nullable=False),
        sa.Column("upstream_template", key(), nullable=True),
        sa.Column("fork_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("municipality_name", sa.Text(), nullable=False),
        sa.Column("prefecture_code", key(), nullable=False),
        sa.Column("title_norm", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lg", "slug", name="uq_templates_lg_slug"),
    )
    op.create_index("ix_templates_category", "templates", ["category"])
    op.create_index("ix_templates_order", "templates", ["updated_at", "lg", "slug"])
    op.create_index("ix_templates_prefecture", "templates", ["prefecture_code"])
    op.create_index("ix_templates_upstream", "templates", ["upstream_template"])
    op.create_table(
        "versions",
        sa.Column("lg", key(), nullable=False),
        sa.Column("slug", key(), nullable=False),
        sa.Column("version", key(), nullable=False),
        sa.Column("major", sa.Integer(), nullable=False),
        sa.Column("minor", sa.Integer(), nullable=False),
        sa.Column("patch", sa.Integer(), nullable=False),
        sa.Column("commit", sa.String(), nullable=False),
        sa.Column("published_at", key(), nullable=False),
        sa.Column("author_name", sa.Text(), nullable=False),
        sa.Column("author_email", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("license", sa.Text(), nullable=True),
        sa.Column("compatibility", sa.String(), nullable=False),
        sa.Column("changelog", sa.Text(), nullable=True),
        sa.Column("bump", sa.String(), nullable=True),
        sa.Column("upstream_template", key(), nullable=True),
        sa.Column("upstream_version", sa.String(), nullable=True),
        sa.Column("upstream_commit", sa.String(), nullable=True),
        sa.Column("deprecated", sa.Boolean(), nullable=False),
        sa.Column("deprecated_reason", sa.Text(), nullable=True),
        sa.Column("event", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("lg", "slug", "version"),
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS if dialect == "sqlite" else POSTGRES_TRGM if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    """Drop everything this revision created (the pg_trgm extension stays: others may use it)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS templates_fts")
    for table in ("versions", "templates", "template_tags", "lineage", "events", "audit_log",
                  "api_tokens"):
        op.drop_table(table)
