"""Remarks (4): light notes on a customer, job or object — list | the remark in full."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any, ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Input, Static

from backupchecks_tui.domain import Changed, ItemKind
from backupchecks_tui.roles import Action
from backupchecks_tui.views.items import (
    LinkedRun,
    RemarkDetail,
    RemarkRow,
    ScopeSpec,
    ScopeView,
    TimelineEntry,
)
from screens.commands import Command, bindings
from screens.follow_up import (
    ADD_SCOPE,
    FILTER_COMMANDS,
    DetailPane,
    Filters,
    FollowUpListScreen,
    detail_css,
    stamp,
)
from screens.forms import FollowUpForm
from screens.style import literal
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


class RemarkPane(DetailPane[RemarkDetail]):
    """One remark in full: its text, scopes, linked runs, timeline."""

    EMPTY = "No remarks here. n adds one; F shows resolved ones."

    def render_detail(self, detail: RemarkDetail) -> list[RenderableType]:
        """The remark's own fields and its text."""
        zone = self.zone
        r = detail.remark
        parts: list[RenderableType] = [
            Text(f"Remark {r.id} · {r.state}", style="bold"),
            Text("     Created: ", style="dim")
            + literal(f"{stamp(r.created_at, zone)} by {r.created_by}"),
        ]
        if r.resolved_at:
            parts.append(
                Text("    Resolved: ", style="dim")
                + literal(f"{stamp(r.resolved_at, zone)} by {r.resolved_by}")
            )
        parts += [Text(""), Text(r.body)]
        return parts

    def sections(
        self, detail: RemarkDetail
    ) -> tuple[Sequence[ScopeView], Sequence[LinkedRun], Sequence[TimelineEntry]]:
        """Scopes, runs, timeline."""
        return detail.scopes, detail.runs, detail.timeline


class RemarkTable(KeyedTable):
    """The remarks list: it shows the `listing` it is given, keeping the cursor on the
    same remark."""

    COLUMNS = ("#", "State", "Remark", "Scopes", "By", "Created")
    listing: reactive[tuple[RemarkRow, ...]] = reactive((), always_update=True, init=False)

    def __init__(self, zone: tzinfo, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.zone = zone

    def on_mount(self) -> None:
        """The columns."""
        self.add_columns(*self.COLUMNS)

    def watch_listing(self, listing: tuple[RemarkRow, ...]) -> None:
        """Fill the rows anew."""
        self.fill(
            [
                (
                    r.id,
                    [
                        Text(str(r.id)),
                        Text(r.state, style="green" if r.active else "dim"),
                        literal(r.summary, 50),
                        literal(r.scope_summary, 30),
                        literal(r.created_by, 12),
                        Text(stamp(r.created_at, self.zone)[:10]),
                    ],
                )
                for r in listing
            ],
            keep=self.current_key,
        )


class RemarksScreen(FollowUpListScreen[RemarkRow, RemarkDetail]):
    """Remarks: filterable list | the current remark with scopes, runs and timeline."""

    DEFAULT_CSS = detail_css("RemarksScreen", "remarks")
    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Remarks"
    FILTER = "remarks-filter"
    LIST = "remarks-list"
    AUTO_FOCUS = "#remarks-list"
    NOUN = "remarks"
    KIND = ItemKind.REMARK
    SHOWS = Changed.REMARKS | Changed.RUNS | Changed.JOBS
    WRITES = Changed.REMARKS | Changed.RUNS

    def compose(self) -> ComposeResult:
        """Status bar, header, search box, list | detail, footer."""
        yield StatusBar()
        yield Static(id="remarks-header")
        yield Input(placeholder="search the remark text", id="remarks-filter")
        with Horizontal(id="remarks-panes"):
            yield RemarkTable(self.bc_app.zone, id="remarks-list")
            yield RemarkPane(self.bc_app.zone, id="remarks-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        """Columns, then the first load."""
        self.query_one("#remarks-filter", Input).display = False
        self.load_list()

    def fetch_rows(self, filters: Filters) -> tuple[Sequence[RemarkRow], Any]:
        """The remarks."""
        found = self.services.remarks(
            filters.which, filters.customer_id, filters.product or None, filters.text
        )
        return found, None

    def fetch_detail(self, item_id: int) -> RemarkDetail:
        """One remark in full."""
        return self.services.remark_detail(item_id)

    def fill_rows(self, rows: Sequence[RemarkRow], extra: Any) -> None:  # noqa: ARG002
        """Bind the loaded list down to the table."""
        self.query_one(RemarkTable).listing = tuple(rows)

    def _current(self) -> RemarkRow | None:
        key = self.table.current_key
        return self.rows.get(key) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Hide what the role or the current remark's state does not allow."""
        writer = self.bc_app.session.actor.can(Action.REMARK_WRITE)
        if action in {"new", "edit", "resolve", "reopen", "add_scope"} and not writer:
            return False
        if action in {"edit", "add_scope"}:
            return self._current() is not None
        if action in {"resolve", "reopen"}:
            row = self._current()
            return row is not None and row.active == (action == "resolve")
        return True

    def add_scope_call(self, item_id: int, spec: ScopeSpec) -> object:
        """Add `spec` to remark `item_id` (in a thread)."""
        return self.services.add_remark_scope(item_id, spec)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_edit(self) -> None:
        """Change the text (the previous text stays in the timeline)."""
        row = self._current()
        if row is None:
            return
        form = await self.app.push_screen_wait(
            FollowUpForm(
                ItemKind.REMARK,
                f"Edit remark {row.id}",
                text=row.body,
                fixed_scope=row.scope_summary,
            )
        )
        if form is None:
            return
        await self.apply(f"Remark {row.id} saved.", self.services.edit_remark, row.id, form.text)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_resolve(self) -> None:
        """Resolve the current remark."""
        if row := self._current():
            await self.apply(f"Remark {row.id} resolved.", self.services.resolve_remark, row.id)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_reopen(self) -> None:
        """Reopen the current remark."""
        if row := self._current():
            await self.apply(f"Remark {row.id} reopened.", self.services.reopen_remark, row.id)
