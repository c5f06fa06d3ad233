"""Where files live: platform config and data dirs (platformdirs), overridable by env vars."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path

APP_NAME = "backupchecks-tui"
CONFIG_ENV = "BACKUPCHECKS_TUI_CONFIG"
DATA_DIR_ENV = "BACKUPCHECKS_TUI_DATA_DIR"


def config_file() -> Path:
    """The default config file: platform config dir / config.toml."""
    return user_config_path(APP_NAME) / "config.toml"


def data_dir() -> Path:
    """Where the default SQLite database lives (override: BACKUPCHECKS_TUI_DATA_DIR)."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else user_data_path(APP_NAME)


def default_database_url() -> str:
    """The SQLite URL used when the config names no database."""
    return f"sqlite:///{data_dir() / 'backupchecks.db'}"
