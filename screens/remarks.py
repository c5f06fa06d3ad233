"""Remarks (4): light notes on a customer, job or object — list | the remark in full."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, RichLog, Static

from backupchecks_tui.roles import Action
from backupchecks_tui.services import remarks
from backupchecks_tui.views.items import ScopeSpec
from screens.commands import Command, bindings
from screens.follow_up import (
    ADD_SCOPE,
    FILTER_COMMANDS,
    FollowUpListScreen,
    detail_css,
    stamp,
    write_sections,
)
from screens.forms import FollowUpForm
from screens.style import literal
from screens.widgets.detail_log import DetailLog
from screens.widgets.key_bar import KeyBar
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable

COMMANDS = [
    Command("new", "n", "New", "Add a remark: pick a customer or job, then write it."),
    Command("edit", "E", "Edit", "Change the remark's text."),
    ADD_SCOPE,
    Command("resolve", "x", "Resolve", "Resolve the remark (it stops covering its jobs)."),
    Command("reopen", "o", "Reopen", "Make a resolved remark active again."),
    *FILTER_COMMANDS,
    Command("filter_text", "slash", "Search", "Search the remark text.", key_display="/"),
]


class RemarksScreen(FollowUpListScreen):
    """Remarks: filterable list | the current remark with scopes, runs and timeline."""

    DEFAULT_CSS = detail_css("RemarksScreen", "remarks")
    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Remarks"
    FILTER = "remarks-filter"
    LIST = "remarks-list"
    AUTO_FOCUS = "#remarks-list"
    NOUN = "remarks"
    KIND = "remark"

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, remarks.RemarkRow] = {}

    def compose(self) -> ComposeResult:
        """Status bar, header, search box, list | detail, footer."""
        yield StatusBar()
        yield Static(id="remarks-header")
        yield Input(placeholder="search the remark text", id="remarks-filter")
        with Horizontal(id="remarks-panes"):
            yield KeyedTable(id="remarks-list")
            yield DetailLog(id="remarks-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        """Columns, then the first load."""
        self.query_one(KeyedTable).add_columns("#", "State", "Remark", "Scopes", "By", "Created")
        self.query_one("#remarks-filter", Input).display = False
        self.reload()

    def reload(self) -> None:
        """Load the list, keeping the cursor, and show the current remark."""
        found = remarks.list_remarks(
            self.bc_app.workspace.engine,
            self.which,
            self.customer_id,
            self.product or None,
            self.text,
        )
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
        self.query_one("#remarks-header", Static).update(self.header(len(found)))
        self.show_detail(table.current_key)

    def show_detail(self, remark_id: int | None) -> None:
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
        self.show_detail(int(key) if key is not None else None)

    def _current(self) -> remarks.RemarkRow | None:
        key = self.query_one(KeyedTable).current_key
        return self.rows.get(key) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Hide what the role or the current remark's state does not allow."""
        writer = self.bc_app.workspace.actor.can(Action.REMARK_WRITE)
        if action in {"new", "edit", "resolve", "reopen", "add_scope"} and not writer:
            return False
        if action in {"edit", "add_scope"}:
            return self._current() is not None
        if action in {"resolve", "reopen"}:
            row = self._current()
            return row is not None and row.active == (action == "resolve")
        return True

    def add_scope_call(self, item_id: int, spec: ScopeSpec) -> object:
        """Add `spec` to remark `item_id`."""
        ws = self.bc_app.workspace
        return remarks.add_scope(ws.engine, ws.actor, item_id, spec)

    @work
    async def action_edit(self) -> None:
        """Change the text (the previous text stays in the timeline)."""
        row = self._current()
        if row is None:
            return
        form = await self.app.push_screen_wait(
            FollowUpForm(
                "remark", f"Edit remark {row.id}", text=row.body, fixed_scope=row.scope_summary
            )
        )
        if form is None:
            return
        ws = self.bc_app.workspace
        self.apply(
            f"Remark {row.id} saved.",
            lambda: remarks.edit_remark(ws.engine, ws.actor, row.id, form.text),
        )

    def action_resolve(self) -> None:
        """Resolve the current remark."""
        if row := self._current():
            ws = self.bc_app.workspace
            self.apply(
                f"Remark {row.id} resolved.",
                lambda: remarks.resolve_remark(ws.engine, ws.actor, row.id),
            )

    def action_reopen(self) -> None:
        """Reopen the current remark."""
        if row := self._current():
            ws = self.bc_app.workspace
            self.apply(
                f"Remark {row.id} reopened.",
                lambda: remarks.reopen_remark(ws.engine, ws.actor, row.id),
            )
