"""Open the configured database: build the engine, apply migrations, explain failures."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError

from backupchecks_tui.errors import StoreError
from store import migrate
from store.engine import describe_url, make_engine, read_connection

INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE for "permission denied"


def denied_by_database(exc: DBAPIError) -> bool:
    """Whether PostgreSQL refused the statement because the login lacks the privilege."""
    return getattr(exc.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE


def open_database(url: str, *, upgrade: bool = True) -> Engine:
    """An engine on `url`, migrated to the newest schema; StoreError with a fix on failure."""
    shown = describe_url(url) if "://" in url else url
    try:
        engine = make_engine(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(
            f"The database URL {shown!r} is not valid ({exc}).",
            fix="Fix: set [database] url to sqlite:///PATH or postgresql+psycopg://USER@HOST/DB.",
        ) from None
    except ImportError as exc:
        raise StoreError(f"No driver for {shown!r} ({exc}).") from None
    except OSError as exc:  # the SQLite file's folder could not be created
        raise StoreError(
            f"Cannot create the folder of the SQLite database {shown} "
            f"({exc.strerror or type(exc).__name__}: {exc.filename or ''}).",
            fix="Fix: set [database] url to sqlite:///PATH in a folder you may write, "
            "or create that folder first.",
        ) from None
    try:
        with read_connection(engine) as conn:  # a read takes no lock a writer holds
            conn.execute(text("select 1"))
        if upgrade and not migrate.at_head(engine):  # Alembic loads only to migrate
            migrate.upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(
            f"Cannot open the database {shown} ({reason}).",
            fix="Fix: check [database] url, that the server runs and that you may write there.",
        ) from None
    except DBAPIError as exc:
        engine.dispose()
        if denied_by_database(exc):
            # A login that is not the schema owner met a new or outdated schema.
            raise StoreError(
                f"Your login may not create or migrate the schema of {shown}.",
                fix="Fix: the schema owner runs `backupchecks-tui db upgrade` once "
                "(README, PostgreSQL for teams).",
            ) from None
        raise StoreError(f"The database {shown} failed: {type(exc).__name__}: {exc}") from None
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"The database {shown} failed: {type(exc).__name__}: {exc}") from None
    return engine
