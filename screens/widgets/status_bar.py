"""The top line of every screen: app, area, operator and role, database, last fetch."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from screens.style import shown


class StatusBar(Static):
    """Bound to the app's session, last fetch and activity; redraws when they change."""

    def on_mount(self) -> None:
        """Follow the app's last fetch and activity."""
        self.watch(self.app, "last_fetch", self._changed, init=False)
        self.watch(self.app, "activity", self._changed, init=False)
        self.refresh_status()

    def _changed(self, _value: str) -> None:
        self.refresh_status()

    def refresh_status(self) -> None:
        """Redraw from the app's state (no I/O)."""
        session = getattr(self.app, "session", None)
        if session is None:
            return
        text = Text()
        text.append(" backupchecks-tui ", style="bold reverse")
        text.append(f" {self.screen.TITLE or ''} ", style="bold")
        text.append("│ ")
        text.append(f"{session.actor.login} ({session.actor.role.value.capitalize()})")
        text.append(" │ ")
        text.append(session.database_label, style="dim")
        text.append(" │ last fetch: ")
        text.append(getattr(self.app, "last_fetch", "") or "…")
        activity = getattr(self.app, "activity", "")
        if activity:
            text.append(f" │ {activity}", style="bold yellow")
        self.update(shown(text))  # the database label and fetch activity name servers
