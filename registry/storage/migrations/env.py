"""Alembic environment: run on the connection ``SqlIndex.migrate`` hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from registry.storage.tables import METADATA, include_name


def run() -> None:
    """Run the migrations on the given connection."""
    connection: Connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=METADATA,
                      include_name=include_name, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
