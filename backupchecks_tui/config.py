"""The typed configuration, read from TOML; every key is documented in config.example.toml.

Resolution: `--config PATH`, else `$BACKUPCHECKS_TUI_CONFIG`, else the platform config dir.
A file named explicitly must exist; the default file may be absent (defaults apply).
Mistakes end in one `ConfigError` line naming the file, the key and the fix.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from backupchecks_tui import locations
from backupchecks_tui.errors import ConfigError
from backupchecks_tui.zones import system_zone
from parsers.rules import RuleParser, RuleSpec


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Section):
    """[database]: where the data lives."""

    url: str = ""
    """SQLAlchemy URL; empty = SQLite in the platform data dir. Teams: postgresql+psycopg://…"""


class ImapConfig(_Section):
    """[imap]: the mailbox that receives the backup reports."""

    host: str = ""
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str = ""
    folders: list[str] = Field(default_factory=lambda: ["INBOX"])
    ca_file: str = ""
    verify_tls: bool = True
    password_command: str = ""
    after_fetch: Literal["keep", "seen", "move"] = "keep"
    move_to: str = ""
    batch_size: int = Field(default=200, ge=1, le=5000)
    timeout: float = Field(default=30.0, gt=0)
    fetch_interval_minutes: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _move_needs_target(self) -> ImapConfig:
        if self.after_fetch == "move" and not self.move_to:
            msg = 'after_fetch = "move" needs move_to (the folder to move fetched mail to)'
            raise ValueError(msg)
        return self

    @property
    def effective_port(self) -> int:
        """The port to use: the configured one or the protocol default."""
        if self.port:
            return self.port
        return 993 if self.security == "ssl" else 143

    @property
    def account(self) -> str:
        """The account key used for remembered fetch state."""
        return f"{self.username}@{self.host}:{self.effective_port}"


class UiConfig(_Section):
    """[ui]: how the app looks and which time zone days are counted in."""

    timezone: str = ""
    ascii_only: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                msg = f"unknown time zone {value!r} (use an IANA name such as Europe/Amsterdam)"
                raise ValueError(msg) from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The operator's time zone (configured, else the system's, else UTC)."""
        return ZoneInfo(self.timezone) if self.timezone else system_zone()


class ParserRuleConfig(_Section):
    """[[parser_rules]]: a parser written in config, for products without a built-in one."""

    name: str
    product: str
    priority: int = 50
    from_regex: str = ""
    subject_regex: str = ""
    body_regex: str = ""
    job_name_regex: str = ""
    host_regex: str = ""
    status_map: dict[str, Literal["success", "warning", "failed"]] = Field(default_factory=dict)
    default_status: Literal["success", "warning", "failed"] = "warning"
    object_regex: str = ""
    job_type: str = "backup"


class ParsingConfig(_Section):
    """[parsing]: how long one mail may take to parse."""

    deadline_seconds: float = Field(default=30.0, ge=0)
    """A mail still parsing after this long goes to the Inbox as an error with the reason
    "parse deadline (N s) exceeded"; 0 = no deadline."""


class Config(_Section):
    """The whole configuration."""

    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    imap: ImapConfig = Field(default_factory=ImapConfig)
    ui: UiConfig = Field(default_factory=UiConfig)
    parsing: ParsingConfig = Field(default_factory=ParsingConfig)
    parser_rules: list[ParserRuleConfig] = Field(default_factory=list)
    source: str = Field(default="", exclude=True)
    """Path the config was read from ('' = defaults)."""

    @property
    def database_url(self) -> str:
        """The database URL to use."""
        return self.database.url or locations.default_database_url()


def rule_parsers(config: Config) -> list[RuleParser]:
    """The user's `[[parser_rules]]` as parsers (ValueError names a bad rule and field).

    A regex left out (or left empty) is not given: an empty pattern would match every
    subject, and as `object_regex` it has no `name` group, so every rule without object
    lines was refused.
    """
    return [RuleParser(RuleSpec(**_given(rule.model_dump()))) for rule in config.parser_rules]


def _given(values: dict[str, Any]) -> dict[str, Any]:
    """The rule's fields with each empty `*_regex` as None (not given)."""
    return {k: None if k.endswith("_regex") and v == "" else v for k, v in values.items()}


def resolve_path(explicit: str | None) -> tuple[Path, bool]:
    """The config path and whether it was named explicitly (so it must exist)."""
    if explicit:
        return Path(explicit).expanduser(), True
    env = os.environ.get(locations.CONFIG_ENV)
    if env:
        return Path(env).expanduser(), True
    return locations.config_file(), False


def load_config(explicit: str | None = None) -> Config:
    """Read and validate the config, or raise one plain ConfigError."""
    path, must_exist = resolve_path(explicit)
    if not path.exists():
        if must_exist:
            raise ConfigError(
                f"{path}: config file not found.",
                fix="Fix: check the path, or copy config.example.toml there.",
            )
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: invalid TOML ({exc}).", fix="Fix: correct the syntax."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc}).") from None
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """Validate a decoded TOML document; one plain ConfigError on the first mistake."""
    try:
        config = Config.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        raise _plain_error(exc, path) from None
    _check_rules(config, path)
    return config


def _check_rules(config: Config, path: Path) -> None:
    if not config.parser_rules:
        return
    try:
        rule_parsers(config)
    except ValueError as exc:
        raise ConfigError(f"{path}: parser_rules: {exc}.", fix="Fix: correct the rule.") from None


def _plain_error(exc: ValidationError, path: Path) -> ConfigError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc)
    if err["type"] == "extra_forbidden":
        section = ".".join(loc[:-1])
        known = _known_keys(loc[:-1])
        where = f" in [{section}]" if section else ""
        return ConfigError(
            f"{path}: unknown key '{key}'.",
            fix=f"Fix: remove it or use one of the keys{where}: {', '.join(known)}.",
        )
    got = err.get("input")
    return ConfigError(
        f"{path}: '{key}' {err['msg'].lower()} (got {got!r}).",
        fix="Fix: see config.example.toml for the allowed values.",
    )


def _known_keys(loc: list[str]) -> list[str]:
    model: type[BaseModel] = Config
    for part in loc:
        if part.isdigit():
            continue
        field = model.model_fields.get(part)
        if field is None:
            break
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            break
        model = nested[0]
    return [k for k in model.model_fields if k != "source"]
