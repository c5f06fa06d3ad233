"""Remarks (4): light notes on a customer, job or object — list | the remark in full."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import DataTable, Footer, Input, RichLog, Static

from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.roles import Action
from backupchecks_tui.services import remarks
from backupchecks_tui.services.tickets import StateFilter
from screens.base import AreaScreen
from screens.commands import Command, bindings
from screens.dialogs import PromptDialog
from screens.follow_up import FILTERS, NARROW, detail_css, find_scope, stamp, write_sections
from screens.style import literal
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable

COMMANDS = [
    Command("new", "n", "New", "Add a remark (text, then a job or customer)."),
    Command("resolve", "x", "Resolve", "Resolve the remark (it stops covering its jobs)."),
    Command("reopen", "o", "Reopen", "Make a resolved remark active again."),
    Command("cycle_filter", "F", "State", "Cycle: active, resolved, all."),
    Command("filter_text", "slash", "Search", "Search the remark text.", key_display="/"),
]


class RemarksScreen(AreaScreen):
    """Remarks: filterable list | the current remark with scopes, runs and timeline."""

    DEFAULT_CSS = detail_css("RemarksScreen", "remarks")
    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Remarks"
    FILTER = "remarks-filter"
    LIST = "remarks-list"
    AUTO_FOCUS = "#remarks-list"

    def __init__(self) -> None:
        super().__init__()
        self.which: StateFilter = "active"
        self.text = ""
        self.rows: dict[int, remarks.RemarkRow] = {}

    def compose(self) -> ComposeResult:
        """Status bar, header, search box, list | detail, footer."""
        yield StatusBar()
        yield Static(id="remarks-header")
        yield Input(placeholder="search the remark text", id="remarks-filter")
        with Horizontal(id="remarks-panes"):
            yield KeyedTable(id="remarks-list")
            yield RichLog(id="remarks-detail", wrap=True, markup=False, highlight=False)
        yield Footer()

    def on_resize(self, event: Resize) -> None:
        """Stack the panes on narrow terminals."""
        self.set_class(event.size.width < NARROW, "narrow")

    def on_mount(self) -> None:
        """Columns, then the first load."""
        self.query_one(KeyedTable).add_columns("#", "State", "Remark", "Scopes", "By", "Created")
        self.query_one("#remarks-filter", Input).display = False
        self.reload()

    def on_screen_resume(self) -> None:
        """Reload when the mode is entered again."""
        self.reload()

    def reload(self) -> None:
        """Load the list, keeping the cursor, and show the current remark."""
        found = remarks.list_remarks(self.bc_app.workspace.engine, self.which, text=self.text)
        self.rows = {r.id: r for r in found}
        zone = self.bc_app.zone
        table = self.query_one(KeyedTable)
        table.fill(
            [
                (
                    r.id,
                    [
                        Text(str(r.id)),
                        Text(r.state, style="green" if r.active else "dim"),
                        literal(r.summary, 50),
                        literal(r.scope_summary, 30),
                        literal(r.created_by, 12),
                        Text(stamp(r.created_at, zone)[:10]),
                    ],
                )
                for r in found
            ],
            keep=table.current_key,
        )
        parts = [f"{len(found)} remarks · {self.which}"]
        if self.text:
            parts.append(f"search: {self.text!r}")
        self.query_one("#remarks-header", Static).update(Text("  ·  ".join(parts), style="bold"))
        self._show(table.current_key)

    def _show(self, remark_id: int | None) -> None:
        log = self.query_one("#remarks-detail", RichLog)
        log.clear()
        self.refresh_bindings()
        if remark_id is None:
            log.write(Text("No remarks here. n adds one; F shows resolved ones.", style="dim"))
            return
        zone = self.bc_app.zone
        detail = remarks.remark_detail(self.bc_app.workspace.engine, remark_id)
        r = detail.remark
        log.write(Text(f"Remark {r.id} · {r.state}", style="bold"))
        log.write(
            Text("     Created: ", style="dim")
            + literal(f"{stamp(r.created_at, zone)} by {r.created_by}")
        )
        if r.resolved_at:
            log.write(
                Text("    Resolved: ", style="dim")
                + literal(f"{stamp(r.resolved_at, zone)} by {r.resolved_by}")
            )
        log.write(Text(""))
        log.write(Text(r.body))
        write_sections(log, zone, detail.scopes, detail.runs, detail.timeline)
        log.scroll_home(animate=False)

    @on(DataTable.RowHighlighted, "#remarks-list")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        self._show(int(key) if key is not None else None)

    def _current(self) -> remarks.RemarkRow | None:
        key = self.query_one(KeyedTable).current_key
        return self.rows.get(key) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Hide what the role or the current remark's state does not allow."""
        writer = self.bc_app.workspace.actor.can(Action.REMARK_WRITE)
        if action in {"new", "resolve", "reopen"} and not writer:
            return False
        if action in {"resolve", "reopen"}:
            row = self._current()
            return row is not None and row.active == (action == "resolve")
        return True

    def _apply(self, message: str, change: Callable[[], object]) -> None:
        """Run the service call `change`, then reload and say so, or show its error."""
        try:
            change()
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.reload()
        self.notify(message)

    @work
    async def action_new(self) -> None:
        """The text (`\\n` starts a new line), then a job or customer name."""
        ws = self.bc_app.workspace
        body = await self.app.push_screen_wait(
            PromptDialog(
                "New remark (type \\n for a new line)", placeholder="e.g. planned maintenance"
            )
        )
        if not body.value or not body.value.strip():
            return
        where = await self.app.push_screen_wait(
            PromptDialog("Covers which job or customer?", placeholder="job or customer name")
        )
        if not where.value:
            return
        scope = find_scope(ws.engine, where.value)
        if scope is None:
            self.notify(f"No single job or customer named {where.value!r}.", severity="error")
            return
        text = body.value.replace("\\n", "\n")
        self._apply("Remark added.", lambda: remarks.add_remark(ws.engine, ws.actor, text, [scope]))

    def action_resolve(self) -> None:
        """Resolve the current remark."""
        if row := self._current():
            ws = self.bc_app.workspace
            self._apply(
                f"Remark {row.id} resolved.",
                lambda: remarks.resolve_remark(ws.engine, ws.actor, row.id),
            )

    def action_reopen(self) -> None:
        """Reopen the current remark."""
        if row := self._current():
            ws = self.bc_app.workspace
            self._apply(
                f"Remark {row.id} reopened.",
                lambda: remarks.reopen_remark(ws.engine, ws.actor, row.id),
            )

    def action_cycle_filter(self) -> None:
        """Active → resolved → all."""
        self.which = FILTERS[(FILTERS.index(self.which) + 1) % len(FILTERS)]
        self.reload()

    def apply_filter(self, text: str) -> None:
        """Filter the list by `text`."""
        self.text = text
        self.reload()
