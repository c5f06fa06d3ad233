"""Apply Alembic migrations and compare the models with the database.

Alembic (and the models) load only when there is something to do: `at_head` reads the
version table with plain SQL and compares it with the newest revision named in the
migration files, so opening a database whose schema is current imports neither.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Integer, text
from sqlalchemy.exc import DBAPIError

from store.engine import read_connection

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.migration import MigrationContext

# ruff: noqa: PLC0415 - Alembic and the models are imported only to migrate or compare

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x6263_6D69_6772_6174  # "bcmigrat": one PostgreSQL advisory lock key
VERSION_TABLE = "alembic_version"
_REVISION = re.compile(r"^revision(?:: str)? = [\"']([^\"']+)[\"']$", re.MULTILINE)
_DOWN = re.compile(
    r"^down_revision(?:: str \| None)? = (?:None|[\"']([^\"']+)[\"'])$", re.MULTILINE
)


@cache
def shipped_head() -> str | None:
    """The newest revision in the migration files, read as text (no Alembic import).

    None when the files do not form one plain line of revisions (a merge, a branch, a
    form the patterns do not know): then the caller asks Alembic.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN.search(source)
        if len(revision) != 1 or down is None:
            return None
        revisions.add(revision[0])
        if down.group(1):
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def at_head(engine: Engine) -> bool:
    """Whether the database's schema is at the newest shipped revision (plain SQL, read only).

    False when unsure (no version table yet, several rows, an unknown head): Alembic decides.
    """
    head = shipped_head()
    if head is None:
        return False
    try:
        with read_connection(engine) as connection:
            rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    except DBAPIError:  # no version table: a new database (or a refusal Alembic will explain)
        return False
    return [tuple(row) for row in rows] == [(head,)]


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
    from alembic.config import Config

    import store.models  # noqa: F401 - registers the tables for env.py

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
    from alembic import command

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None when empty)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of the app."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def pending_differences(engine: Engine) -> list[Any]:
    """What autogenerate would still change: empty when models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import store.models  # noqa: F401 - registers the tables

    with engine.connect() as connection:
        ctx = MigrationContext.configure(
            connection,
            opts={
                "compare_type": compare_type,
                "render_as_batch": connection.dialect.name == "sqlite",
            },
        )
        return list(compare_metadata(ctx, SQLModel.metadata))
