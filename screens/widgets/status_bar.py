"""The top line of every screen: app, area, operator and role, database, last fetch."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from screens.style import shown


class StatusBar(Static):
    """Filled from the app's workspace when mounted and on `refresh_status`."""

    activity = ""
    """Background work in progress (a fetch), shown at the end of the line."""

    def on_mount(self) -> None:
        """Draw once the app is known."""
        self.refresh_status()

    def refresh_status(self) -> None:
        """Redraw from the workspace."""
        ws = getattr(self.app, "workspace", None)
        if ws is None:
            return
        text = Text()
        text.append(" backupchecks-tui ", style="bold reverse")
        text.append(f" {self.screen.TITLE or ''} ", style="bold")
        text.append("│ ")
        text.append(f"{ws.actor.login} ({ws.actor.role.value.capitalize()})")
        text.append(" │ ")
        text.append(ws.database_label, style="dim")
        text.append(" │ last fetch: ")
        text.append(ws.last_fetch())
        if self.activity:
            text.append(f" │ {self.activity}", style="bold yellow")
        self.update(shown(text))  # the database label and fetch activity name servers
