"""Daily Jobs (2): one row per job for a chosen day, with the day's status and markers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.events import Resize
from textual.widgets import DataTable, Input, Static

from backupchecks_tui.services import daily
from screens.base import AreaScreen
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

STATUS_FILTERS: list[tuple[str, frozenset[str]]] = [
    ("all", frozenset()),
    ("problems", frozenset({"warning", "failed", "missed"})),
    ("missed", frozenset({"missed"})),
    ("failed", frozenset({"failed"})),
    ("expected", frozenset({daily.EXPECTED})),
    ("not scheduled", frozenset({daily.NOT_SCHEDULED})),
]
ROLL_UP_LABEL = {"worst": "worst run", "last": "last run", "warning_if_mixed": "warning if mixed"}
EXTRA_STATUS = {
    daily.EXPECTED: ("◷", "~", "Expected", "cyan"),
    daily.NOT_SCHEDULED: ("–", "-", "Not scheduled", "dim"),
}


def day_status_text(status: str, *, ascii_only: bool, overridden: bool = False) -> Text:
    """A day status (run statuses plus expected / not scheduled) as coloured text."""
    extra = EXTRA_STATUS.get(status)
    if extra is None:
        return status_text(status, ascii_only=ascii_only, overridden=overridden)
    icon, ascii_icon, label, style = extra
    return Text(f"{ascii_icon if ascii_only else icon} {label}", style=style)


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD date, or None when `text` is not one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


DAILY_FIXED_COLUMNS = 89
"""Cells of a Daily Jobs row besides customer and job, with padding and the scrollbar."""


class DailyJobsScreen(AreaScreen):
    """Every active job on one day: expected or not, how it went, with markers."""

    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Daily Jobs"
    FILTER = "daily-filter"
    LIST = "daily"
    AUTO_FOCUS = "#daily"
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
        self.roll_up: daily.RollUp = "worst"
        self.status_filter = 0
        self.text = ""
        self.rows: dict[int, daily.DayRow] = {}
        self.widths = name_widths(0, DAILY_FIXED_COLUMNS)
        """Customer and job column widths, from the terminal's width."""

    def compose(self) -> ComposeResult:
        """Status bar, header, filter input, the grid, footer."""
        yield StatusBar()
        yield Static(id="daily-header")
        yield Input(placeholder="filter jobs: customer, job, product, sender", id="daily-filter")
        yield KeyedTable(id="daily")
        yield KeyBar()

    def on_mount(self) -> None:
        """Columns and the first load (today)."""
        self.query_one(KeyedTable).add_columns(
            "  ", "Status", "Customer", "Job", "Expected", "Runs", "Product", "Schedule"
        )
        self.query_one("#daily-filter", Input).display = False
        self.day = self.bc_app.today()
        self.reload()

    def on_screen_resume(self) -> None:
        """Reload when coming back (from a history or another mode)."""
        if self.day is not None:
            self.reload()

    @property
    def shown_day(self) -> date:
        """The day on screen (today until the person moves)."""
        return self.day or self.bc_app.today()

    def on_resize(self, event: Resize) -> None:
        """Give long customer and job names the room a wide terminal has."""
        widths = name_widths(event.size.width, DAILY_FIXED_COLUMNS)
        if widths != self.widths:
            self.widths = widths
            if self.query_one(KeyedTable).row_count:
                self.reload(refit=True)

    def reload(self, *, refit: bool = False) -> None:
        """Load the grid of the shown day (`refit`: after the name columns changed)."""
        app = self.bc_app
        ws = app.workspace
        day = self.shown_day
        grid = daily.day_grid(
            ws.engine, day, app.zone, ws.now(), roll_up=self.roll_up, text=self.text
        )
        counts = dict.fromkeys(daily.DAY_STATUSES, 0)
        for row in grid:
            counts[row.status] = counts.get(row.status, 0) + 1
        wanted = STATUS_FILTERS[self.status_filter][1]
        shown = [r for r in grid if not wanted or r.status in wanted]
        self.rows = {r.job_id: r for r in shown}
        marks = app.markers([r.job_id for r in shown])
        table = self.query_one(KeyedTable)
        table.fill(
            [(r.job_id, self._cells(r, marks.get(r.job_id, (False, False)))) for r in shown],
            keep=table.current_key,
            refit=refit,
        )
        self._header(day, len(grid), len(shown), counts)

    def _cells(self, row: daily.DayRow, marks: tuple[bool, bool]) -> list[Text | str]:
        """The table cells of one job."""
        ascii_only = self.bc_app.workspace.ascii_only
        schedule = literal(row.schedule or "—", 28)
        if row.schedule_manual:
            schedule.append(" ✎" if not ascii_only else " *", style="cyan")
        if row.paused:
            schedule.append(" paused", style="bold yellow")
        expected = (
            row.expected_at.astimezone(self.bc_app.zone).strftime("%H:%M")
            if row.expected_at
            else "—"
        )
        return [
            markers_text(marks, ascii_only=ascii_only),  # first: in view at any width
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

    def _header(self, day: date, total: int, shown: int, counts: dict[str, int]) -> None:
        """The day, the counts per status, roll-up and filters."""
        ascii_only = self.bc_app.workspace.ascii_only
        text = Text()
        text.append(f"{day:%A %Y-%m-%d}", style="bold")
        if day == self.bc_app.today():
            text.append(" (today)", style="bold cyan")
        text.append(f" · {counted(total, 'job')}  ")
        for status in daily.DAY_STATUSES:
            if counts.get(status):
                text.append_text(day_status_text(status, ascii_only=ascii_only))
                text.append(f" {counts[status]}  ")
        text.append(f"\nroll-up: {ROLL_UP_LABEL[self.roll_up]} (u)", style="dim")
        name = STATUS_FILTERS[self.status_filter][0]
        text.append(f" · status: {name} (F)", style="dim")
        if self.text:
            text.append(" · filter: ", style="dim")
            text.append(repr(self.text))
        if shown != total:
            text.append(f" · showing {shown}", style="dim")
        self.query_one("#daily-header", Static).update(text)

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

    @work
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
        ups = daily.ROLL_UPS
        self.roll_up = ups[(ups.index(self.roll_up) + 1) % len(ups)]
        self.reload()
        self.notify(f"Roll-up: {ROLL_UP_LABEL[self.roll_up]}.", timeout=2)

    def action_open_history(self) -> None:
        """Open the job under the cursor."""
        key = self.query_one(KeyedTable).current_key
        row = self.rows.get(key) if key is not None else None
        if row is None:
            return
        title = f"{row.customer} · {row.job_name}" if row.customer else row.job_name
        self.app.push_screen(JobHistoryScreen(row.job_id, title, self.shown_day))

    @on(DataTable.RowSelected, "#daily")
    def _row_selected(self) -> None:
        self.action_open_history()
