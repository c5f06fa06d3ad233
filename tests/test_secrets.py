"""Secrets: keyring → password_command → environment, with plain errors and no leaks."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner

from backupchecks_tui import secrets
from backupchecks_tui.cli import main
from backupchecks_tui.errors import SecretError
from tests.memkeyring import MemoryKeyring

PASSWORD = "Sup3r-Secret-Pa55"


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    """A working in-memory keyring for this test."""
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def test_keyring_wins(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    """A password in the keyring is used before the command and the environment."""
    memory_keyring.set_password(secrets.SERVICE, "backup@example.test", PASSWORD)
    monkeypatch.setenv(secrets.PASSWORD_ENV, "from-env")
    found = secrets.find_password("backup@example.test", "echo from-command")
    assert found.secret.reveal() == PASSWORD
    assert found.source == "keyring"


def test_headless_falls_back_to_command_then_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a keyring backend: password_command, then the environment variable."""
    assert secrets.keyring_status() is not None
    found = secrets.find_password("u", f"{sys.executable} -c \"print('{PASSWORD}')\"")
    assert (found.secret.reveal(), found.source) == (PASSWORD, "password_command")
    monkeypatch.setenv(secrets.PASSWORD_ENV, PASSWORD)
    found = secrets.find_password("u", "")
    assert found.secret.reveal() == PASSWORD
    assert secrets.PASSWORD_ENV in found.source


def test_nothing_found_says_what_to_set() -> None:
    """No source at all: one line naming set-password, password_command and the variable."""
    with pytest.raises(SecretError) as info:
        secrets.find_password("u", "")
    line = info.value.line
    assert "set-password" in line and "password_command" in line
    assert secrets.PASSWORD_ENV in line


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (f"{sys.executable} -c 'import sys; sys.exit(3)'", "exit code 3"),
        (f"{sys.executable} -c 'pass'", "printed nothing"),
        ("/nonexistent/pass show imap", "could not run"),
    ],
)
def test_failing_password_command(command: str, expected: str) -> None:
    """A broken password_command is explained, never shown with its output."""
    with pytest.raises(SecretError, match=expected):
        secrets.find_password("u", command)


def test_secret_hides_itself() -> None:
    """repr/str/f-strings of a Secret never show the value."""
    secret = secrets.Secret(PASSWORD)
    assert PASSWORD not in repr(secret)
    assert PASSWORD not in f"{secret} {secret!r}"


def test_set_password_stores_in_keyring(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    """`set-password` puts the password in the keyring under the configured user."""
    config = tmp_path / "c.toml"
    config.write_text("[imap]\nhost = 'h'\nusername = 'backup@example.test'\n")
    result = CliRunner().invoke(
        main, ["--config", str(config), "set-password", "--stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert memory_keyring.store[(secrets.SERVICE, "backup@example.test")] == PASSWORD
    assert PASSWORD not in result.output
    assert PASSWORD not in config.read_text()


def test_set_password_headless_explains(tmp_path: Path) -> None:
    """Without a keyring, `set-password` says in one line what to use instead."""
    config = tmp_path / "c.toml"
    config.write_text("[imap]\nhost = 'h'\nusername = 'backup@example.test'\n")
    result = CliRunner().invoke(main, ["--config", str(config), "set-password"])
    assert result.exit_code == 2
    assert "password_command" in result.output
    assert "Traceback" not in result.output


def test_password_never_reaches_logs_db_or_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing fetch with a password set leaves it in no log line, DB byte or output."""
    caplog.set_level(logging.DEBUG)
    db = tmp_path / "db.sqlite"
    config = tmp_path / "c.toml"
    config.write_text(
        f"[database]\nurl = 'sqlite:///{db}'\n"
        "[imap]\nhost = '127.0.0.1'\nport = 1\nsecurity = 'ssl'\nusername = 'u'\ntimeout = 2\n"
    )
    monkeypatch.setenv(secrets.PASSWORD_ENV, PASSWORD)
    result = CliRunner().invoke(main, ["--config", str(config), "fetch"])
    assert result.exit_code == 2
    assert "refused" in result.output
    assert PASSWORD not in result.output
    assert PASSWORD not in caplog.text
    for path in tmp_path.glob("db.sqlite*"):
        assert PASSWORD.encode() not in path.read_bytes()
    assert PASSWORD not in config.read_text()
