"""Search by meaning: the inverted key table and the field titles of versions and templates.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``search_terms`` (btree on term) and ``field_titles`` columns; run reindex to fill."""
    key = sa.String().with_variant(sa.String(collation="C"), "postgresql")
    op.create_table(
        "search_terms",
        sa.Column("term", key, nullable=False),
        sa.Column("template_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("pos", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", "template_id"),
    )
    op.add_column("versions", sa.Column("field_titles", sa.Text(), nullable=True))
    op.add_column("templates", sa.Column("field_titles", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop what this revision added."""
    op.drop_column("templates", "field_titles")
    op.drop_column("versions", "field_titles")
    op.drop_table("search_terms")
