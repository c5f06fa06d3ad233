"""Overrides (5): every override with scope, match, validity, author, reason, hits."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import ClassVar, Literal

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Static

from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.roles import Action
from backupchecks_tui.services import checks, overrides
from screens.base import AreaScreen
from screens.commands import Command, bindings
from screens.dialogs import ConfirmDialog
from screens.override_dialog import OverrideDialog
from screens.style import literal
from screens.widgets.key_bar import KeyBar
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable
from screens.widgets.words import counted

Which = Literal["active", "expired", "all"]
FILTERS: list[Which] = ["active", "expired", "all"]
STATE_STYLE = {"active": "green", "pending": "cyan", "expired": "dim", "disabled": "dim italic"}

COMMANDS = [
    Command("edit", "e", "Edit", "Edit the override (scope, match, duration, reason)."),
    Command("toggle_active", "d", "Disable/enable", "Disable or re-enable the override."),
    Command("delete", "x", "Delete", "Admin: delete the override (runs keep their status)."),
    Command("cycle_filter", "F", "Filter", "Cycle: active, expired, all."),
]


def _when(moment: datetime | None, zone: tzinfo, empty: str = "—") -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d") if moment else empty


class OverridesScreen(AreaScreen):
    """The list of overrides; expired and disabled ones stay visible."""

    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Overrides"
    AUTO_FOCUS = "#overrides"

    def __init__(self) -> None:
        super().__init__()
        self.which: Which = "active"
        self.rows: dict[int, overrides.OverrideRow] = {}

    def compose(self) -> ComposeResult:
        """Status bar, header, table, footer."""
        yield StatusBar()
        yield Static(id="overrides-header")
        yield KeyedTable(id="overrides")
        yield KeyBar()

    def on_mount(self) -> None:
        """Columns and the first load."""
        self.query_one(KeyedTable).add_columns(
            "#", "State", "Scope", "Match", "Until", "By", "Reason", "Source", "Hits", "Last hit"
        )
        self.reload()

    def on_screen_resume(self) -> None:
        """Reload when the mode is entered again."""
        self.reload()

    def reload(self) -> None:
        """Load the list."""
        zone = self.bc_app.zone
        found = overrides.list_overrides(self.bc_app.workspace.engine, self.which)
        self.rows = {r.id: r for r in found}
        table = self.query_one(KeyedTable)
        table.fill(
            [
                (
                    r.id,
                    [
                        Text(f"#{r.id}"),
                        Text(r.state, style=STATE_STYLE.get(r.state, "")),
                        literal(r.scope_text, 30),
                        literal(r.match, 50),
                        Text(_when(r.valid_until, zone, "permanent")),
                        literal(r.created_by, 12),
                        literal(r.reason, 40),
                        Text(f"run {r.source_run_id}" if r.source_run_id else "—"),
                        Text(str(r.hit_count), justify="right"),
                        Text(_when(r.last_hit_at, zone)),
                    ],
                )
                for r in found
            ],
            keep=table.current_key,
        )
        self.query_one("#overrides-header", Static).update(
            Text(f"{len(found)} overrides · {self.which}  (F changes the filter)", style="bold")
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Hide what the role does not allow."""
        actor = self.bc_app.workspace.actor
        allowed = {
            "edit": Action.OVERRIDE_EDIT,
            "toggle_active": Action.OVERRIDE_EDIT,
            "delete": Action.OVERRIDE_DELETE,
        }
        needed = allowed.get(action)
        return actor.can(needed) if needed is not None else True

    def _current(self) -> overrides.OverrideRow | None:
        key = self.query_one(KeyedTable).current_key
        return self.rows.get(key) if key is not None else None

    def action_cycle_filter(self) -> None:
        """Active → expired → all."""
        self.which = FILTERS[(FILTERS.index(self.which) + 1) % len(FILTERS)]
        self.reload()

    def action_toggle_active(self) -> None:
        """Disable an active override, or enable a disabled one."""
        row = self._current()
        if row is None:
            return
        ws = self.bc_app.workspace
        change = (
            overrides.enable_override if row.state == "disabled" else overrides.disable_override
        )
        try:
            change(ws.engine, ws.actor, row.id)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.reload()

    @work
    async def action_delete(self) -> None:
        """Admin: delete after a confirmation."""
        row = self._current()
        if row is None:
            return
        if not await self.app.push_screen_wait(ConfirmDialog(f"Delete override #{row.id}?")):
            return
        ws = self.bc_app.workspace
        try:
            detached = overrides.delete_override(ws.engine, ws.actor, row.id)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.reload()
        self.notify(
            f"Override #{row.id} deleted; {counted(detached, 'run')} kept the status it gave."
        )

    @work
    async def action_edit(self) -> None:
        """Open the override dialog on this override."""
        row = self._current()
        if row is None or row.source_run_id is None:
            self.notify("Only overrides made from a run can be edited here.", severity="warning")
            return
        ws = self.bc_app.workspace
        rule = overrides.get_override(ws.engine, row.id)
        detail = checks.run_detail(ws.engine, row.source_run_id)
        choice = await self.app.push_screen_wait(
            OverrideDialog(ws.engine, detail, self.bc_app.zone, initial=rule)
        )
        if choice is None or choice.spec is None:
            return
        try:
            overrides.edit_override(ws.engine, ws.actor, row.id, choice.spec)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.reload()
        self.notify(f"Override #{row.id} saved.")
