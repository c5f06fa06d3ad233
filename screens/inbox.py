"""Inbox: mail no parser turned into runs — read it, re-parse, ignore, map its sender."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import DataTable, Input, RichLog, Static

from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.roles import Action
from backupchecks_tui.services import inbox
from screens.base import AreaScreen
from screens.commands import Command, bindings
from screens.dialogs import PromptDialog
from screens.style import literal
from screens.widgets.detail_log import DetailLog
from screens.widgets.key_bar import KeyBar
from screens.widgets.run_detail import capped
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable
from screens.widgets.words import counted

NARROW = 120
STATE_FILTERS: list[tuple[str, frozenset[str]]] = [
    ("unparsed + error", frozenset({"unparsed", "error"})),
    ("all", inbox.INBOX_STATES),
    ("ignored", frozenset({"ignored"})),
]
STATE_STYLE = {"unparsed": "yellow", "error": "bold red", "ignored": "dim"}

COMMANDS = [
    Command("reparse", "r", "Re-parse", "Parse the selected (or current) mail again."),
    Command("reparse_all", "R", "Re-parse all", "Run the parsers again over every inbox mail."),
    Command("toggle_select", "space", "Select", "Select or unselect the current mail."),
    Command("ignore", "i", "Ignore", "Mark the selected (or current) mail as not a report."),
    Command("assign", "c", "Customer", "Map the mail's sender domain to a customer."),
    Command(
        "filter_text", "slash", "Filter", "Filter by sender, subject or reason.", key_display="/"
    ),
    Command("filter_state", "F", "State", "Cycle: unparsed + error, all, ignored.", show=False),
]


@dataclass
class InboxState:
    """What the inbox shows."""

    text: str = ""
    state_filter: int = 0


class InboxScreen(AreaScreen):
    """The unparsed inbox: list of mails | the mail as text."""

    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Inbox"
    FILTER = "inbox-filter"
    LIST = "mails"
    AUTO_FOCUS = "#mails"

    def __init__(self) -> None:
        super().__init__()
        self.view = InboxState()
        self.selected: set[int] = set()
        self.total = 0

    def compose(self) -> ComposeResult:
        """Status bar, header, filter, list | mail, footer."""
        yield StatusBar()
        yield Static(id="inbox-header")
        yield Input(placeholder="filter: sender, subject, reason", id="inbox-filter")
        with Horizontal(id="inbox-panes"):
            yield KeyedTable(id="mails")
            yield DetailLog(id="mail-text")
        yield KeyBar()

    def on_resize(self, event: Resize) -> None:
        """Stack the panes on narrow terminals."""
        self.set_class(event.size.width < NARROW, "narrow")

    def on_mount(self) -> None:
        """Columns, then the first load."""
        self.query_one("#mails", KeyedTable).add_columns(" ", "State", "Date", "From", "Subject")
        self.query_one("#inbox-filter", Input).display = False
        self.reload()

    def on_screen_resume(self) -> None:
        """Reload when the mode is entered again (a fetch may have added mail)."""
        self.reload()

    def reload(self) -> None:
        """Load the list from the database, keeping the cursor."""
        table = self.query_one("#mails", KeyedTable)
        states = STATE_FILTERS[self.view.state_filter][1]
        rows, self.total = inbox.list_mails(self.bc_app.workspace.engine, states, self.view.text)
        zone = self.bc_app.zone
        table.fill(
            [
                (
                    r.id,
                    [
                        Text("*" if r.id in self.selected else " ", style="bold cyan"),
                        Text(r.state, style=STATE_STYLE.get(r.state, "")),
                        Text(
                            r.sent_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
                            if r.sent_at
                            else "—"
                        ),
                        literal(r.sender or "(no sender)", 30),
                        literal(r.subject or "(no subject)", 60),
                    ],
                )
                for r in rows
            ],
            keep=table.current_key,
        )
        parts = [f"{counted(self.total, 'mail')} · {STATE_FILTERS[self.view.state_filter][0]}"]
        if len(rows) < self.total:
            parts.append(f"newest {len(rows)} shown")
        if self.view.text:
            parts.append(f"filter: {self.view.text!r}")
        if self.selected:
            parts.append(f"{len(self.selected)} selected")
        self.query_one("#inbox-header", Static).update(Text("  ·  ".join(parts), style="bold"))
        self._show(table.current_key)

    def _show(self, mail_id: int | None) -> None:
        log = self.query_one("#mail-text", RichLog)
        log.clear()
        if mail_id is None:
            log.write(Text("The inbox is empty: every mail became a run.", style="dim"))
            return
        text = inbox.mail_text(self.bc_app.workspace.engine, mail_id)
        log.write(capped(text, f"the whole mail: backupchecks-tui export-eml {mail_id}"))
        log.scroll_home(animate=False)

    @on(DataTable.RowHighlighted, "#mails")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        self._show(int(key) if key is not None else None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Hide what the role does not allow."""
        actor = self.bc_app.workspace.actor
        if action in {"reparse", "reparse_all", "ignore"}:
            return actor.can(Action.REPARSE)
        if action == "assign":
            return actor.can(Action.MANAGE_CUSTOMERS)
        return True

    def _targets(self) -> list[int]:
        if self.selected:
            return sorted(self.selected)
        current = self.query_one("#mails", KeyedTable).current_key
        return [current] if current is not None else []

    def _run(self, ids: list[int] | None) -> None:
        try:
            counts = inbox.reparse_mails(
                self.bc_app.workspace.pipeline(), self.bc_app.workspace.actor, ids
            )
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.selected.clear()
        self.reload()
        shown = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "nothing"
        self.notify(f"Re-parsed: {shown}.")

    def action_reparse(self) -> None:
        """Re-parse the selection or the current mail."""
        targets = self._targets()
        if targets:
            self._run(targets)

    def action_reparse_all(self) -> None:
        """Re-parse every inbox mail."""
        self._run(None)

    def action_toggle_select(self) -> None:
        """Select or unselect the current mail and move down."""
        table = self.query_one("#mails", KeyedTable)
        key = table.current_key
        if key is None:
            return
        self.selected.symmetric_difference_update({key})
        mark = Text("*" if key in self.selected else " ", style="bold cyan")
        table.update_cell(str(key), table.ordered_columns[0].key, mark)
        table.action_cursor_down()

    @work
    async def action_ignore(self) -> None:
        """Ask why, then mark the targets as ignored."""
        targets = self._targets()
        if not targets:
            return
        answer = await self.app.push_screen_wait(
            PromptDialog(f"Ignore {len(targets)} mail(s) — why?", placeholder="e.g. newsletter")
        )
        if answer.value is None:
            return
        try:
            count = inbox.ignore_mails(
                self.bc_app.workspace.engine, self.bc_app.workspace.actor, targets, answer.value
            )
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.selected.clear()
        self.reload()
        self.notify(f"Ignored {counted(count, 'mail')} (kept; re-parse brings them back).")

    @work
    async def action_assign(self) -> None:
        """Map the current mail's sender domain to a customer."""
        current = self.query_one("#mails", KeyedTable).current_key
        if current is None:
            return
        answer = await self.app.push_screen_wait(PromptDialog("Customer for this sender domain"))
        if not answer.value:
            return
        try:
            domain = inbox.assign_sender(
                self.bc_app.workspace.engine, self.bc_app.workspace.actor, current, answer.value
            )
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.notify(f"Mail from {domain} now belongs to {answer.value}.")

    def apply_filter(self, text: str) -> None:
        """Filter the list by `text`."""
        self.view.text = text
        self.reload()

    def action_filter_state(self) -> None:
        """Cycle the state filter."""
        self.view.state_filter = (self.view.state_filter + 1) % len(STATE_FILTERS)
        self.reload()
