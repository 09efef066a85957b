"""Recovery and lineage: the index's own state, audit entries keyed by commit, detachments.

- ``index_state``: ``git_tip`` = the last commit the index has caught up with (incremental
  catch-up after a crash between the git commit and the index write; registry/recovery.py).
- ``audit_log.commit`` with a unique index (where not null): one entry per git write, so a lost
  entry is restored from the commit's trailers and never doubled.
- ``detachments``: a fork detached from its upstream (``yoshiki detach``), restored from git.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def key() -> sa.types.TypeEngine[str]:
    """Bytewise-sorted text (the "C" collation on PostgreSQL), as in tables.key_type."""
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    """Add the tables and the audit column."""
    op.create_table(
        "index_state",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "detachments",
        sa.Column("lg", key(), nullable=False),
        sa.Column("slug", key(), nullable=False),
        sa.Column("upstream_template", key(), nullable=False),
        sa.Column("version", key(), nullable=False),
        sa.Column("at", sa.String(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("lg", "slug", "upstream_template", "version"),
    )
    op.create_index("ix_detachments_upstream", "detachments", ["upstream_template"])
    op.add_column("audit_log", sa.Column("commit", sa.String(), nullable=True))
    # Entries written before this column name their commit in the detail ("commit <sha>, …").
    op.execute("UPDATE audit_log SET \"commit\" = substr(detail, 8, 40) "
               "WHERE action IN ('publish', 'fork', 'pull') AND detail LIKE 'commit %'")
    op.create_index("uq_audit_log_commit", "audit_log", ["commit"], unique=True,
                    sqlite_where=sa.text('"commit" IS NOT NULL'),
                    postgresql_where=sa.text('"commit" IS NOT NULL'))


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_index("uq_audit_log_commit", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("commit")
    op.drop_index("ix_detachments_upstream", table_name="detachments")
    op.drop_table("detachments")
    op.drop_table("index_state")
