"""Config: defaults, resolution order and one plain line for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from backupchecks_tui.config import load_config
from backupchecks_tui.errors import ConfigError

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    """Write a config file and return its path."""
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_no_file_anywhere_gives_defaults(tmp_path: Path) -> None:
    """Without any config the app runs on defaults: SQLite in the data dir, TLS verified."""
    config = load_config(None)
    assert config.database_url.startswith("sqlite:///")
    assert str(tmp_path / "home" / "data") in config.database_url
    assert config.imap.verify_tls is True
    assert config.imap.security == "ssl"
    assert config.imap.effective_port == 993


def test_example_config_is_valid_and_documents_every_key() -> None:
    """config.example.toml loads and mentions every key of every section."""
    config = load_config(str(EXAMPLE))
    text = EXAMPLE.read_text()
    for section in (config.database, config.imap, config.ui):
        for key in type(section).model_fields:
            assert f"{key} =" in text or f"# {key} =" in text, key
    assert config.parser_rules, "the example carries a worked parser rule"


def test_explicit_path_must_exist(tmp_path: Path) -> None:
    """--config naming a missing file is one line with the path and the fix."""
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path / "nope.toml"))
    assert "nope.toml" in info.value.line
    assert "Fix:" in info.value.line


def test_env_var_is_used_and_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$BACKUPCHECKS_TUI_CONFIG is read when --config is absent."""
    path = write(tmp_path, '[database]\nurl = "sqlite:////tmp/x.db"\n')
    monkeypatch.setenv("BACKUPCHECKS_TUI_CONFIG", str(path))
    assert load_config(None).database_url == "sqlite:////tmp/x.db"
    monkeypatch.setenv("BACKUPCHECKS_TUI_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml"):
        load_config(None)


def test_platform_default_path_is_read(isolated_env: Path) -> None:
    """The file in the platform config dir is used when nothing else is named."""
    path = isolated_env / "config" / "backupchecks-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("[ui]\nascii_only = true\n")
    assert load_config(None).ui.ascii_only is True


def test_unknown_key_names_file_key_and_fix(tmp_path: Path) -> None:
    """A misspelt key gives the file, the dotted key and the keys that exist."""
    path = write(tmp_path, '[imap]\nhots = "mail.example.com"\n')
    with pytest.raises(ConfigError) as info:
        load_config(str(path))
    line = info.value.line
    assert str(path) in line
    assert "imap.hots" in line
    assert "host" in line and "Fix:" in line
    assert "\n" not in line


def test_unknown_section(tmp_path: Path) -> None:
    """An unknown section is named too."""
    with pytest.raises(ConfigError, match=r"unknown key 'imapp'"):
        load_config(str(write(tmp_path, "[imapp]\nhost = 'x'\n")))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[imap]\nport = 'abc'\n", "imap.port"),
        ("[imap]\nport = 70000\n", "imap.port"),
        ("[imap]\nsecurity = 'tls'\n", "imap.security"),
        ("[imap]\nverify_tls = 'yes please'\n", "imap.verify_tls"),
        ("[imap]\nfolders = 'INBOX'\n", "imap.folders"),
        ("[imap]\nafter_fetch = 'delete'\n", "imap.after_fetch"),
        ("[imap]\nbatch_size = 0\n", "imap.batch_size"),
        ("[ui]\ntimezone = 'Mars/Olympus'\n", "ui.timezone"),
        ("[ui]\nascii_only = 3\n", "ui.ascii_only"),
        ("[database]\nurl = 5\n", "database.url"),
    ],
)
def test_wrong_types_and_values(tmp_path: Path, text: str, key: str) -> None:
    """Each wrong type or value names the key, what was given and where to look."""
    with pytest.raises(ConfigError) as info:
        load_config(str(write(tmp_path, text)))
    assert key in info.value.line
    assert "config.example.toml" in info.value.line


def test_move_without_target(tmp_path: Path) -> None:
    """after_fetch = move needs move_to."""
    with pytest.raises(ConfigError, match="move_to"):
        load_config(str(write(tmp_path, "[imap]\nafter_fetch = 'move'\n")))


def test_invalid_toml(tmp_path: Path) -> None:
    """A syntax error names the file and says so."""
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(str(write(tmp_path, "[imap\nhost=\n")))


def test_bad_rule_regex_is_named(tmp_path: Path) -> None:
    """A parser rule with a broken regex is refused at load with the rule's name."""
    text = "[[parser_rules]]\nname = 'mine'\nproduct = 'x'\nsubject_regex = '('\n"
    with pytest.raises(ConfigError) as info:
        load_config(str(write(tmp_path, text)))
    assert "mine" in info.value.line
    assert "subject_regex" in info.value.line


def test_starttls_default_port(tmp_path: Path) -> None:
    """STARTTLS and plain default to port 143."""
    config = load_config(str(write(tmp_path, "[imap]\nsecurity = 'starttls'\n")))
    assert config.imap.effective_port == 143
