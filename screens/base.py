"""The base of every area screen: typed access to the app, and the shared filter box."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.screen import Screen
from textual.widgets import Input

if TYPE_CHECKING:
    from screens.app import BackupChecksApp


class AreaScreen(Screen[None]):
    """A mode's screen (Run Checks, Daily Jobs, Tickets, …).

    Screens with a text filter name its Input in FILTER and their main list in LIST,
    and implement `apply_filter`; `/` (action_filter_text) and enter are handled here.
    """

    FILTER: ClassVar[str] = ""
    LIST: ClassVar[str] = ""

    @property
    def bc_app(self) -> BackupChecksApp:
        """The app, typed."""
        from screens.app import BackupChecksApp  # noqa: PLC0415 - import cycle

        assert isinstance(self.app, BackupChecksApp)
        return self.app

    def action_filter_text(self) -> None:
        """Show the filter box and type into it."""
        box = self.query_one(f"#{self.FILTER}", Input)
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Apply the filter and hide the box: the header names the active filter, and the
        three lines are worth more to the list at 80×24; `/` brings it back to edit."""
        if not self.FILTER or event.input.id != self.FILTER:
            return
        event.stop()
        text = event.value.strip()
        event.input.display = False
        self.apply_filter(text)
        self.query_one(f"#{self.LIST}").focus()

    def apply_filter(self, text: str) -> None:
        """Filter the list by `text` (screens with a FILTER override this)."""
