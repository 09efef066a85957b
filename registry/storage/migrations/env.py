"""Alembic environment: run on the connection ``SqlIndex.migrate`` hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from registry.storage.tables import METADATA

# Objects the models cannot describe; created by the migrations, not compared by autogenerate.
UNMODELLED = ("templates_fts", "ix_templates_search_trgm")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the FTS5 table (and its shadow tables) and the trigram index out of comparisons."""
    return not (name and name.startswith(UNMODELLED))


def run() -> None:
    """Run the migrations on the given connection."""
    connection: Connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=METADATA,
                      include_name=include_name, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
