"""Layering: the core never loads Textual; parsers and store load nothing of ours."""

from __future__ import annotations

import subprocess
import sys

import pytest

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
