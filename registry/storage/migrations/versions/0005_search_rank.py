"""Search at scale: a rank key per posting, read best first; an index of normalised titles.

Revision ID: 0005
Revises: 0004

``search_terms.rk`` (weight digit + recency suffix, registry/search/topk.py) with the index
(term, rk) lets a query read a common word's postings best first and stop early; the
``title_norm`` index finds the templates whose whole title equals the query. The rank keys are
computed in Python, so this revision empties ``search_terms`` and forgets the index's git tip:
the next start (or ``yoshiki admin doctor``) finds no tip and rebuilds the index from git.


"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _key() -> sa.types.TypeEngine[str]:
    """Bytewise-sorted text (the "C" collation on PostgreSQL), as in tables.key_type."""
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def upgrade() -> None:
    """Add the rank key and the two indexes; empty the keys and ask for a rebuild."""
    if op.get_bind().dialect.name == "sqlite":
        # Emptied anyway: made again WITHOUT ROWID, the table being its primary key's b-tree.
        op.drop_table("search_terms")
        op.create_table(
            "search_terms",
            sa.Column("term", _key(), nullable=False),
            sa.Column("template_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("code", sa.Integer(), nullable=False),
            sa.Column("pos", sa.Integer(), nullable=False),
            sa.Column("rk", _key(), nullable=False, server_default=""),
            sa.PrimaryKeyConstraint("term", "template_id"),
            sqlite_with_rowid=False,
        )
    else:
        op.execute("DELETE FROM search_terms")
        op.add_column("search_terms", sa.Column("rk", _key(), nullable=False, server_default=""))
    op.create_index("ix_search_terms_rank", "search_terms", ["term", "rk", "template_id", "code"])
    op.create_index("ix_search_terms_template", "search_terms", ["template_id", "term", "code"])
    op.create_index("ix_templates_title_norm", "templates", ["title_norm"])
    op.execute("DELETE FROM index_state WHERE name = 'git_tip'")


def downgrade() -> None:
    """Drop what this revision added (the keys stay empty until a reindex)."""
    op.drop_index("ix_templates_title_norm", table_name="templates")
    op.drop_index("ix_search_terms_template", table_name="search_terms")
    op.drop_index("ix_search_terms_rank", table_name="search_terms")
    with op.batch_alter_table("search_terms") as batch:
        batch.drop_column("rk")
