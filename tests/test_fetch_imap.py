"""`fetch` against a real Dovecot on loopback: incremental, exactly once, plain errors."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from imapclient import IMAPClient
from sqlalchemy import Engine
from sqlmodel import func, select

from backupchecks_tui.config import ImapConfig
from backupchecks_tui.database import open_database
from backupchecks_tui.errors import MailboxConnectionError
from backupchecks_tui.facade import bind
from backupchecks_tui.ingest.imap import Fetcher
from backupchecks_tui.ingest.pipeline import Ingested, Origin, Pipeline
from backupchecks_tui.secrets import PASSWORD_ENV, Secret
from parsers import Registry
from store.engine import session_scope
from store.models import MailMessage
from tests.mailfactory import SyntheticParser, synthetic_mail
from tests.servers.dovecot import DovecotServer
from tests.uihelpers import settle

ZONE = ZoneInfo("Europe/Amsterdam")
_users = itertools.count(1)


@dataclass
class Mailbox:
    """A fresh IMAP user on the shared test Dovecot."""

    server: DovecotServer
    username: str
    password: str

    def client(self) -> IMAPClient:
        """A logged-in client over implicit TLS, verified against the test CA."""
        client = IMAPClient(
            self.server.host,
            port=self.server.imaps_port,
            ssl=True,
            ssl_context=self.server.ssl_context(),
        )
        client.login(self.username, self.password)
        return client

    def append(self, raws: list[bytes], folder: str = "INBOX") -> None:
        """APPEND `raws` to `folder` (created when missing)."""
        with self.client() as client:
            if folder != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in raws:
                client.append(folder, raw)

    def count(self, folder: str = "INBOX") -> int:
        """Messages in `folder`."""
        with self.client() as client:
            return int(client.select_folder(folder, readonly=True)[b"EXISTS"])

    def imap_config(self, **overrides: object) -> ImapConfig:
        """An [imap] section for this user (implicit TLS, verified with the test CA)."""
        values: dict[str, object] = {
            "host": self.server.host,
            "port": self.server.imaps_port,
            "security": "ssl",
            "username": self.username,
            "ca_file": str(self.server.ca_file),
            "batch_size": 10,
            "timeout": 10,
        }
        values.update(overrides)
        return ImapConfig.model_validate(values)

    def config_file(self, path: Path, db_url: str, **overrides: object) -> Path:
        """Write a config.toml for the CLI."""
        cfg = self.imap_config(**overrides)
        lines = [f"[database]\nurl = '{db_url}'\n[imap]"]
        for key, value in cfg.model_dump().items():
            if value is None:
                continue
            if isinstance(value, bool):
                lines.append(f"{key} = {str(value).lower()}")
            elif isinstance(value, (int, float)):
                lines.append(f"{key} = {value}")
            elif isinstance(value, list):
                lines.append(f"{key} = {value!r}")
            else:
                lines.append(f"{key} = '{value}'")
        path.write_text("\n".join(lines) + "\n")
        return path


@pytest.fixture
def mailbox(dovecot_server: DovecotServer) -> Mailbox:
    """A new user with an empty INBOX."""
    name = f"fetch{next(_users)}-{os.getpid()}@example.test"
    dovecot_server.add_user(name, "pw-" + name)
    return Mailbox(dovecot_server, name, "pw-" + name)


def fetch(mailbox: Mailbox, engine: Engine, **overrides: object) -> Iterator[int]:
    """Run one fetch pass in-process; yields the new-mail count per folder."""
    pipeline = Pipeline(engine, Registry([SyntheticParser()]), ZONE)
    cfg = mailbox.imap_config(**overrides)
    for result in Fetcher(cfg, Secret(mailbox.password), pipeline).run():
        yield result.stats.new


def stored(engine: Engine) -> int:
    """Mails in the database."""
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(MailMessage)).one()


def keys(engine: Engine) -> list[str]:
    """Every stored dedupe key (duplicates would show twice)."""
    with session_scope(engine) as s:
        return sorted(s.exec(select(MailMessage.dedupe_key)).all())


def test_first_second_and_incremental_fetch(mailbox: Mailbox, engine: Engine) -> None:
    """All mail on the first pass, nothing on the second, only the new ones after that."""
    mailbox.append([synthetic_mail(n) for n in range(25)])
    assert list(fetch(mailbox, engine)) == [25]
    assert list(fetch(mailbox, engine)) == [0]
    mailbox.append([synthetic_mail(n) for n in range(25, 30)])
    assert list(fetch(mailbox, engine)) == [5]
    assert stored(engine) == 30
    assert mailbox.count() == 30  # after_fetch = keep leaves the server alone


def test_starttls_on_the_plain_port(mailbox: Mailbox, sqlite_engine: Engine) -> None:
    """STARTTLS upgrades the plain port and verifies the certificate."""
    mailbox.append([synthetic_mail(1)])
    port = mailbox.server.imap_port
    assert list(fetch(mailbox, sqlite_engine, security="starttls", port=port)) == [1]


def test_uidvalidity_change_adds_no_duplicate(mailbox: Mailbox, sqlite_engine: Engine) -> None:
    """A deleted and recreated folder (new UIDVALIDITY) is rescanned without duplicates."""
    raws = [synthetic_mail(n) for n in range(8)]
    mailbox.append(raws, "Reports")
    assert list(fetch(mailbox, sqlite_engine, folders=["Reports"])) == [8]
    with mailbox.client() as client:
        client.delete_folder("Reports")
    mailbox.append([*raws, synthetic_mail(99)], "Reports")
    assert list(fetch(mailbox, sqlite_engine, folders=["Reports"])) == [1]
    assert stored(sqlite_engine) == 9


def test_after_fetch_seen_and_move(mailbox: Mailbox, sqlite_engine: Engine) -> None:
    """`seen` flags fetched mail; `move` moves it to move_to."""
    mailbox.append([synthetic_mail(n) for n in range(12)])
    list(fetch(mailbox, sqlite_engine, after_fetch="seen"))
    with mailbox.client() as client:
        client.select_folder("INBOX")
        assert len(client.search(["SEEN"])) == 12
        client.create_folder("Done")
    mailbox.append([synthetic_mail(n) for n in range(12, 15)])
    list(fetch(mailbox, sqlite_engine, after_fetch="move", move_to="Done"))
    assert mailbox.count("Done") == 3
    assert mailbox.count("INBOX") == 12


class FailingPipeline(Pipeline):
    """A pipeline whose store fails for one Message-ID (a full disk, say)."""

    def ingest(self, raw: bytes, origin: Origin) -> Ingested:
        """Fail for mail 5, store the others."""
        if b"<synthetic-5@" in raw:
            msg = "disk full"
            raise OSError(msg)
        return super().ingest(raw, origin)


def test_move_touches_only_committed_mail(mailbox: Mailbox, sqlite_engine: Engine) -> None:
    """A mail that could not be stored stays on the server, as do the ones after it."""
    mailbox.append([synthetic_mail(n) for n in range(10)])
    with mailbox.client() as client:
        client.create_folder("Done")
    cfg = mailbox.imap_config(after_fetch="move", move_to="Done", batch_size=4)
    pipeline = FailingPipeline(sqlite_engine, Registry([SyntheticParser()]), ZONE)
    (result,) = Fetcher(cfg, Secret(mailbox.password), pipeline).run()
    assert result.stats.failed == 1
    assert stored(sqlite_engine) == 5
    assert mailbox.count("Done") == 5
    assert mailbox.count("INBOX") == 5
    # the next (healthy) pass picks up exactly where the failure stopped
    assert list(fetch(mailbox, sqlite_engine, after_fetch="move", move_to="Done")) == [5]
    assert stored(sqlite_engine) == 10


def run_cli(config: Path, *args: str, password: str) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess."""
    env = {**os.environ, PASSWORD_ENV: password, "BACKUPCHECKS_TUI_CONFIG": str(config)}
    return subprocess.run(
        [sys.executable, "-m", "backupchecks_tui", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_wrong_password_exit_2_one_line(mailbox: Mailbox, tmp_path: Path) -> None:
    """A refused login exits 2 with one plain line and no traceback."""
    config = mailbox.config_file(tmp_path / "c.toml", f"sqlite:///{tmp_path / 'x.db'}")
    done = run_cli(config, "fetch", password="wrong")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "refused the login" in lines[0] and "set-password" in lines[0]
    assert "wrong" not in done.stderr.replace("wrong password", "")


def test_tls_verification_failure_exit_2(mailbox: Mailbox, tmp_path: Path) -> None:
    """A certificate that does not verify exits 2 with one line naming the fix."""
    config = mailbox.config_file(
        tmp_path / "c.toml",
        f"sqlite:///{tmp_path / 'x.db'}",
        ca_file=str(mailbox.server.wrong_ca_file),
    )
    done = run_cli(config, "fetch", password=mailbox.password)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "could not be verified" in lines[0] and "ca_file" in lines[0]


def test_connection_refused_exit_2(tmp_path: Path) -> None:
    """Nothing listening: exit 2, one line."""
    config = tmp_path / "c.toml"
    config.write_text(
        f"[database]\nurl = 'sqlite:///{tmp_path / 'x.db'}'\n"
        "[imap]\nhost = '127.0.0.1'\nport = 9\nusername = 'u'\n"
    )
    done = run_cli(config, "fetch", password="p")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "refused the connection" in done.stderr


def test_cli_fetch_summary_and_exit_0(mailbox: Mailbox, tmp_path: Path) -> None:
    """A clean CLI fetch exits 0 with the summary line."""
    mailbox.append([synthetic_mail(n) for n in range(3)])
    config = mailbox.config_file(tmp_path / "c.toml", f"sqlite:///{tmp_path / 'x.db'}")
    done = run_cli(config, "fetch", password=mailbox.password)
    assert done.returncode == 0, done.stderr
    assert "3 mails seen, 3 new, 0 duplicates skipped" in done.stdout


def test_server_killed_mid_fetch(
    mailbox: Mailbox, sqlite_engine: Engine, dovecot_server: DovecotServer
) -> None:
    """The server dies after the first batch: a plain error; the rerun completes exactly once."""
    mailbox.append([synthetic_mail(n) for n in range(40)])
    pipeline = Pipeline(sqlite_engine, Registry([SyntheticParser()]), ZONE)
    cfg = mailbox.imap_config(batch_size=10)

    def kill_after_first_batch(_folder: str, done: int, _total: int) -> None:
        if done == 10:
            dovecot_server.kill()

    try:
        with pytest.raises(MailboxConnectionError):
            Fetcher(cfg, Secret(mailbox.password), pipeline, kill_after_first_batch).run()
    finally:
        dovecot_server.restart()
    assert stored(sqlite_engine) == 10
    assert list(fetch(mailbox, sqlite_engine)) == [30]
    assert len(set(keys(sqlite_engine))) == len(keys(sqlite_engine)) == 40


def test_sigkill_at_random_points_loses_and_doubles_nothing(
    mailbox: Mailbox, tmp_path: Path, db_url: str
) -> None:
    """20+ SIGKILLs at random moments of `fetch`, then a clean run: each mail exactly once.

    New mail arrives before every run so each killed process has real work in hand.
    """
    config = mailbox.config_file(tmp_path / "c.toml", db_url, batch_size=7, after_fetch="seen")
    env = {
        **os.environ,
        PASSWORD_ENV: mailbox.password,
        "BACKUPCHECKS_TUI_CONFIG": str(config),
    }
    open_database(db_url).dispose()  # migrate once so kills land in the fetch itself
    rng = random.Random(20261126)
    kills = 0
    total = 0
    rounds = 0
    # Until 22 processes were killed mid-work: on a fast machine some runs finish first.
    while kills < 22 and rounds < 80:
        rounds += 1
        mailbox.append([synthetic_mail(n) for n in range(total, total + 40)])
        total += 40
        proc = subprocess.Popen(
            [sys.executable, "-m", "backupchecks_tui", "fetch"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.3, 1.6))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    done = subprocess.run(
        [sys.executable, "-m", "backupchecks_tui", "fetch"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    engine = open_database(db_url)
    try:
        found = keys(engine)
    finally:
        engine.dispose()
    assert kills >= 20
    assert len(found) == len(set(found)) == total
    # and every stored mail got its after_fetch flag, even those a kill cut off
    with mailbox.client() as client:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["UNSEEN"]) == []


async def test_fetch_key_in_the_app(
    mailbox: Mailbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`f` fetches in a thread worker; the queue fills without restarting the app."""
    from backupchecks_tui.config import Config
    from backupchecks_tui.roles import Actor, Role
    from backupchecks_tui.workspace import Workspace
    from screens.app import BackupChecksApp

    mailbox.append([synthetic_mail(n, status="failed") for n in range(4)])
    engine = open_database(f"sqlite:///{tmp_path / 'app.db'}")
    imap = mailbox.imap_config().model_dump()
    config = Config.model_validate({"imap": imap, "ui": {"timezone": "UTC"}})
    monkeypatch.setenv(PASSWORD_ENV, mailbox.password)
    app = BackupChecksApp(bind(Workspace(engine, Actor("olga", Role.OPERATOR), config, "t")))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.check_action("fetch", ()) is True
        await pilot.press("f")
        await settle(pilot)
        # the synthetic parser is not among the built-in ones: mails arrive unparsed
        assert stored(engine) == 4
    engine.dispose()
