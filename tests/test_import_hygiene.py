"""Layering: the core never loads Textual; parsers and store load nothing of ours."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from store import migrate
from store.engine import make_engine

CORE = [
    "parsers",
    "store.models",
    "store.migrate",
    "backupchecks_tui.cli",
    "backupchecks_tui.ingest.pipeline",
    "backupchecks_tui.ingest.imap",
    "backupchecks_tui.services.stats",
]


@pytest.mark.parametrize("module", CORE)
def test_core_modules_do_not_import_textual(module: str) -> None:
    """Importing a core module leaves `textual` out of sys.modules."""
    code = f"import sys, {module}; print('textual' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("module", ["parsers", "store.models", "store.migrate"])
def test_lower_layers_do_not_import_ours(module: str) -> None:
    """parsers and store load no module of backupchecks_tui or screens."""
    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'backupchecks_tui', 'screens'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


HEAVY = ["sqlalchemy", "sqlmodel", "alembic", "pydantic", "textual", "rich"]
"""What the command line must not load to print its help or a usage error."""


def _loaded_after(code: str) -> list[str]:
    """The HEAVY packages in sys.modules after running `code` in a new interpreter."""
    probe = (
        f"import sys\n{code}\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded: list[str] = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("argv", [["--help"], ["db", "--help"], ["no-such-command"]])
def test_help_and_usage_errors_load_nothing_heavy(argv: list[str]) -> None:
    """`backupchecks-tui --help` (and a usage error) imports only click and light modules."""
    code = (
        "from backupchecks_tui.cli import main\n"
        f"try:\n    main({argv!r}, prog_name='backupchecks-tui')\n"
        "except SystemExit:\n    pass"
    )
    assert _loaded_after(code) == []


def test_opening_a_current_database_does_not_import_alembic(tmp_path: Path) -> None:
    """Alembic loads to create or migrate the schema, not when it is already at head."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    opening = f"from backupchecks_tui.database import open_database\nopen_database({url!r})"
    created = subprocess.run(
        [sys.executable, "-c", f"{opening}\nimport sys; print('alembic' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert created.stdout.strip() == "True"  # a new database: Alembic creates the schema
    assert "alembic" not in _loaded_after(opening)


def test_shipped_head_read_as_text_is_alembics_head() -> None:
    """The plain-text reading of the migration files finds the head Alembic finds."""
    assert migrate.shipped_head() is not None
    assert migrate.shipped_head() == migrate.head_revision()


def test_at_head_is_false_until_the_schema_is_current(tmp_path: Path) -> None:
    """A new database, one at an older revision, then one at head."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        assert not migrate.at_head(engine)
        migrate.upgrade(engine, "0001")
        assert not migrate.at_head(engine)
        migrate.upgrade(engine)
        assert migrate.at_head(engine)
    finally:
        engine.dispose()
