"""Alembic environment: runs migrations on the connection handed in by `store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import store.models  # noqa: F401 - registers the tables on SQLModel.metadata
from store.migrate import compare_type

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Run migrations on `config.attributes['connection']` (always given by store.migrate)."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=compare_type,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
