"""Bad input on the command line: one plain line with the fix, and the right exit code.

The mails here are synthetic (tests/mailfactory.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from backupchecks_tui.cli import main
from tests.mailfactory import synthetic_mail


def run(config: Path, *args: str) -> Result:
    """The CLI in-process with `config`."""
    return CliRunner().invoke(main, ["--config", str(config), *args])


def one_error_line(result: Result) -> str:
    """The single line on stderr (asserted single), no traceback."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return lines[0]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config on a fresh SQLite database."""
    path = tmp_path / "c.toml"
    path.write_text(f"[database]\nurl = 'sqlite:///{tmp_path / 'x.db'}'\n")
    return path


def test_sqlite_folder_that_cannot_be_created(tmp_path: Path) -> None:
    """A database path below a plain file: exit 2 and one line naming the key to fix."""
    (tmp_path / "afile").write_text("not a folder")
    config = tmp_path / "c.toml"
    config.write_text(f"[database]\nurl = 'sqlite:///{tmp_path / 'afile' / 'sub' / 'x.db'}'\n")
    result = run(config, "stats")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "Cannot create the folder of the SQLite database" in line
    assert "Not a directory" in line
    assert "Fix: set [database] url" in line


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(bytes(range(256)) * 16, id="random bytes"),
        pytest.param(Path(shutil.which("true") or "/bin/true").read_bytes()[:65536], id="ELF"),
    ],
)
def test_file_named_mbox_that_is_not_one(config: Path, tmp_path: Path, content: bytes) -> None:
    """Not an mbox, though named so: exit 2 and one line, not "0 mails" and exit 0."""
    box = tmp_path / "reports.mbox"
    box.write_bytes(content)
    result = run(config, "import", str(box))
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "reports.mbox is named .mbox but is not an mbox file" in line
    assert "Fix:" in line


def test_real_and_empty_mbox_still_import(config: Path, tmp_path: Path) -> None:
    """The check refuses no mbox: a real one imports its mails, an empty one none."""
    box = tmp_path / "two.mbox"
    box.write_bytes(
        b"".join(
            b"From x@y Mon Nov 23 01:00:00 2026\n" + synthetic_mail(n) + b"\n" for n in range(2)
        )
    )
    (tmp_path / "empty.mbox").write_bytes(b"")
    result = run(config, "import", str(box), str(tmp_path / "empty.mbox"))
    assert result.exit_code == 0, result.output
    assert "2 mails seen, 2 new" in result.output


def test_import_dev_null(config: Path) -> None:
    """/dev/null exists: it is called a character device, not "no such file"."""
    result = run(config, "import", "/dev/null")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "/dev/null is a character device, not a mail file or folder" in line
    assert "no such file" not in line


def test_missing_path_still_says_no_such_file(config: Path, tmp_path: Path) -> None:
    """A path that does not exist keeps its own message."""
    result = run(config, "import", str(tmp_path / "nope.eml"))
    assert result.exit_code == 2
    assert "no such file or folder" in one_error_line(result)


def test_parser_rule_without_object_regex(tmp_path: Path) -> None:
    """A rule without object lines is accepted and parses its mail (no objects)."""
    config = tmp_path / "c.toml"
    config.write_text(
        f"[database]\nurl = 'sqlite:///{tmp_path / 'x.db'}'\n"
        "[[parser_rules]]\n"
        "name = 'synthetic-rule'\n"
        "product = 'synthetic'\n"
        "subject_regex = '^\\[synthetic\\]'\n"
        "job_name_regex = '^\\[synthetic\\] \\w+ (?P<job>\\S+)'\n"
        "[parser_rules.status_map]\n"
        "failed = 'failed'\n"
    )
    mail = tmp_path / "m.eml"
    mail.write_bytes(synthetic_mail(4, status="failed", job="nightly"))
    result = run(config, "rules", "test", "synthetic-rule", str(mail))
    assert result.exit_code == 0, result.output
    assert "nightly" in result.output
    assert "failed" in result.output.lower()


def test_unforeseen_error_is_one_line_without_traceback(config: Path, tmp_path: Path) -> None:
    """An error no command foresaw (here: writing into a folder that does not exist)
    is one line naming its type and place, exit 1, never a traceback."""
    mail = tmp_path / "m.eml"
    mail.write_bytes(synthetic_mail(1))
    assert run(config, "import", str(mail)).exit_code == 0
    result = run(config, "export-eml", "1", "-o", str(tmp_path / "missing" / "out.eml"))
    assert result.exit_code == 1
    line = one_error_line(result)
    assert "failed unexpectedly (FileNotFoundError at " in line
