"""One fetch pass as a use case, shared by `backupchecks-tui fetch` and the app's fetch key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from backupchecks_tui import secrets
from backupchecks_tui.config import Config
from backupchecks_tui.errors import ConfigError
from backupchecks_tui.ingest.deadline import registry_for
from backupchecks_tui.ingest.imap import Fetcher, MoveFolderMissing, Progress
from backupchecks_tui.ingest.pipeline import IngestStats, Pipeline
from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.services import missed
from store.types import utcnow


@dataclass
class FetchOutcome:
    """The counts of a pass and the warnings a person should see."""

    stats: IngestStats
    warnings: list[str] = field(default_factory=list)
    password_source: str = ""
    missed: int = 0
    """Missed runs created by the detection that follows every fetch."""


def imap_configured(config: Config) -> bool:
    """Whether the config names a mailbox to fetch from."""
    return bool(config.imap.host and config.imap.username)


def fetch_warnings(config: Config) -> list[str]:
    """What must be said on every run (TLS verification off, no encryption)."""
    cfg = config.imap
    found: list[str] = []
    if not cfg.verify_tls:
        found.append(f"TLS certificate verification is OFF for {cfg.host} (verify_tls = false).")
    if cfg.security == "none":
        found.append(f"the connection to {cfg.host} is not encrypted (security = none).")
    return found


def fetch(
    config: Config,
    engine: Engine,
    actor: Actor,
    progress: Progress | None = None,
    warn: Callable[[str], None] | None = None,
) -> FetchOutcome:
    """One pass over the configured folders into `engine`; raises our errors on failure."""
    cfg = config.imap
    if not imap_configured(config):
        raise ConfigError(
            f"{config.source or 'config'}: [imap] host and username are not set.",
            fix="Fix: add them to the config (see config.example.toml).",
        )
    require(actor, Action.INGEST)
    found = secrets.find_password(cfg.username, cfg.password_command)
    warnings = fetch_warnings(config)
    for line in warnings:
        if warn is not None:
            warn(line)
    pipeline = Pipeline(engine, registry_for(config), config.ui.zone)
    total = IngestStats()
    try:
        results = Fetcher(cfg, found.secret, pipeline, progress).run()
    except MoveFolderMissing:
        # The mail of this pass is stored (only not moved): missed detection still holds.
        missed.detect(engine, config.ui.zone, utcnow())
        raise
    for result in results:
        total.merge(result.stats)
    missing = missed.detect(engine, config.ui.zone, utcnow())
    return FetchOutcome(total, warnings, found.source, len(missing))
