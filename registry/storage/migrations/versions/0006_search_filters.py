"""Search filtered by prefecture or category read from the index alone; keys appended, not inserted.

Revision ID: 0006
Revises: 0005

- ``search_terms`` repeats each template's ``prefecture_code`` and ``category``: the index
  (term, prefecture_code, rk, …) reads one prefecture's part of a key's list in rank order and
  the rank index carries the category, so a filtered search no longer joins every posting it
  reads to the templates table (東京都 at 100k templates: a list read ~25 postings for each it
  kept; p99 of a filtered multi-word search 120–210 ms on PostgreSQL).
- The primary key becomes (template_id, term): it is the access path the search needs anyway
  (a template's keys), so ``ix_search_terms_template`` goes, and a rebuild, which writes the
  templates in id order, appends to it instead of inserting at random places (SQLite: the
  table is that b-tree).

The keys are computed in Python, so the table is made again empty and the index's git tip is
forgotten: the next start (or ``yoshiki admin doctor``) rebuilds the index from git, as after
0005.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _key() -> sa.types.TypeEngine[str]:
    """Bytewise-sorted text (the "C" collation on PostgreSQL), as in tables.key_type."""
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def _columns() -> list[sa.Column[object]]:
    return [sa.Column("term", _key(), nullable=False),
            sa.Column("template_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("code", sa.Integer(), nullable=False),
            sa.Column("pos", sa.Integer(), nullable=False),
            sa.Column("rk", _key(), nullable=False, server_default="")]


def upgrade() -> None:
    """Make ``search_terms`` again, empty, with the filters' columns and the new keys."""
    op.drop_table("search_terms")
    op.create_table(
        "search_terms",
        *_columns(),
        sa.Column("prefecture_code", sa.String(), nullable=False, server_default=""),
        sa.Column("category", sa.String(), nullable=False, server_default=""),
        # PostgreSQL: the probes by (template_id, term) read the index alone.
        sa.PrimaryKeyConstraint("template_id", "term", postgresql_include=["code", "pos", "rk"]),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_terms_rank", "search_terms",
                    ["term", "rk", "template_id", "code", "category"])
    op.create_index("ix_search_terms_prefecture", "search_terms",
                    ["term", "prefecture_code", "rk", "template_id", "code", "category"])
    op.execute("DELETE FROM index_state WHERE name = 'git_tip'")


def downgrade() -> None:
    """Back to 0005's table, empty (filled by the next reindex)."""
    op.drop_table("search_terms")
    op.create_table(
        "search_terms",
        *_columns(),
        sa.PrimaryKeyConstraint("term", "template_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_terms_rank", "search_terms", ["term", "rk", "template_id", "code"])
    op.create_index("ix_search_terms_template", "search_terms", ["template_id", "term", "code"])
    op.execute("DELETE FROM index_state WHERE name = 'git_tip'")
