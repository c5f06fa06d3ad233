"""Engine factory: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL, built on request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "backupchecks_read_only"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`; SQLite files get their folder created and sane pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is turned off so that `begin` below decides.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # Writers take the lock up front (BEGIN IMMEDIATE), so two writers queue on the busy
    # timeout instead of one failing with "database is locked" on lock upgrade. Readers
    # (read_connection / read_scope) begin deferred and never wait for a writer in WAL.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def describe_url(url: str) -> str:
    """`url` with any password hidden, for messages and the header."""
    return make_url(url).render_as_string(hide_password=True)


def _reader(engine: Engine) -> Engine:
    """`engine` set up for reads only.

    SQLite: deferred transactions that never take the write lock. PostgreSQL: autocommit,
    so a read is its statements and nothing else — no BEGIN before them and no ROLLBACK
    after, two round trips saved per read (a team's database is often a network hop away:
    at 10 ms round trip the run detail went from ~16 round trips to ~10). Each statement
    then sees the data committed when it starts, which is what a screen that reloads on
    every change needs.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(**{READ_ONLY: True}, isolation_level="AUTOCOMMIT")
    return engine.execution_options(**{READ_ONLY: True})


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reading only (never takes SQLite's write lock)."""
    with _reader(engine).connect() as conn:
        yield conn


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A session for reading only (never takes SQLite's write lock); nothing is committed."""
    with Session(_reader(engine), expire_on_commit=False) as s:
        yield s


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
