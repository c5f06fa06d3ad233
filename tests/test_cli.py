"""The command line as people meet it: help, first run, plain errors."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from backupchecks_tui.cli import main


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess (with the test's isolated environment)."""
    return subprocess.run(
        [sys.executable, "-m", "backupchecks_tui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_every_command() -> None:
    """--help names each command with a line of help; no stubs."""
    done = run("--help")
    assert done.returncode == 0
    for command in (
        "db",
        "operator",
        "set-password",
        "parse",
        "rules",
        "import",
        "fetch",
        "reparse",
        "stats",
        "export-eml",
        "--demo",
        "--config",
    ):
        assert command in done.stdout


def test_db_upgrade_without_config_creates_the_database_and_says_where(
    isolated_env: Path,
) -> None:
    """On a machine with no config, `db upgrade` makes the DB in the platform data dir."""
    done = run("db", "upgrade")
    assert done.returncode == 0, done.stderr
    expected = isolated_env / "data" / "backupchecks-tui" / "backupchecks.db"
    assert expected.is_file()
    assert str(expected) in done.stdout


def test_bad_config_key_is_one_line(tmp_path: Path) -> None:
    """A wrong key gives one line with file, key and fix; exit 2; no traceback."""
    config = tmp_path / "c.toml"
    config.write_text("[imap]\nhots = 'x'\n")
    done = run("--config", str(config), "stats")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(config) in lines[0] and "imap.hots" in lines[0] and "Fix:" in lines[0]
    assert "Traceback" not in done.stderr


def test_unreachable_postgres_is_one_line(tmp_path: Path) -> None:
    """A database that cannot be reached: one line naming it and the fix."""
    config = tmp_path / "c.toml"
    config.write_text("[database]\nurl = 'postgresql+psycopg://u@127.0.0.1:9/none'\n")
    done = run("--config", str(config), "stats")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Cannot open the database" in done.stderr and "Fix:" in done.stderr


def test_operator_commands(tmp_path: Path) -> None:
    """The first operator is Admin and may add others; `operator list` shows roles."""
    config = tmp_path / "c.toml"
    config.write_text(f"[database]\nurl = 'sqlite:///{tmp_path / 'x.db'}'\n")
    runner = CliRunner()
    result = runner.invoke(
        main, ["--config", str(config), "operator", "add", "bob", "--role", "viewer"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["--config", str(config), "operator", "list"])
    assert "bob" in result.output and "viewer" in result.output
    assert "admin" in result.output and "(you)" in result.output


def test_parse_json_shape() -> None:
    """`parse --json` prints the documented shape for a golden mail."""
    import json

    golden = Path(__file__).parent / "golden" / "bareos" / "hyperv-full-backup-ok.txt"
    done = run("parse", str(golden), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"file", "outcome", "parser", "reason", "reports"}
    assert data["outcome"] == "parsed"
    report = data["reports"][0]
    for key in (
        "product",
        "job_type",
        "job_name",
        "host",
        "status",
        "started_at",
        "ended_at",
        "message",
        "objects",
    ):
        assert key in report
    assert report["product"] == "bareos" and report["status"] == "success"


def test_a_failed_start_leaves_garbage_collection_on(tmp_path: Path) -> None:
    """The app's start pauses the collector; an error on the way turns it back on."""
    cfg = tmp_path / "c.toml"
    cfg.write_text('[database]\nurl = "nosuch://x"\n')
    result = CliRunner().invoke(main, ["--config", str(cfg)])
    assert result.exit_code != 0
    assert "error:" in result.output
    assert gc.isenabled()


def test_db_upgrade_on_a_current_database_says_its_revision(tmp_path: Path) -> None:
    """The second `db upgrade` finds the schema at head (no migration) and says so."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "app.db"}"\n')
    first = run("--config", str(cfg), "db", "upgrade")
    again = run("--config", str(cfg), "db", "upgrade")
    assert first.returncode == again.returncode == 0, again.stderr
    assert "is at revision 0" in again.stdout
    assert first.stdout == again.stdout
