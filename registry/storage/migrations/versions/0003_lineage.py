"""Whole lineage and divergence (``fork_status``, ``fork_divergence``: caches of git) and
webhooks (``webhooks``, the outbox ``webhook_deliveries``, ``notice_state``: kept by rebuilds).

One row per template in ``fork_status`` (latest version, upstream version taken, releases
behind, detached) and one row per field-level difference of a fork in ``fork_divergence``;
both refreshed at publish (``registry/lineage_upkeep.py``) and rebuilt by reindex.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def key() -> sa.types.TypeEngine[str]:
    """Bytewise-sorted text (the "C" collation on PostgreSQL), as in tables.key_type."""
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    """Create the two tables."""
    op.create_table(
        "fork_status",
        sa.Column("lg", key(), nullable=False),
        sa.Column("slug", key(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("municipality_name", sa.Text(), nullable=False),
        sa.Column("prefecture_code", key(), nullable=False),
        sa.Column("latest_version", key(), nullable=False),
        sa.Column("upstream_template", key(), nullable=True),
        sa.Column("upstream_version", sa.String(), nullable=True),
        sa.Column("upstream_latest", sa.String(), nullable=True),
        sa.Column("behind", sa.Integer(), nullable=False),
        sa.Column("detached", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("lg", "slug"),
    )
    op.create_index("ix_fork_status_upstream", "fork_status", ["upstream_template"])
    op.create_index("ix_fork_status_prefecture", "fork_status", ["prefecture_code", "lg", "slug"])
    op.create_index("ix_fork_status_adoption", "fork_status",
                    ["prefecture_code", "upstream_template", "behind", "detached"])
    op.create_table(
        "fork_divergence",
        sa.Column("lg", key(), nullable=False),
        sa.Column("slug", key(), nullable=False),
        sa.Column("category", key(), nullable=False),
        sa.Column("field", key(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("message_ja", sa.Text(), nullable=False),
        sa.Column("prefecture_code", key(), nullable=False),
        sa.Column("upstream_template", key(), nullable=False),
        sa.PrimaryKeyConstraint("lg", "slug", "category", "field"),
    )
    op.create_index("ix_fork_divergence_prefecture", "fork_divergence",
                    ["prefecture_code", "upstream_template", "category", "field", "lg", "slug"])
    op.create_index("ix_fork_divergence_upstream", "fork_divergence",
                    ["upstream_template", "category", "field"])


    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("municipality", key(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhooks_municipality", "webhooks", ["municipality"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.String(), nullable=False),
        sa.Column("claimed_until", sa.String(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("delivered_at", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_event"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"])
    op.create_table(
        "notice_state",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("notice_state")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhooks_municipality", table_name="webhooks")
    op.drop_table("webhooks")
    op.drop_index("ix_fork_divergence_upstream", table_name="fork_divergence")
    op.drop_index("ix_fork_divergence_prefecture", table_name="fork_divergence")
    op.drop_table("fork_divergence")
    op.drop_index("ix_fork_status_adoption", table_name="fork_status")
    op.drop_index("ix_fork_status_prefecture", table_name="fork_status")
    op.drop_index("ix_fork_status_upstream", table_name="fork_status")
    op.drop_table("fork_status")
