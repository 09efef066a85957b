"""Shorter rank keys; on SQLite one index for a key's postings, the prefecture carried in it.

Revision ID: 0007
Revises: 0006

Both make a reindex faster at national scale (issue 18): it writes millions of search keys,
each with its rank key in the table and in the rank index.

- The recency suffix of a rank key (``registry.search.topk.recency_suffix``) holds the time
  and the fork count as 12 base-62 characters instead of 29 (inverted ISO text and nine
  digits); the order is the same. Keys are computed in Python, so the table is emptied and the
  index's git tip forgotten: the next start (or ``yoshiki admin doctor``) rebuilds the index
  from git, as after 0005 and 0006. A search page cursor from before holds an old suffix: it
  is refused with "start again" (``registry.search.cursors``).
- ``ix_search_terms_rank`` (term, rk, template_id, code, category) gains the template's
  ``prefecture_code``, so a search filtered by prefecture reads a key's list in rank order from
  that index alone, skipping the other prefectures' postings as it skips the other categories'.
- SQLite: ``ix_search_terms_prefecture`` goes. Building it was a third of a reindex's index
  work (3.3 s of ~7 at 100k templates, 3.4 M keys) and a quarter of the database; reading past
  the other prefectures' postings costs SQLite a few milliseconds (bench/search.py).
- PostgreSQL keeps it: at 500k templates a key's list can hold 500k postings, which a
  prefecture without that key would read end to end. It is made by the migrations alone
  (``tables.UNMODELLED``), like the trigram index.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_RANK = ["term", "rk", "template_id", "code", "category"]
_PREFECTURE = ["term", "prefecture_code", "rk", "template_id", "code", "category"]


def _empty_and_forget() -> None:
    """No keys, no git tip: the next start rebuilds the index from git."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("TRUNCATE search_terms")
    else:
        op.execute("DELETE FROM search_terms")
    op.execute("DELETE FROM index_state WHERE name = 'git_tip'")


def upgrade() -> None:
    """The rank index with the prefecture; no prefecture index on SQLite; keys made again."""
    op.drop_index("ix_search_terms_rank", table_name="search_terms")
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_search_terms_prefecture", table_name="search_terms")
    _empty_and_forget()
    op.create_index("ix_search_terms_rank", "search_terms", [*_RANK, "prefecture_code"])


def downgrade() -> None:
    """0006's indexes, the keys made again."""
    op.drop_index("ix_search_terms_rank", table_name="search_terms")
    _empty_and_forget()
    op.create_index("ix_search_terms_rank", "search_terms", _RANK)
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_search_terms_prefecture", "search_terms", _PREFECTURE)
