"""Daily Jobs (2): one row per job for a chosen day, with the day's status and markers.

The screen holds the state (day, roll-up, status filter, text) and loads the day's grid
in a thread worker (`load_grid`); the grid and the header are widgets that render the
`DayGrid` they are given. A change of runs, jobs or follow-up items reloads the grid with
the cursor on the same job.
"""

from __future__ import annotations

from datetime import date, timedelta, tzinfo
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.events import Resize
from textual.reactive import reactive
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker, WorkerState

from backupchecks_tui.domain import Changed, RunStatus
from backupchecks_tui.views.daily import (
    DAY_STATUSES,
    ROLL_UPS,
    DayGrid,
    DayRow,
    DayStatus,
    GridQuery,
    NoRun,
    RollUp,
)
from screens.base import AreaScreen, Loaded
from screens.commands import Command, bindings
from screens.dialogs import PromptDialog
from screens.job_history import JobHistoryScreen
from screens.style import literal, markers_text, status_text
from screens.widgets.key_bar import KeyBar
from screens.widgets.queue_cells import name_widths
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable
from screens.widgets.words import counted

COMMANDS = [
    Command(
        "previous_day", "left_square_bracket", "Prev day", "Go to the day before.", key_display="["
    ),
    Command(
        "next_day", "right_square_bracket", "Next day", "Go to the day after.", key_display="]"
    ),
    Command("today", "full_stop", "Today", "Go back to today.", key_display="."),
    Command("go_to_date", "g", "Go to", "Go to a date (YYYY-MM-DD).", priority=True),
    Command("filter_text", "slash", "Filter", "Filter jobs by text.", key_display="/"),
    Command("filter_status", "F", "Status", "Cycle the status filter."),
    Command("cycle_roll_up", "u", "Roll-up", "Days with several runs: worst, last, mixed."),
    Command("open_history", "enter", "History", "Open the job's run history."),
]

STATUS_FILTERS: list[tuple[str, frozenset[DayStatus]]] = [
    ("all", frozenset()),
    ("problems", frozenset({RunStatus.WARNING, RunStatus.FAILED, RunStatus.MISSED})),
    ("missed", frozenset({RunStatus.MISSED})),
    ("failed", frozenset({RunStatus.FAILED})),
    ("expected", frozenset({NoRun.EXPECTED})),
    ("not scheduled", frozenset({NoRun.NOT_SCHEDULED})),
]
ROLL_UP_LABEL: dict[RollUp, str] = {
    "worst": "worst run",
    "last": "last run",
    "warning_if_mixed": "warning if mixed",
}
EXTRA_STATUS = {
    NoRun.EXPECTED: ("◷", "~", "Expected", "cyan"),
    NoRun.NOT_SCHEDULED: ("–", "-", "Not scheduled", "dim"),
}


def day_status_text(status: DayStatus, *, ascii_only: bool, overridden: bool = False) -> Text:
    """A day status (run statuses plus expected / not scheduled) as coloured text."""
    if isinstance(status, RunStatus):
        return status_text(status, ascii_only=ascii_only, overridden=overridden)
    icon, ascii_icon, label, style = EXTRA_STATUS.get(status, ("", "", status.value, "dim"))
    return Text(f"{ascii_icon if ascii_only else icon} {label}", style=style)


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD date, or None when `text` is not one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


DAILY_FIXED_COLUMNS = 89
"""Cells of a Daily Jobs row besides customer and job, with padding and the scrollbar."""


class DailyTable(KeyedTable):
    """The grid: one row per job of the `grid` it is given, cursor kept on the same job."""

    grid: reactive[DayGrid | None] = reactive(None, always_update=True, init=False)
    widths: reactive[tuple[int, int]] = reactive((20, 26), init=False)
    """Customer and job column widths, from the terminal's width."""

    def __init__(self, *, zone: tzinfo, ascii_only: bool, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.zone = zone
        self.ascii_only = ascii_only

    def on_mount(self) -> None:
        """The columns."""
        self.add_columns(
            "  ", "Status", "Customer", "Job", "Expected", "Runs", "Product", "Schedule"
        )

    def watch_grid(self) -> None:
        """New rows: fill, the cursor on the job it was on."""
        self._show(refit=False)

    def watch_widths(self) -> None:
        """Names cut to new widths: the columns may shrink too."""
        self._show(refit=True)

    def _show(self, *, refit: bool) -> None:
        grid = self.grid
        if grid is None:
            return
        self.fill(
            [(r.job_id, self._cells(r)) for r in grid.rows], keep=self.current_key, refit=refit
        )

    def _cells(self, row: DayRow) -> list[Text | str]:
        """The table cells of one job."""
        ascii_only = self.ascii_only
        schedule = literal(row.schedule or "—", 28)
        if row.schedule_manual:
            schedule.append(" ✎" if not ascii_only else " *", style="cyan")
        if row.paused:
            schedule.append(" paused", style="bold yellow")
        expected = (
            row.expected_at.astimezone(self.zone).strftime("%H:%M") if row.expected_at else "—"
        )
        return [
            markers_text((row.ticket, row.remark), ascii_only=ascii_only),  # first: always seen
            day_status_text(row.status, ascii_only=ascii_only, overridden=row.overridden),
            literal(row.customer or "—", self.widths[0]),
            literal(row.job_name, self.widths[1]),
            # when and how often before what and which schedule: at 80 columns the last
            # columns are the ones cut
            Text(expected),
            Text(str(row.runs) if row.runs else "", justify="right"),
            literal(row.product, 14),
            schedule,
        ]


class DailyHeader(Static):
    """The day, the counts per status, roll-up and filters of the `grid` it is given."""

    grid: reactive[DayGrid | None] = reactive(None, always_update=True, init=False)

    def __init__(self, *, today: date, ascii_only: bool, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.today = today
        self.ascii_only = ascii_only

    def watch_grid(self, grid: DayGrid | None) -> None:
        """Show the header of `grid`."""
        if grid is not None:
            self.update(self._text(grid))

    def _text(self, grid: DayGrid) -> Text:
        query = grid.query
        text = Text()
        text.append(f"{query.day:%A %Y-%m-%d}", style="bold")
        if query.day == self.today:
            text.append(" (today)", style="bold cyan")
        text.append(f" · {counted(grid.total, 'job')}  ")
        for status in DAY_STATUSES:
            if grid.counts.get(status):
                text.append_text(day_status_text(status, ascii_only=self.ascii_only))
                text.append(f" {grid.counts[status]}  ")
        text.append(f"\nroll-up: {ROLL_UP_LABEL[query.roll_up]} (u)", style="dim")
        name = next((n for n, s in STATUS_FILTERS if s == query.statuses), "all")
        text.append(f" · status: {name} (F)", style="dim")
        if query.text:
            text.append(" · filter: ", style="dim")
            text.append(repr(query.text))
        if len(grid.rows) != grid.total:
            text.append(f" · showing {len(grid.rows)}", style="dim")
        return text


class GridLoaded(Loaded):
    """The grid of a day, read for `grid.query`."""

    def __init__(self, grid: DayGrid) -> None:
        super().__init__()
        self.grid = grid


class DailyJobsScreen(AreaScreen):
    """Every active job on one day: expected or not, how it went, with markers."""

    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Daily Jobs"
    FILTER = "daily-filter"
    LIST = "daily"
    AUTO_FOCUS = "#daily"
    SHOWS = Changed.RUNS | Changed.JOBS | Changed.TICKETS | Changed.REMARKS | Changed.OVERRIDES
    DEFAULT_CSS = """
    DailyJobsScreen #daily-header {
        height: auto;
        padding: 0 1;
    }
    DailyJobsScreen #daily-filter {
        height: 3;
    }
    DailyJobsScreen #daily {
        height: 1fr;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.day: date | None = None
        self.roll_up: RollUp = "worst"
        self.status_filter = 0
        self.text = ""

    def compose(self) -> ComposeResult:
        """Status bar, header, filter input, the grid, footer."""
        session = self.bc_app.session
        yield StatusBar()
        yield DailyHeader(
            today=self.bc_app.today(), ascii_only=session.ascii_only, id="daily-header"
        )
        yield Input(placeholder="filter jobs: customer, job, product, sender", id="daily-filter")
        yield DailyTable(zone=session.zone, ascii_only=session.ascii_only, id="daily")
        yield KeyBar()

    def on_mount(self) -> None:
        """The first load (today); the base's on_mount subscribes to "data changed"."""
        self.query_one("#daily-filter", Input).display = False
        self.day = self.bc_app.today()
        self.reload()

    @property
    def shown_day(self) -> date:
        """The day on screen (today until the person moves)."""
        return self.day or self.bc_app.today()

    @property
    def table(self) -> DailyTable:
        """The grid."""
        return self.query_one(DailyTable)

    @property
    def rows(self) -> dict[int, DayRow]:
        """The rows shown, by job id."""
        grid = self.table.grid
        return {r.job_id: r for r in grid.rows} if grid is not None else {}

    def grid_query(self) -> GridQuery:
        """What the screen's state asks to see."""
        return GridQuery(
            day=self.shown_day,
            roll_up=self.roll_up,
            text=self.text,
            statuses=STATUS_FILTERS[self.status_filter][1],
        )

    def on_resize(self, event: Resize) -> None:
        """Give long customer and job names the room a wide terminal has."""
        self.table.widths = name_widths(event.size.width, DAILY_FIXED_COLUMNS)

    # ------------------------------------------------------------- loading
    def refresh_data(self, what: Changed) -> None:  # noqa: ARG002 - the grid shows it all
        """Runs, schedules or markers changed: reload, the cursor on the same job."""
        self.reload()

    def reload(self) -> None:
        """Load the grid the state asks for."""
        self.begin_loading(self.table)
        self.load_grid(self.grid_query())

    @work(thread=True, exclusive=True, group="daily-jobs", exit_on_error=False)
    def load_grid(self, query: GridQuery) -> None:
        """Read the grid for `query` (in a thread)."""
        self.post_message(GridLoaded(self.services.day_grid(query)))

    @on(GridLoaded)
    def _grid_loaded(self, message: GridLoaded) -> None:
        if message.grid.query != self.grid_query():
            return  # the person moved on; a newer load is under way
        self.end_loading(self.table)
        self.table.grid = message.grid
        header = self.query_one(DailyHeader)
        header.today = self.bc_app.today()
        header.grid = message.grid

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed load leaves no loading indicator behind (the app shows the error)."""
        if event.state is WorkerState.ERROR and event.worker.group == "daily-jobs":
            self.end_loading(self.table)

    # ------------------------------------------------------------- keys
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """`g` is a priority key (the table has its own): let it through to the filter box."""
        if action == "go_to_date":
            return not isinstance(self.focused, Input)
        return True

    def go_to(self, day: date) -> None:
        """Show `day`."""
        self.day = day
        self.reload()

    def action_previous_day(self) -> None:
        """The day before."""
        self.go_to(self.shown_day - timedelta(days=1))

    def action_next_day(self) -> None:
        """The day after."""
        self.go_to(self.shown_day + timedelta(days=1))

    def action_today(self) -> None:
        """Back to today."""
        self.go_to(self.bc_app.today())

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_go_to_date(self) -> None:
        """Ask for a date and go there; a clear error when it is not one."""
        answer = await self.app.push_screen_wait(
            PromptDialog("Go to date (YYYY-MM-DD)", f"{self.shown_day:%Y-%m-%d}", "2026-11-23")
        )
        if answer.value is None:
            return
        day = parse_day(answer.value)
        if day is None:
            self.notify(
                f"{answer.value.strip()!r} is not a date. Type it as YYYY-MM-DD, e.g. 2026-11-23.",
                title="Not a date",
                severity="error",
            )
            return
        self.go_to(day)

    def apply_filter(self, text: str) -> None:
        """Filter the list by `text`."""
        self.text = text
        self.reload()

    def action_filter_status(self) -> None:
        """Cycle the status filter."""
        self.status_filter = (self.status_filter + 1) % len(STATUS_FILTERS)
        self.reload()

    def action_cycle_roll_up(self) -> None:
        """Worst → last → warning if mixed."""
        self.roll_up = ROLL_UPS[(ROLL_UPS.index(self.roll_up) + 1) % len(ROLL_UPS)]
        self.reload()
        self.notify(f"Roll-up: {ROLL_UP_LABEL[self.roll_up]}.", timeout=2)

    def action_open_history(self) -> None:
        """Open the job under the cursor."""
        key = self.table.current_key
        row = self.rows.get(key) if key is not None else None
        if row is None:
            return
        self.app.push_screen(JobHistoryScreen(row.job_id, row.title, self.shown_day))

    @on(DataTable.RowSelected, "#daily")
    def _row_selected(self) -> None:
        self.action_open_history()
