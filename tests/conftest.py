"""Shared fixtures: an isolated environment for every test, databases on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from sqlalchemy import Engine

from backupchecks_tui.database import open_database
from tests.loopguard import loop_guard

pytest_plugins = ["tests.servers.fixtures"]


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point config, data and keyring away from the developer's own (every test)."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("BACKUPCHECKS_TUI_DATA_DIR", raising=False)
    monkeypatch.delenv("BACKUPCHECKS_TUI_CONFIG", raising=False)
    monkeypatch.delenv("BACKUPCHECKS_TUI_IMAP_PASSWORD", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("TZ", "Europe/Amsterdam")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # type: ignore[no-untyped-call]
    yield home
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def no_sql_on_the_event_loop() -> Iterator[None]:
    """Fail any test in which screen code ran SQL on the event-loop thread."""
    with loop_guard() as guard:
        yield
    assert not guard.violations, f"SQL on the event loop: {sorted(set(guard.violations))}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: a SQLite file, and a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on `db_url` (both backends)."""
    eng = open_database(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine on a SQLite file (for tests that need only one backend)."""
    eng = open_database(f"sqlite:///{tmp_path / 'one.db'}")
    yield eng
    eng.dispose()
