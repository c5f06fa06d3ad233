"""The workspace the app runs in: database engine, acting operator, configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from backupchecks_tui.config import Config
    from backupchecks_tui.ingest.pipeline import Pipeline
    from backupchecks_tui.roles import Actor

# ruff: noqa: PLC0415 - what only a fetch or a worker needs loads then, not before the app


@dataclass
class Workspace:
    """What every screen needs; built by the CLI (the composition root)."""

    engine: Engine
    actor: Actor
    config: Config
    database_label: str
    demo: bool = False
    frozen_now: datetime | None = None
    """The demo's clock: its Monday morning, so 'due' and 'missed' match its data."""

    def now(self) -> datetime:
        """The current moment (the demo's morning in demo mode)."""
        return self.frozen_now or datetime.now(UTC)

    def pipeline(self) -> Pipeline:
        """An ingest pipeline (built-in parsers plus the config's rules) on this database."""
        from backupchecks_tui.ingest.deadline import registry_for
        from backupchecks_tui.ingest.pipeline import Pipeline

        return Pipeline(self.engine, registry_for(self.config), self.config.ui.zone)

    @property
    def ascii_only(self) -> bool:
        """Whether to draw ASCII markers instead of emoji."""
        return self.config.ui.ascii_only

    def last_fetch(self) -> str:
        """When mail was last fetched (local time), or a word saying never / demo."""
        if self.demo:
            return "demo data"
        from sqlmodel import col, func, select

        from store.engine import read_scope
        from store.models import ImapState

        with read_scope(self.engine) as session:
            when = session.exec(select(func.max(col(ImapState.last_fetch_at)))).one()
        if when is None:
            return "never"
        return when.astimezone(self.config.ui.zone).strftime("%Y-%m-%d %H:%M")
