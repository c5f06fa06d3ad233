"""What every part of the facade shares: the workspace it is bound to."""

from __future__ import annotations

from sqlalchemy import Engine

from backupchecks_tui.roles import Actor
from backupchecks_tui.workspace import Workspace


class Bound:
    """A facade part bound to one workspace (engine, acting operator, configuration)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    @property
    def engine(self) -> Engine:
        """The database."""
        return self.workspace.engine

    @property
    def actor(self) -> Actor:
        """Who acts: every write is done, checked and audited as this operator."""
        return self.workspace.actor
