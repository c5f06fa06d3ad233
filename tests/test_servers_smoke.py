"""Smoke tests of the throw-away servers: TLS verification, logins, APPEND, UIDVALIDITY, DBs."""

from __future__ import annotations

import ssl
import time

import pytest
import sqlalchemy
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from tests.servers.dovecot import HELPER_PASSWORD, HELPER_USERNAME, DovecotServer
from tests.servers.imap_seed import (
    ImapAccount,
    account_for,
    append_messages,
    connect,
    create_folders,
    make_message,
    recreate_folder,
    uidvalidity,
)
from tests.servers.postgres import PostgresServer


@pytest.mark.dovecot
def test_imaps_login_verifies_server_against_test_ca(imap_account: ImapAccount) -> None:
    """Implicit TLS with certificate and host name checks on, trusting only the test CA."""
    assert imap_account.ssl_context().verify_mode == ssl.CERT_REQUIRED
    assert imap_account.ssl_context().check_hostname
    client = connect(imap_account, security="ssl")
    try:
        assert client.noop()
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
    finally:
        client.logout()


@pytest.mark.dovecot
def test_starttls_on_plain_port(imap_account: ImapAccount) -> None:
    """The plain port offers STARTTLS, verified against the test CA."""
    client = connect(imap_account, security="plain", login=False)
    try:
        assert client.has_capability("STARTTLS")
    finally:
        client.logout()
    client = connect(imap_account, security="starttls")
    try:
        assert client.noop()
    finally:
        client.logout()


@pytest.mark.dovecot
def test_default_and_helper_users_log_in(dovecot_server: DovecotServer) -> None:
    """The well-known accounts exist with the documented passwords."""
    assert dovecot_server.username == "backup@example.test"
    assert dovecot_server.password == "s3cret-pa55"
    for account in (
        account_for(dovecot_server),
        account_for(dovecot_server, HELPER_USERNAME, HELPER_PASSWORD),
    ):
        connect(account).logout()


@pytest.mark.dovecot
def test_wrong_password_raises_login_error_fast(imap_account: ImapAccount) -> None:
    """A wrong password is LoginError, without Dovecot's default 2 s failure delay."""
    wrong = ImapAccount(**{**imap_account.__dict__, "password": "not-the-password"})
    started = time.monotonic()
    with pytest.raises(LoginError):
        connect(wrong)
    assert time.monotonic() - started < 1.5


@pytest.mark.dovecot
@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_unrelated_ca_fails_verification(imap_account: ImapAccount, security: str) -> None:
    """Trusting a CA that did not sign the server certificate must fail the handshake."""
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(
            imap_account,
            security="ssl" if security == "ssl" else "starttls",
            ca_file=imap_account.wrong_ca_file,
        )


@pytest.mark.dovecot
def test_append_three_then_search_finds_three(imap_account: ImapAccount) -> None:
    """MULTIAPPEND of three mails; SEARCH ALL sees exactly those UIDs."""
    client = connect(imap_account)
    try:
        mails = [make_message(f"[Success] Backup job {n}") for n in range(3)]
        uids = append_messages(client, "INBOX", mails, batch_size=2)
        client.select_folder("INBOX", readonly=True)
        assert sorted(client.search("ALL")) == sorted(uids)
        assert len(uids) == 3
    finally:
        client.logout()


@pytest.mark.dovecot
def test_each_imap_account_starts_empty(imap_account: ImapAccount) -> None:
    """Mail appended by other tests is not visible to a fresh account."""
    client = connect(imap_account)
    try:
        assert client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"] == 0
    finally:
        client.logout()


@pytest.mark.dovecot
def test_recreating_a_folder_changes_uidvalidity(imap_account: ImapAccount) -> None:
    """Delete + create gives a new UIDVALIDITY and an empty folder."""
    client = connect(imap_account)
    try:
        create_folders(client, ["Backups", "Backups/Veeam"])
        create_folders(client, ["Backups"])  # idempotent
        before = uidvalidity(client, "Backups/Veeam")
        append_messages(client, "Backups/Veeam", [make_message("old")])
        client.select_folder("Backups/Veeam")
        after = recreate_folder(client, "Backups/Veeam")
        assert after != before
        assert client.folder_status("Backups/Veeam", [b"MESSAGES"])[b"MESSAGES"] == 0
    finally:
        client.logout()


@pytest.mark.dovecot
def test_kill_breaks_sessions_and_mail_survives_restart(
    dovecot_server: DovecotServer, imap_account: ImapAccount
) -> None:
    """kill() drops open connections at once; after start() the mail is still there."""
    client = connect(imap_account)
    append_messages(client, "INBOX", [make_message("kept")])
    client.select_folder("INBOX")
    dovecot_server.kill()
    assert not dovecot_server.running
    with pytest.raises((IMAPClientAbortError, IMAPClientError, OSError)):
        client.noop()
    dovecot_server.start()
    client = connect(imap_account)
    try:
        assert client.folder_status("INBOX", [b"MESSAGES"])[b"MESSAGES"] == 1
    finally:
        client.logout()


@pytest.mark.postgres
def test_pg_url_connects_with_sqlalchemy(pg_url: str) -> None:
    """The fresh database answers SELECT 1 through SQLAlchemy + psycopg 3."""
    assert pg_url.startswith("postgresql+psycopg://")
    engine = sqlalchemy.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("select 1")).scalar_one() == 1
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_fresh_databases_are_independent(postgres_server: PostgresServer, pg_url: str) -> None:
    """A table made in one fresh database does not exist in another."""
    other_url = postgres_server.new_database()
    first = sqlalchemy.create_engine(pg_url)
    second = sqlalchemy.create_engine(other_url)
    try:
        with first.begin() as conn:
            conn.execute(sqlalchemy.text("create table marker (id int)"))
        assert sqlalchemy.inspect(first).has_table("marker")
        assert not sqlalchemy.inspect(second).has_table("marker")
        assert other_url != pg_url
    finally:
        first.dispose()
        second.dispose()
        postgres_server.drop_database(other_url.rsplit("/", 1)[1])


@pytest.mark.postgres
def test_postgres_kill_then_start_keeps_committed_data(
    postgres_server: PostgresServer, pg_url: str
) -> None:
    """kill() is a crash; start() recovers and durably committed rows are still there.

    The server runs with synchronous_commit=off: a crash may lose the last ~200 ms of commits
    unless a transaction asks for a synchronous commit, as this one does.
    """
    engine = sqlalchemy.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("set local synchronous_commit = on"))
            conn.execute(sqlalchemy.text("create table t (id int)"))
            conn.execute(sqlalchemy.text("insert into t values (1)"))
        engine.dispose()
        postgres_server.kill()
        assert not postgres_server.running
        postgres_server.start()
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("select count(*) from t")).scalar_one() == 1
    finally:
        engine.dispose()
