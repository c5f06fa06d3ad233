"""The Textual application: one mode per area, app-wide keys, help and palette."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

from textual.app import App
from textual.binding import Binding, BindingType

from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.workspace import Workspace
from screens.commands import Command, CommandsProvider, bindings
from screens.dialogs import HelpScreen
from screens.run_checks import RunChecksScreen

APP_COMMANDS = [
    Command("switch_mode('checks')", "1", "Run Checks", "The queue of runs to review."),
    Command("help", "question_mark", "Help", "Every key of this screen.", key_display="?"),
    Command("quit", "q", "Quit", "Leave the app."),
]


@dataclass(frozen=True)
class Markers:
    """Whether an active ticket or remark covers a job."""

    ticket: bool = False
    remark: bool = False


class BackupChecksApp(App[None]):
    """backupchecks-tui: review backup reports from the keyboard."""

    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "backupchecks-tui"
    MODES: ClassVar = {"checks": RunChecksScreen}
    DEFAULT_MODE = "checks"
    COMMAND_LIST: ClassVar[list[Command]] = APP_COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings(APP_COMMANDS),
        Binding("ctrl+c", "quit", show=False),
    ]
    COMMANDS: ClassVar = {CommandsProvider}

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.zone: ZoneInfo = workspace.config.ui.zone

    def markers(self, job_id: int) -> Markers:  # noqa: ARG002 - tickets/remarks come later
        """Ticket/remark markers of a job."""
        return Markers()

    def today(self) -> date:
        """Today in the operator's time zone."""
        return datetime.now(self.zone).date()

    def show_error(self, error: BackupChecksError) -> None:
        """Show one of our errors as a notification with its title."""
        self.notify(error.line, title=error.title, severity="error", timeout=8)

    def action_help(self) -> None:
        """Show every key of the current screen and of the app."""
        screen = self.screen
        sections = [
            (screen.TITLE or "This screen", list(getattr(screen, "COMMAND_LIST", []))),
            ("Everywhere", APP_COMMANDS),
            (
                "Moving",
                [
                    Command("", "up/down, j/k", "Move", "Move in the focused list."),
                    Command("", "tab", "Next pane", "Focus the next pane (shift+tab back)."),
                    Command(
                        "", "enter", "Open", "Go from a job to its runs, from a run to its detail."
                    ),
                    Command("", "ctrl+p", "Palette", "Search all commands."),
                ],
            ),
        ]
        self.push_screen(HelpScreen(screen.TITLE or "", sections))
