"""Modal dialogs with typed results: a text prompt, a confirmation, the help screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from backupchecks_tui.safe_text import clean, one_line
from screens.commands import Command


@dataclass(frozen=True)
class PromptResult:
    """What the person typed (None when cancelled)."""

    value: str | None


class PromptDialog(ModalScreen[PromptResult]):
    """Ask for one line of text; enter confirms, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        """`title` and `value` may quote a mail (a sender domain as the suggested
        customer): both are shown cleaned, on one line."""
        super().__init__()
        self.title_text = clean(title)
        self.value = one_line(value)
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        """A title and an input."""
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label(Text("enter to confirm · escape to cancel", style="dim"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Confirm with the typed value."""
        self.dismiss(PromptResult(event.value))

    def action_cancel(self) -> None:
        """Close without a value."""
        self.dismiss(PromptResult(None))


class HelpScreen(ModalScreen[None]):
    """Every key of the current screen and of the app, with what it does."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    def __init__(self, title: str, sections: list[tuple[str, list[Command]]]) -> None:
        super().__init__()
        self.title_text = title
        self.sections = sections

    def compose(self) -> ComposeResult:
        """One table per section."""
        with VerticalScroll(classes="dialog help"):
            yield Label(Text(f"Keys — {self.title_text}", style="bold"), classes="dialog-title")
            for name, commands in self.sections:
                table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
                table.add_column(style="bold cyan", no_wrap=True)
                table.add_column()
                for command in commands:
                    table.add_row(command.shown_key, f"{command.label}: {command.help}")
                yield Label(Text(name, style="bold underline"))
                yield Static(table)
            yield Label(Text("escape closes this help", style="dim"))

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question: y or enter confirms, n or escape declines."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = clean(question)

    def compose(self) -> ComposeResult:
        """The question and the keys."""
        with Vertical(classes="dialog"):
            yield Label(Text(self.question), classes="dialog-title")
            yield Label(Text("y / enter: yes · n / escape: no", style="dim"))

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)


class TableScreen(ModalScreen[None]):
    """A read-only table (the audit log); escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", "Close")]

    def __init__(self, title: str, table: Table) -> None:
        super().__init__()
        self.title_text = clean(title)
        self.table = table

    def compose(self) -> ComposeResult:
        """The title and the table."""
        with VerticalScroll(classes="dialog help"):
            yield Label(Text(self.title_text, style="bold"), classes="dialog-title")
            yield Static(self.table)

    def action_close(self) -> None:
        """Close."""
        self.dismiss(None)
