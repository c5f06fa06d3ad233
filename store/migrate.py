"""Apply Alembic migrations and compare the models with the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Integer, text
from sqlmodel import SQLModel

import store.models  # noqa: F401 - registers the tables

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x6263_6D69_6772_6174  # "bcmigrat": one PostgreSQL advisory lock key


def compare_type(
    context: MigrationContext,
    inspected_column: Any,  # noqa: ARG001 - Alembic's hook signature
    metadata_column: Any,  # noqa: ARG001
    inspected_type: Any,
    metadata_type: Any,
) -> bool | None:
    """Autogenerate's type comparison, except that SQLite's integers are all one type.

    SQLite stores INTEGER and BIGINT alike (up to 64 bits), so widening a column there is
    no change at all; only PostgreSQL needs migration 0002's ALTERs.
    """
    both_integers = isinstance(inspected_type, Integer) and isinstance(metadata_type, Integer)
    if context.dialect.name == "sqlite" and both_integers:
        return False
    return None  # the default comparison


def alembic_config(connection: Any = None) -> Config:
    """An Alembic config pointing at our migrations, optionally bound to `connection`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (head by default), one process at a time.

    On PostgreSQL concurrent first starts would each find no `alembic_version` and race to
    create the schema; a transaction-scoped advisory lock taken before Alembic looks makes
    the later ones wait, then find the schema at head and do nothing. (SQLite's writers
    already queue on BEGIN IMMEDIATE.)
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when empty)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of the app."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def pending_differences(engine: Engine) -> list[Any]:
    """What autogenerate would still change: empty when models and migrations agree."""
    with engine.connect() as connection:
        ctx = MigrationContext.configure(
            connection,
            opts={
                "compare_type": compare_type,
                "render_as_batch": connection.dialect.name == "sqlite",
            },
        )
        return list(compare_metadata(ctx, SQLModel.metadata))
