"""Inbox: mail no parser turned into runs — read it, re-parse, ignore, map its sender.

The screen holds the state (state filter, text filter, selection) and loads the list in
a thread worker (`load_list`, group "inbox-mails") and the mail under the cursor in
another (`load_mail`, group "inbox-mail"); the table and the reading pane render the
view data they are given. Re-parse, ignore, assign and export run in "act" workers; a
change signals `Changed.MAIL` (and runs, when a re-parse made some), which reloads the
list with the cursor on the same mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.reactive import reactive
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState

from backupchecks_tui.domain import Changed, ParseState
from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.roles import Action
from backupchecks_tui.safe_text import clean
from backupchecks_tui.views.admin import INBOX_STATES, InboxPage, InboxRow, MailText
from screens.base import AreaScreen, Loaded
from screens.commands import Command, bindings
from screens.dialogs import PromptDialog
from screens.style import literal
from screens.widgets.detail_log import DetailLog
from screens.widgets.key_bar import KeyBar
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable
from screens.widgets.words import counted

NARROW = 120
MAX_BODY = 30_000
"""Characters of a mail the reading pane shows."""
STATE_FILTERS: list[tuple[str, frozenset[str]]] = [
    ("unparsed + error", frozenset({ParseState.UNPARSED, ParseState.ERROR})),
    ("all", frozenset(INBOX_STATES)),
    ("ignored", frozenset({ParseState.IGNORED})),
]
STATE_STYLE: dict[str, str] = {
    ParseState.UNPARSED: "yellow",
    ParseState.ERROR: "bold red",
    ParseState.IGNORED: "dim",
}
EMPTY = "The inbox is empty: every mail became a run."

COMMANDS = [
    Command("reparse", "r", "Re-parse", "Parse the selected (or current) mail again."),
    Command("reparse_all", "R", "Re-parse all", "Run the parsers again over every inbox mail."),
    Command("toggle_select", "space", "Select", "Select or unselect the current mail."),
    Command("ignore", "i", "Ignore", "Mark the selected (or current) mail as not a report."),
    Command("assign", "c", "Customer", "Map the mail's sender domain to a customer."),
    Command("export", "E", "Export", "Write the original message to an .eml file.", show=False),
    Command(
        "filter_text", "slash", "Filter", "Filter by sender, subject or reason.", key_display="/"
    ),
    Command("filter_state", "F", "State", "Cycle: unparsed + error, all, ignored.", show=False),
]


@dataclass(frozen=True)
class InboxQuery:
    """What the inbox shows: a state filter and a text."""

    state_filter: int = 0
    text: str = ""

    @property
    def states(self) -> frozenset[str]:
        """The parse states listed."""
        return STATE_FILTERS[self.state_filter][1]


def capped(body: str, whole: str) -> Text:
    """`body` cleaned and cut at MAX_BODY characters, saying where the whole mail is."""
    body = clean(body)
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY] + f"\n… (cut at {MAX_BODY} characters; {whole})"
    return Text(body)


def mark(selected: bool) -> Text:
    """The selection column's cell."""
    return Text("*" if selected else " ", style="bold cyan")


class MailsTable(KeyedTable):
    """The mails of the `page` it is given, starred when in `selected`."""

    page: reactive[InboxPage | None] = reactive(None, always_update=True, init=False)
    selected: reactive[frozenset[int]] = reactive(frozenset(), init=False)

    def __init__(self, *, zone: tzinfo, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.zone = zone

    def on_mount(self) -> None:
        """The columns."""
        self.add_columns(" ", "State", "Date", "From", "Subject")

    def watch_page(self, page: InboxPage | None) -> None:
        """New rows: fill, the cursor on the mail it was on."""
        if page is not None:
            self.fill([(r.id, self._cells(r)) for r in page.rows], keep=self.current_key)

    def watch_selected(self, before: frozenset[int], after: frozenset[int]) -> None:
        """Star the mails selected, unstar the others (only the cells that changed)."""
        column = self.ordered_columns[0].key
        for key in before ^ after:
            if str(key) in self.rows:
                self.update_cell(str(key), column, mark(key in after))

    def _cells(self, r: InboxRow) -> list[Text | str]:
        return [
            mark(r.id in self.selected),
            Text(r.state, style=STATE_STYLE.get(r.state, "")),
            Text(r.sent_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if r.sent_at else "—"),
            literal(r.sender or "(no sender)", 30),
            literal(r.subject or "(no subject)", 60),
        ]


class MailPane(DetailLog):
    """The mail it is given, as text, read from its top."""

    mail: reactive[MailText | None] = reactive(None, always_update=True, init=False)

    def watch_mail(self, mail: MailText | None) -> None:
        """Show `mail` (or say the inbox is empty)."""
        self.clear()
        if mail is None:
            self.write(Text(EMPTY, style="dim"))
            return
        self.write(capped(mail.text, f"the whole mail: backupchecks-tui export-eml {mail.id}"))
        self.scroll_home(animate=False)


class MailsLoaded(Loaded):
    """The inbox page read for `query`."""

    def __init__(self, query: InboxQuery, page: InboxPage) -> None:
        super().__init__()
        self.asked = query
        self.page = page


class MailLoaded(Loaded):
    """One mail's text, read for mail `mail_id`."""

    def __init__(self, mail: MailText) -> None:
        super().__init__()
        self.mail = mail


class InboxScreen(AreaScreen):
    """The unparsed inbox: list of mails | the mail as text."""

    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Inbox"
    FILTER = "inbox-filter"
    LIST = "mails"
    AUTO_FOCUS = "#mails"
    SHOWS = Changed.MAIL
    """New, re-parsed or ignored mail (a fetch signals everything)."""

    def __init__(self) -> None:
        super().__init__()
        self.view = InboxQuery()
        self.selected: frozenset[int] = frozenset()
        self.mail_id: int | None = None
        """The mail the reading pane shows (or is loading)."""

    def compose(self) -> ComposeResult:
        """Status bar, header, filter, list | mail, footer."""
        yield StatusBar()
        yield Static(id="inbox-header")
        yield Input(placeholder="filter: sender, subject, reason", id="inbox-filter")
        with Horizontal(id="inbox-panes"):
            yield MailsTable(zone=self.bc_app.session.zone, id="mails")
            yield MailPane(id="mail-text")
        yield KeyBar()

    def on_resize(self, event: Resize) -> None:
        """Stack the panes on narrow terminals."""
        self.set_class(event.size.width < NARROW, "narrow")

    def on_mount(self) -> None:
        """The first load; the base's on_mount subscribes to "data changed"."""
        self.query_one("#inbox-filter", Input).display = False
        self.reload()

    @property
    def table(self) -> MailsTable:
        """The list of mails."""
        return self.query_one(MailsTable)

    @property
    def pane(self) -> MailPane:
        """The reading pane."""
        return self.query_one(MailPane)

    # ------------------------------------------------------------- loading
    def refresh_data(self, what: Changed) -> None:  # noqa: ARG002 - the list shows it all
        """Mail changed: reload the list (the cursor on the same mail) and the mail."""
        self.reload(reread=True)

    def reload(self, *, reread: bool = False) -> None:
        """Load the list the state asks for; `reread` reads the current mail again too."""
        if reread:
            self.mail_id = None
        self.begin_loading(self.table)
        self.load_list(self.view)

    @work(thread=True, exclusive=True, group="inbox-mails", exit_on_error=False)
    def load_list(self, query: InboxQuery) -> None:
        """Read the page for `query` (in a thread)."""
        self.post_message(MailsLoaded(query, self.services.inbox(query.states, query.text)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed load leaves no loading indicator behind (the app shows the error)."""
        if event.state is not WorkerState.ERROR:
            return
        if event.worker.group == "inbox-mails":
            self.end_loading(self.table)
        elif event.worker.group == "inbox-mail":
            self.end_loading(self.pane)

    @on(MailsLoaded)
    def _list_loaded(self, message: MailsLoaded) -> None:
        if message.asked != self.view:
            return  # the filter moved on; a newer load is under way
        self.end_loading(self.table)
        ids = {r.id for r in message.page.rows}
        self.selected &= ids
        self.table.selected = self.selected
        self.table.page = message.page
        self._header(message.page)
        self.show_mail(self.table.current_key)

    def _header(self, page: InboxPage) -> None:
        parts = [f"{counted(page.total, 'mail')} · {STATE_FILTERS[self.view.state_filter][0]}"]
        if len(page.rows) < page.total:
            parts.append(f"newest {len(page.rows)} shown")
        if self.view.text:
            parts.append(f"filter: {self.view.text!r}")
        if self.selected:
            parts.append(f"{len(self.selected)} selected")
        self.query_one("#inbox-header", Static).update(Text("  ·  ".join(parts), style="bold"))

    def show_mail(self, mail_id: int | None) -> None:
        """Show mail `mail_id` in the reading pane (read in a thread), or the empty note."""
        if mail_id == self.mail_id and mail_id is not None:
            return
        self.mail_id = mail_id
        if mail_id is None:
            self.end_loading(self.pane)
            self.pane.mail = None
            return
        self.begin_loading(self.pane)
        self.load_mail(mail_id)

    @work(thread=True, exclusive=True, group="inbox-mail", exit_on_error=False)
    def load_mail(self, mail_id: int) -> None:
        """Read one mail's text (in a thread)."""
        self.post_message(MailLoaded(self.services.inbox_mail(mail_id)))

    @on(MailLoaded)
    def _mail_loaded(self, message: MailLoaded) -> None:
        if message.mail.id != self.mail_id:
            return  # the cursor moved on
        self.end_loading(self.pane)
        self.pane.mail = message.mail

    @on(DataTable.RowHighlighted, "#mails")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        self.show_mail(int(key) if key is not None else None)

    # ------------------------------------------------------------- keys
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Hide what the role does not allow."""
        actor = self.bc_app.session.actor
        if action in {"reparse", "reparse_all", "ignore"}:
            return actor.can(Action.REPARSE)
        if action == "assign":
            return actor.can(Action.MANAGE_CUSTOMERS)
        return True

    def _targets(self) -> list[int]:
        if self.selected:
            return sorted(self.selected)
        current = self.table.current_key
        return [current] if current is not None else []

    def _select(self, selected: frozenset[int]) -> None:
        self.selected = selected
        self.table.selected = selected
        if self.table.page is not None:
            self._header(self.table.page)

    async def _reparse(self, ids: list[int] | None) -> None:
        try:
            outcome = await self.io(self.services.reparse_mails, ids)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self._select(frozenset())
        self.bc_app.changed(Changed.MAIL | Changed.RUNS)
        self.notify(f"Re-parsed: {outcome.words}.")

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_reparse(self) -> None:
        """Re-parse the selection or the current mail."""
        targets = self._targets()
        if targets:
            await self._reparse(targets)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_reparse_all(self) -> None:
        """Re-parse every inbox mail."""
        await self._reparse(None)

    def action_toggle_select(self) -> None:
        """Select or unselect the current mail and move down."""
        key = self.table.current_key
        if key is None:
            return
        self._select(self.selected ^ {key})
        self.table.action_cursor_down()

    @work(exclusive=True, group="act", exit_on_error=False)
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
            count = await self.io(self.services.ignore_mails, targets, answer.value)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self._select(frozenset())
        self.bc_app.changed(Changed.MAIL)
        self.notify(f"Ignored {counted(count, 'mail')} (kept; re-parse brings them back).")

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_assign(self) -> None:
        """Map the current mail's sender domain to a customer."""
        current = self.table.current_key
        if current is None:
            return
        answer = await self.app.push_screen_wait(PromptDialog("Customer for this sender domain"))
        if not answer.value:
            return
        try:
            domain = await self.io(self.services.assign_sender, current, answer.value)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.bc_app.changed(Changed.JOBS)
        self.notify(f"Mail from {clean(domain)} now belongs to {clean(answer.value)}.")

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_export(self) -> None:
        """Write the current mail's original message to a file (asks where)."""
        current = self.table.current_key
        if current is None:
            return
        answer = await self.app.push_screen_wait(
            PromptDialog("Write the original message to", f"mail-{current}.eml")
        )
        if not answer.value:
            return
        try:
            size = await self.io(self.services.export_mail, current, answer.value.strip())
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        except OSError as error:
            self.notify(f"Could not write the file: {error.strerror}", severity="error")
            return
        self.notify(f"Wrote {counted(size, 'byte')} to {clean(answer.value.strip())}.")

    def apply_filter(self, text: str) -> None:
        """Filter the list by `text`."""
        self.view = InboxQuery(self.view.state_filter, text)
        self.reload()

    def action_filter_state(self) -> None:
        """Cycle the state filter."""
        self.view = InboxQuery((self.view.state_filter + 1) % len(STATE_FILTERS), self.view.text)
        self.reload()
