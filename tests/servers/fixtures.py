"""pytest fixtures for the throw-away Dovecot and PostgreSQL servers.

Load them from ``tests/conftest.py`` with ``pytest_plugins = ["tests.servers.fixtures"]``
(or ``from tests.servers.fixtures import *``). A server that cannot start skips the tests that
need it, except where ``CI=true`` or ``BACKUPCHECKS_REQUIRE_SERVERS=1``: there it fails them.
``BACKUPCHECKS_KEEP_SERVERS=1`` keeps the servers' temp dirs (logs, mail) after the session.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from tests.servers import ServerUnavailable, make_workdir
from tests.servers.dovecot import DovecotServer, start_dovecot
from tests.servers.imap_seed import ImapAccount, account_for
from tests.servers.postgres import PostgresServer, start_postgres

__all__ = [
    "dovecot_server",
    "imap_account",
    "pg_url",
    "postgres_server",
    "servers_required",
]

_account_numbers = itertools.count(1)


def servers_required() -> bool:
    """Whether a missing test server is an error (CI) rather than a reason to skip."""
    return (
        os.environ.get("CI", "").strip().lower() == "true"
        or os.environ.get("BACKUPCHECKS_REQUIRE_SERVERS", "").strip() == "1"
    )


def _unavailable(reason: str) -> NoReturn:
    """Fail (CI / required) or skip the requesting test with *reason*."""
    if servers_required():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _remove_workdir(workdir: Path) -> None:
    """Delete a server's temp dir unless ``BACKUPCHECKS_KEEP_SERVERS=1``."""
    if os.environ.get("BACKUPCHECKS_KEEP_SERVERS", "").strip() != "1":
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    """One Dovecot for the whole session (users backup@/helper@example.test); stopped at end.

    Prefer :func:`imap_account` in tests: it gives each test its own empty mailbox.
    """
    workdir = make_workdir("backupchecks-dovecot-")
    try:
        server = start_dovecot(workdir)
    except ServerUnavailable as exc:
        _remove_workdir(workdir)
        _unavailable(f"Dovecot test server unavailable: {exc.reason}")
    try:
        yield server
    finally:
        server.stop()
        _remove_workdir(workdir)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the whole session; stopped at session end."""
    workdir = make_workdir("backupchecks-postgres-")
    try:
        server = start_postgres(workdir)
    except ServerUnavailable as exc:
        _remove_workdir(workdir)
        _unavailable(f"PostgreSQL test server unavailable: {exc.reason}")
    try:
        yield server
    finally:
        server.stop()
        _remove_workdir(workdir)


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """URL (``postgresql+psycopg://…``) of a fresh, empty database; dropped after the test.

    Restarts the server first if an earlier test stopped or killed it.
    """
    if not postgres_server.running:
        postgres_server.start()
    name = f"t_{secrets.token_hex(8)}"
    url = postgres_server.new_database(name)
    try:
        yield url
    finally:
        if postgres_server.running:
            postgres_server.drop_database(name)


@pytest.fixture
def imap_account(dovecot_server: DovecotServer) -> ImapAccount:
    """A brand-new IMAP user (empty INBOX) on the session Dovecot, so tests never share mail.

    Restarts the server first if an earlier test stopped or killed it.
    """
    if not dovecot_server.running:
        dovecot_server.start()
    username = f"user{next(_account_numbers)}-{secrets.token_hex(4)}@example.test"
    password = secrets.token_urlsafe(12)
    dovecot_server.add_user(username, password)
    return account_for(dovecot_server, username, password)
