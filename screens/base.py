"""The base of every area screen: typed access to the app and its workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from screens.app import BackupChecksApp


class AreaScreen(Screen[None]):
    """A mode's screen (Run Checks, Overrides, Inbox, …)."""

    @property
    def bc_app(self) -> BackupChecksApp:
        """The app, typed."""
        from screens.app import BackupChecksApp  # noqa: PLC0415 - import cycle

        assert isinstance(self.app, BackupChecksApp)
        return self.app
