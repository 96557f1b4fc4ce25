"""Alembic environment: run by quoting.store.Store.upgrade() on a given connection."""

from __future__ import annotations

from alembic import context

from quoting.store._tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
