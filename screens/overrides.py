"""Overrides (5): every override with scope, match, validity, author, reason, hits.

The screen holds the filter (active, expired, all) and loads the list in a thread worker
(`load_list`); the table renders the rows it is given and keeps its cursor on the same
override across reloads. Edit, disable/enable and delete run in "act" workers and signal
`Changed.OVERRIDES | Changed.RUNS`, which reloads the list.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.reactive import reactive
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from backupchecks_tui.domain import Changed
from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.roles import Action
from backupchecks_tui.views.admin import OverrideFilter, OverrideRow
from screens.base import AreaScreen, Loaded
from screens.commands import Command, bindings
from screens.dialogs import ConfirmDialog
from screens.override_dialog import OverrideDialog
from screens.style import literal
from screens.widgets.key_bar import KeyBar
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable
from screens.widgets.words import counted

FILTERS: list[OverrideFilter] = ["active", "expired", "all"]
STATE_STYLE = {"active": "green", "pending": "cyan", "expired": "dim", "disabled": "dim italic"}

COMMANDS = [
    Command("edit", "e", "Edit", "Edit the override (scope, match, duration, reason)."),
    Command("toggle_active", "d", "Disable/enable", "Disable or re-enable the override."),
    Command("delete", "x", "Delete", "Admin: delete the override (runs keep their status)."),
    Command("cycle_filter", "F", "Filter", "Cycle: active, expired, all."),
]


def _when(moment: datetime | None, zone: tzinfo, empty: str = "—") -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d") if moment else empty


class OverridesTable(KeyedTable):
    """The overrides it is given, one per row, the cursor kept on the same override."""

    overrides: reactive[tuple[OverrideRow, ...]] = reactive((), always_update=True, init=False)

    def __init__(self, *, zone: tzinfo, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.zone = zone

    def on_mount(self) -> None:
        """The columns."""
        self.add_columns(
            "#", "State", "Scope", "Match", "Until", "By", "Reason", "Source", "Hits", "Last hit"
        )

    def watch_overrides(self, rows: tuple[OverrideRow, ...]) -> None:
        """Show `rows`."""
        self.fill([(r.id, self._cells(r)) for r in rows], keep=self.current_key)

    def _cells(self, r: OverrideRow) -> list[Text | str]:
        return [
            Text(f"#{r.id}"),
            Text(r.state, style=STATE_STYLE.get(r.state, "")),
            literal(r.scope_text, 30),
            literal(r.match, 50),
            Text(_when(r.valid_until, self.zone, "permanent")),
            literal(r.created_by, 12),
            literal(r.reason, 40),
            Text(f"run {r.source_run_id}" if r.source_run_id else "—"),
            Text(str(r.hit_count), justify="right"),
            Text(_when(r.last_hit_at, self.zone)),
        ]

    @property
    def current(self) -> OverrideRow | None:
        """The override under the cursor."""
        key = self.current_key
        return next((r for r in self.overrides if r.id == key), None) if key is not None else None


class OverridesLoaded(Loaded):
    """The overrides read for filter `which`."""

    def __init__(self, which: OverrideFilter, rows: list[OverrideRow]) -> None:
        super().__init__()
        self.which = which
        self.rows = rows


class OverridesScreen(AreaScreen):
    """The list of overrides; expired and disabled ones stay visible."""

    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Overrides"
    AUTO_FOCUS = "#overrides"
    SHOWS = Changed.OVERRIDES | Changed.RUNS
    """Runs: ingest and retroactive applies count hits."""

    def __init__(self) -> None:
        super().__init__()
        self.which: OverrideFilter = "active"

    def compose(self) -> ComposeResult:
        """Status bar, header, table, footer."""
        yield StatusBar()
        yield Static(id="overrides-header")
        yield OverridesTable(zone=self.bc_app.session.zone, id="overrides")
        yield KeyBar()

    def on_mount(self) -> None:
        """The first load; the base's on_mount subscribes to "data changed"."""
        self.reload()

    @property
    def table(self) -> OverridesTable:
        """The list."""
        return self.query_one(OverridesTable)

    # ------------------------------------------------------------- loading
    def refresh_data(self, what: Changed) -> None:  # noqa: ARG002 - one list shows it all
        """Overrides or their hits changed: reload, the cursor on the same override."""
        self.reload()

    def reload(self) -> None:
        """Load the list the filter asks for."""
        self.begin_loading(self.table)
        self.load_list(self.which)

    @work(thread=True, exclusive=True, group="overrides", exit_on_error=False)
    def load_list(self, which: OverrideFilter) -> None:
        """Read the overrides of `which` (in a thread)."""
        self.post_message(OverridesLoaded(which, self.services.list_overrides(which)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed load leaves no loading indicator behind (the app shows the error)."""
        if event.state is WorkerState.ERROR and event.worker.group == "overrides":
            self.end_loading(self.table)

    @on(OverridesLoaded)
    def _loaded(self, message: OverridesLoaded) -> None:
        if message.which != self.which:
            return  # the filter moved on; a newer load is under way
        self.end_loading(self.table)
        self.table.overrides = tuple(message.rows)
        self.query_one("#overrides-header", Static).update(
            Text(
                f"{len(message.rows)} overrides · {self.which}  (F changes the filter)",
                style="bold",
            )
        )

    # ------------------------------------------------------------- keys
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Hide what the role does not allow."""
        allowed = {
            "edit": Action.OVERRIDE_EDIT,
            "toggle_active": Action.OVERRIDE_EDIT,
            "delete": Action.OVERRIDE_DELETE,
        }
        needed = allowed.get(action)
        return self.bc_app.session.actor.can(needed) if needed is not None else True

    def action_cycle_filter(self) -> None:
        """Active → expired → all."""
        self.which = FILTERS[(FILTERS.index(self.which) + 1) % len(FILTERS)]
        self.reload()

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_toggle_active(self) -> None:
        """Disable an active override, or enable a disabled one."""
        row = self.table.current
        if row is None:
            return
        try:
            await self.io(self.services.set_override_active, row.id, row.disabled)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.bc_app.changed(Changed.OVERRIDES | Changed.RUNS)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_delete(self) -> None:
        """Admin: delete after a confirmation."""
        row = self.table.current
        if row is None:
            return
        if not await self.app.push_screen_wait(ConfirmDialog(f"Delete override #{row.id}?")):
            return
        try:
            detached = await self.io(self.services.delete_override, row.id)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.bc_app.changed(Changed.OVERRIDES | Changed.RUNS)
        self.notify(
            f"Override #{row.id} deleted; {counted(detached, 'run')} kept the status it gave."
        )

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_edit(self) -> None:
        """Open the override dialog on this override (previewed on its source run)."""
        row = self.table.current
        if row is None or row.source_run_id is None:
            self.notify("Only overrides made from a run can be edited here.", severity="warning")
            return
        try:
            draft = await self.io(self.services.override_draft, row.id)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        choice = await self.app.push_screen_wait(
            OverrideDialog(draft, self.services.override_edit_preview, self.bc_app.session.zone)
        )
        if choice is None or choice.spec is None:
            return
        try:
            await self.io(self.services.edit_override, row.id, choice.spec)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.bc_app.changed(Changed.OVERRIDES | Changed.RUNS)
        self.notify(f"Override #{row.id} saved.")
