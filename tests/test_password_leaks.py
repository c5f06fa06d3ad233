"""The IMAP password: UTF-8 passwords log in, and no failure path shows it anywhere.

Every case runs against the real throw-away Dovecot (or a port nothing listens on), in
the real CLI (a subprocess) and in the app (Pilot, the `f` key), and then greps stdout,
stderr, the app's notices and screen, the log records, the config file and a dump of
every database row for the password. The passwords here are invented test values.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from imapclient import IMAPClient
from sqlalchemy import Engine, MetaData, create_engine, select
from textual import work
from textual.binding import Binding, BindingType
from textual.worker import WorkerFailed

from backupchecks_tui.config import Config
from backupchecks_tui.database import open_database
from backupchecks_tui.errors import MailboxConnectionError
from backupchecks_tui.facade import bind
from backupchecks_tui.ingest.imap import Fetcher
from backupchecks_tui.ingest.pipeline import Pipeline
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.secrets import PASSWORD_ENV, Secret
from backupchecks_tui.workspace import Workspace
from parsers import Registry
from screens.app import BackupChecksApp
from tests.mailfactory import SyntheticParser, synthetic_mail
from tests.servers import ServerUnavailable, make_workdir
from tests.servers.dovecot import DovecotServer, start_dovecot
from tests.test_fetch_imap import Mailbox, stored
from tests.uihelpers import settle

ZONE = ZoneInfo("Europe/Amsterdam")


def utf8_password() -> str:
    """A fresh non-ASCII password; its random middle is what the greps look for."""
    return f"Pässwörd-{secrets.token_hex(6)}-Ωµ"


class Utf8Mailbox(Mailbox):
    """A test mailbox whose own client logs in with UTF-8 AUTHENTICATE PLAIN."""

    def client(self) -> IMAPClient:
        """A logged-in client over implicit TLS (LOGIN cannot carry this password)."""
        client = IMAPClient(
            self.server.host,
            port=self.server.imaps_port,
            ssl=True,
            ssl_context=self.server.ssl_context(),
        )
        client.plain_login(self.username, self.password)
        return client


@pytest.fixture
def utf8_mailbox(dovecot_server: DovecotServer) -> Mailbox:
    """A new IMAP user whose password is not ASCII."""
    if not dovecot_server.running:
        dovecot_server.start()
    name = f"utf8-{secrets.token_hex(4)}@example.test"
    password = utf8_password()
    dovecot_server.add_user(name, password)
    return Utf8Mailbox(dovecot_server, name, password)


def leak_forms(username: str, password: str) -> list[bytes]:
    """The password as it could appear: text, escaped (repr), and as sent (PLAIN base64)."""
    core = password.split("-")[1]  # the random middle: found in any encoding of the rest
    plain = f"\0{username}\0{password}".encode()
    return [
        core.encode(),
        password.encode(),
        password.encode("unicode_escape"),
        base64.b64encode(plain),
        base64.b64encode(password.encode()),
    ]


def assert_no_leak(haystack: bytes, username: str, password: str) -> None:
    """`password` appears in no form in `haystack`."""
    for form in leak_forms(username, password):
        assert form not in haystack, f"the password leaked as {form!r}"


def dump_database(url: str) -> bytes:
    """Every row of every table, as text (works on SQLite and PostgreSQL)."""
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        lines: list[str] = []
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                lines.extend(repr(tuple(row)) for row in conn.execute(select(table)))
    finally:
        engine.dispose()
    return "\n".join(lines).encode("utf-8", "backslashreplace")


def sqlite_files(url: str) -> bytes:
    """The raw bytes of a SQLite database and its journal files (empty for PostgreSQL)."""
    if not url.startswith("sqlite:///"):
        return b""
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


@dataclass
class Case:
    """One failure (or success) path of a fetch, and what the person must be told."""

    exit_code: int
    says: str
    """A phrase of the one line on stderr (or of the summary on success)."""
    overrides: dict[str, object]
    password: str = ""
    """The password given; empty: the account's own (right) password."""


CASE_NAMES = [
    "utf8 password, right",
    "utf8 password, starttls",
    "utf8 password, wrong",
    "ascii password, wrong",
    "server unreachable",
    "tls not verified",
    "server error mid-fetch",
]


def case_named(name: str, mailbox: Mailbox) -> Case:
    """The failure paths of the issue, plus the UTF-8 successes, by name."""
    server = mailbox.server
    found = {
        "utf8 password, right": Case(0, "2 new", {}),
        "utf8 password, starttls": Case(
            0, "2 new", {"security": "starttls", "port": server.imap_port}
        ),
        "utf8 password, wrong": Case(2, "refused the login", {}, password=utf8_password()),
        "ascii password, wrong": Case(
            2, "refused the login", {}, password=f"wrong-{secrets.token_hex(6)}-pw"
        ),
        "server unreachable": Case(2, "refused the connection", {"port": 9}),
        "tls not verified": Case(
            2, "could not be verified", {"ca_file": str(server.wrong_ca_file)}
        ),
        "server error mid-fetch": Case(2, "failed", {"folders": ["INBOX", "No-Such-Folder"]}),
    }
    assert set(found) == set(CASE_NAMES)
    return found[name]


def run_cli(config: Path, password: str) -> subprocess.CompletedProcess[bytes]:
    """The real CLI in a subprocess, with the password in the environment."""
    env = {**os.environ, PASSWORD_ENV: password, "BACKUPCHECKS_TUI_CONFIG": str(config)}
    return subprocess.run(
        [sys.executable, "-m", "backupchecks_tui", "fetch"],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("name", CASE_NAMES)
def test_cli_fetch_never_shows_the_password(
    name: str, utf8_mailbox: Mailbox, tmp_path: Path, db_url: str
) -> None:
    """Each path: the right exit code, one line on stderr, and the password nowhere."""
    case = case_named(name, utf8_mailbox)
    utf8_mailbox.append([synthetic_mail(n) for n in range(2)])
    password = case.password or utf8_mailbox.password
    config = utf8_mailbox.config_file(tmp_path / "c.toml", db_url, **case.overrides)
    done = run_cli(config, password)
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == case.exit_code, stderr
    assert "Traceback" not in stderr
    if case.exit_code:
        assert len(stderr.strip().splitlines()) == 1, stderr
        assert case.says in stderr
    else:
        assert case.says in done.stdout.decode()
    haystack = b"\n".join(
        [done.stdout, done.stderr, config.read_bytes(), dump_database(db_url), sqlite_files(db_url)]
    )
    assert_no_leak(haystack, utf8_mailbox.username, password)


@pytest.mark.parametrize("name", CASE_NAMES)
async def test_app_fetch_never_shows_the_password(
    name: str,
    utf8_mailbox: Mailbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """`f` in the app: one notice, the app goes on, the password in no notice, screen,
    log record, captured output or database row."""
    caplog.set_level(logging.DEBUG)
    case = case_named(name, utf8_mailbox)
    utf8_mailbox.append([synthetic_mail(n) for n in range(2)])
    password = case.password or utf8_mailbox.password
    url = f"sqlite:///{tmp_path / 'app.db'}"
    engine = open_database(url)
    imap = utf8_mailbox.imap_config(**case.overrides).model_dump()
    config = Config.model_validate({"imap": imap, "ui": {"timezone": "UTC"}})
    monkeypatch.setenv(PASSWORD_ENV, password)
    app = BackupChecksApp(bind(Workspace(engine, Actor("olga", Role.OPERATOR), config, "t")))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        with contextlib.suppress(WorkerFailed):  # a failed fetch is shown, not raised
            await app.workers.wait_for_complete()
        await settle(pilot)
        notices = [f"{n.title}: {n.message}" for n in app._notifications]
        screen = app.export_screenshot()
        assert app.is_running
    engine.dispose()
    expected = "Fetch done" if case.exit_code == 0 else case.says
    assert any(expected in n for n in notices), notices
    out, err = capfd.readouterr()
    haystack = "\n".join([*notices, screen, caplog.text, out, err]).encode()
    assert_no_leak(
        haystack + dump_database(url) + sqlite_files(url), utf8_mailbox.username, password
    )


def test_utf8_password_fetches_mail(utf8_mailbox: Mailbox, sqlite_engine: Engine) -> None:
    """A non-ASCII password logs in (AUTHENTICATE PLAIN, UTF-8) and the mail comes in."""
    utf8_mailbox.append([synthetic_mail(n) for n in range(3)])
    pipeline = Pipeline(sqlite_engine, Registry([SyntheticParser()]), ZONE)
    cfg = utf8_mailbox.imap_config()
    (result,) = Fetcher(cfg, Secret(utf8_mailbox.password), pipeline).run()
    assert result.stats.new == 3
    assert stored(sqlite_engine) == 3


def test_server_killed_mid_fetch_leaks_nothing(
    utf8_mailbox: Mailbox,
    sqlite_engine: Engine,
    dovecot_server: DovecotServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server dies after the first batch: a plain error, and no log record, error
    text or stored row holds the password."""
    caplog.set_level(logging.DEBUG)
    utf8_mailbox.append([synthetic_mail(n) for n in range(20)])
    pipeline = Pipeline(sqlite_engine, Registry([SyntheticParser()]), ZONE)
    cfg = utf8_mailbox.imap_config(batch_size=5)

    def kill_after_first_batch(_folder: str, done: int, _total: int) -> None:
        if done == 5:
            dovecot_server.kill()

    try:
        with pytest.raises(MailboxConnectionError) as caught:
            Fetcher(cfg, Secret(utf8_mailbox.password), pipeline, kill_after_first_batch).run()
    finally:
        dovecot_server.restart()
    url = str(sqlite_engine.url)
    haystack = f"{caught.value.line}\n{caplog.text}".encode() + dump_database(url)
    assert_no_leak(haystack + sqlite_files(url), utf8_mailbox.username, utf8_mailbox.password)
    assert stored(sqlite_engine) == 5


class FailingWorkApp(BackupChecksApp):
    """The real app with two extra keys that fail holding a password in their locals,
    the way a login deep in imaplib does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *BackupChecksApp.BINDINGS,
        Binding("x", "fail_in_worker"),
        Binding("y", "fail_in_handler"),
    ]
    SECRET = utf8_password()

    @work(thread=True)
    def action_fail_in_worker(self) -> None:
        """A thread worker whose exception carries no hint of the secret it held."""
        password = self.SECRET
        raise KeyError(len(password))

    def action_fail_in_handler(self) -> None:
        """A key handler failing the same way (not a worker)."""
        password = self.SECRET
        raise KeyError(len(password))


async def test_failed_worker_is_one_notice_and_the_app_goes_on(tmp_path: Path) -> None:
    """A worker that fails shows one line (type and place) and no locals; the app runs on."""
    engine = open_database(f"sqlite:///{tmp_path / 'app.db'}")
    app = FailingWorkApp(bind(Workspace(engine, Actor("olga", Role.OPERATOR), Config(), "t")))
    with pytest.raises(KeyError):  # kept for the test, as Textual does
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("x")
            await app.workers.wait_for_complete()
            await settle(pilot)
            assert app.is_running
            await pilot.press("question_mark")  # still answering keys
            await settle(pilot)
            assert app.screen.__class__.__name__ == "HelpScreen"
            notices = [n.message for n in app._notifications]
    engine.dispose()
    assert any("KeyError at tests/test_password_leaks.py" in n for n in notices), notices
    assert_no_leak("\n".join(notices).encode(), "", FailingWorkApp.SECRET)


async def test_failed_handler_ends_the_app_with_one_line(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A handler that fails still ends the app, with one line instead of the traceback
    (whose locals would show the password)."""
    engine = open_database(f"sqlite:///{tmp_path / 'app.db'}")
    app = FailingWorkApp(bind(Workspace(engine, Actor("olga", Role.OPERATOR), Config(), "t")))
    with pytest.raises(KeyError):
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("y")
            await settle(pilot)
    engine.dispose()
    out, err = capfd.readouterr()
    assert_no_leak(f"{out}{err}".encode(), "", FailingWorkApp.SECRET)
    text = " ".join(f"{out}\n{err}".split())  # one sentence, wrapped at the terminal width
    assert "failed unexpectedly (KeyError at tests/test_password_leaks.py" in text
    assert "Traceback" not in text and "locals" not in text


@pytest.fixture
def login_only_dovecot() -> Iterator[DovecotServer]:
    """A throw-away Dovecot of its own that offers no SASL PLAIN (only LOGIN)."""
    workdir = make_workdir("backupchecks-dovecot-noplain-")
    try:
        try:
            server = start_dovecot(workdir)
        except ServerUnavailable as exc:
            pytest.fail(f"Dovecot test server unavailable: {exc.reason}")
        try:
            text = server.config_path.read_text()
            server.config_path.write_text(
                text.replace("auth_mechanisms = plain login", "auth_mechanisms = login")
            )
            server.restart()
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_utf8_password_without_plain_is_refused_in_one_line(
    login_only_dovecot: DovecotServer, tmp_path: Path
) -> None:
    """A server without AUTHENTICATE PLAIN: one line saying why and what to do, exit 2,
    and the password nowhere."""
    name = f"noplain-{secrets.token_hex(4)}@example.test"
    password = utf8_password()
    login_only_dovecot.add_user(name, password)
    mailbox = Mailbox(login_only_dovecot, name, password)
    config = mailbox.config_file(tmp_path / "c.toml", f"sqlite:///{tmp_path / 'x.db'}")
    done = run_cli(config, password)
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "offers no AUTHENTICATE PLAIN" in stderr and "ASCII-only password" in stderr
    assert_no_leak(done.stdout + done.stderr, name, password)
