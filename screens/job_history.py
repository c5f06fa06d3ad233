"""A job's history: a 30-day status strip, its schedule settings and its runs, paged.

Two loads, each in its own thread worker: the overview (settings, strip, what covers the
job) for the header, and the current page of runs for the table. Pause, grace and
schedule edits are async "act" conversations; after one the app is told the jobs and
runs changed, which reloads this screen and, when it is next shown, Daily Jobs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import date, datetime, time, tzinfo
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.reactive import reactive
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from backupchecks_tui.domain import Changed, ItemKind
from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.roles import Action
from backupchecks_tui.views.daily import (
    DEFAULT_GRACE_MINUTES,
    WEEKDAY_NAMES,
    DayStatus,
    HistoryRow,
    JobOverview,
    JobSchedule,
    Kind,
    NoRun,
    RunsPage,
    Schedule,
    schedule_for_weekdays,
)
from screens.base import AreaScreen, Loaded
from screens.commands import Command, bindings
from screens.dialogs import PromptDialog
from screens.style import ASCII_ICONS, STATUS_STYLE, literal, status_text
from screens.widgets.key_bar import KeyBar
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable
from screens.widgets.words import counted

PAGE_SIZE = 50
STRIP_DAYS = 30

COMMANDS = [
    Command("close", "escape", "Back", "Back to Daily Jobs."),
    Command("next_page", "n", "Next page", "Older runs."),
    Command("previous_page", "p", "Prev page", "Newer runs."),
    Command("toggle_paused", "P", "Pause/resume", "Pause the job (never missed) or resume it."),
    Command("set_grace", "G", "Grace", "Set the grace period in minutes.", priority=True),
    Command("set_schedule", "S", "Schedule", "Set the schedule by hand, or 'auto' to learn it."),
]
MANAGE = {"toggle_paused", "set_grace", "set_schedule"}
SCHEDULE_HELP = "daily 22:00 · weekdays 21:30 · weekly mon 23:00 · monthly 1 02:00 · auto"
_DAYS = {name.lower(): n for n, name in enumerate(WEEKDAY_NAMES)}


def parse_schedule(text: str) -> Schedule | None:
    """A schedule typed by hand; None for "auto" (back to the learned one).

    Accepts "daily 22:00", "weekdays 21:30", "weekly mon 23:00", "mon,wed,fri 22:00",
    "monthly 1 02:00" and "monthly last 02:00"; raises ValueError with a readable message.
    """
    words = text.lower().replace(",", " ").split()
    if words == ["auto"]:
        return None
    if len(words) < 2:
        raise ValueError(f"Type a rhythm and a time, e.g. {SCHEDULE_HELP}.")
    start = _parse_time(words[-1])
    kind, args = words[0], words[1:-1]
    if kind == "daily" and not args:
        return Schedule(Kind.DAILY, start=start)
    if kind == "weekdays" and not args:
        return Schedule(Kind.WEEKDAYS, start=start)
    if kind == "weekly" and len(args) == 1:
        return Schedule(Kind.WEEKLY, start=start, weekdays=frozenset({_weekday(args[0])}))
    if kind == "monthly" and len(args) == 1:
        return Schedule(Kind.MONTHLY_DAY, start=start, month_day=_month_day(args[0]))
    if kind in _DAYS:
        days = frozenset(_weekday(word) for word in [kind, *args])
        return schedule_for_weekdays(days, start)
    raise ValueError(f"{text.strip()!r} is not a schedule; try {SCHEDULE_HELP}.")


def _parse_time(word: str) -> time:
    """HH:MM."""
    try:
        return time.fromisoformat(word if len(word) > 4 else f"0{word}")
    except ValueError:
        raise ValueError(f"{word!r} is not a time; use HH:MM, e.g. 22:00.") from None


def _weekday(word: str) -> int:
    """mon … sun (or longer names) as 0 … 6."""
    day = _DAYS.get(word[:3])
    if day is None:
        raise ValueError(f"{word!r} is not a weekday; use mon, tue, … sun.")
    return day


def _month_day(word: str) -> int:
    """1 … 31, or "last" (31, clipped to the month)."""
    if word == "last":
        return 31
    if word.isdigit() and 1 <= int(word) <= 31:
        return int(word)
    raise ValueError(f"{word!r} is not a day of the month; use 1 to 31 or last.")


def _size(value: int | None) -> str:
    """Bytes in a readable unit."""
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def _at(moment: datetime | None, zone: tzinfo, fmt: str = "%H:%M") -> str:
    """A local time, or a dash."""
    return moment.astimezone(zone).strftime(fmt) if moment else "—"


def strip_text(strip: Sequence[tuple[date, DayStatus]], *, ascii_only: bool) -> Text:
    """One coloured cell per day, oldest first; a dim dot for days without runs."""
    text = Text()
    for _, status in strip:
        if isinstance(status, NoRun):
            text.append("." if ascii_only else "·", style="dim")
        else:
            text.append(ASCII_ICONS[status] if ascii_only else "█", style=STATUS_STYLE[status])
    return text


class HistoryTable(KeyedTable):
    """A page of a job's runs: the `runs` it is given, cursor kept on the same run."""

    runs: reactive[RunsPage | None] = reactive(None, always_update=True, init=False)

    def __init__(self, *, zone: tzinfo, ascii_only: bool, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.zone = zone
        self.ascii_only = ascii_only

    def on_mount(self) -> None:
        """The columns."""
        self.add_columns(
            "Day", "Status", "Start", "End", "Expected", "Size", "Transferred",
            "Objects", "Problems", "Message",
        )  # fmt: skip

    def watch_runs(self, runs: RunsPage | None) -> None:
        """Show the page, the cursor on the run it was on."""
        if runs is not None:
            self.fill([(r.run_id, self._cells(r)) for r in runs.rows], keep=self.current_key)

    def _cells(self, run: HistoryRow) -> list[Text | str]:
        """The table cells of one run."""
        zone = self.zone
        status = status_text(run.status, ascii_only=self.ascii_only, overridden=run.overridden)
        if run.resolved_by_run_id is not None:
            status.append(f" → late run #{run.resolved_by_run_id}", style="dim")
        return [
            Text(f"{run.run_day:%a %Y-%m-%d}"),
            status,
            Text(_at(run.started_at, zone)),
            Text(_at(run.ended_at, zone)),
            Text(_at(run.expected_at, zone)),
            Text(_size(run.size_bytes), justify="right"),
            Text(_size(run.transferred_bytes), justify="right"),
            Text(str(run.object_count), justify="right"),
            Text(str(run.problem_count or ""), justify="right"),
            literal(run.message, 60),
        ]


class HistoryHeader(Static):
    """Job name, 30-day strip, schedule with confidence, paused flag, grace, follow-ups, page."""

    overview: reactive[JobOverview | None] = reactive(None, always_update=True, init=False)
    runs: reactive[RunsPage | None] = reactive(None, always_update=True, init=False)

    def __init__(
        self,
        title: str,
        end_day: date,
        *,
        ascii_only: bool,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self.job_title = title
        self.end_day = end_day
        self.ascii_only = ascii_only

    def watch_overview(self) -> None:
        """New settings or strip."""
        self._show()

    def watch_runs(self) -> None:
        """New run count or page."""
        self._show()

    def _show(self) -> None:
        overview, runs = self.overview, self.runs
        if overview is None:
            return
        settings = overview.settings
        text = literal(self.job_title, 100, style="bold")
        text.append(f"\nlast {len(overview.strip)} days to {self.end_day:%Y-%m-%d}: ")
        text.append_text(strip_text(overview.strip, ascii_only=self.ascii_only))
        text.append("\nschedule: ")
        text.append_text(_schedule_text(settings))
        text.append(" · grace: ")
        minutes = int(settings.grace.total_seconds() // 60)
        text.append(f"{minutes} min" + (" (default)" if settings.grace_minutes is None else ""))
        if settings.paused:
            text.append(" · PAUSED (never missed)", style="bold yellow")
        text.append_text(_follow_ups(overview))
        if runs is not None:
            text.append(
                f"\n{counted(runs.total, 'run')} · page {runs.page + 1}/{runs.pages}", style="dim"
            )
        self.update(text)


def _follow_ups(overview: JobOverview) -> Text:
    """The job's active tickets, remarks and overrides, one line each kind."""
    text = Text()
    for kind, label in ((ItemKind.TICKET, "tickets"), (ItemKind.REMARK, "remarks")):
        found = [i for i in overview.covering if i.kind == kind]
        text.append(f"\n{label}: ")
        if not found:
            text.append("none", style="dim")
        for n, item in enumerate(found):
            text.append(", " if n else "")
            text.append(f"{item.label} ", style="bold")
            text.append_text(literal(item.title, 50))
            text.append(f" ({item.state})", style="dim")
    text.append("\noverrides: ")
    if not overview.overrides:
        text.append("none", style="dim")
    for n, rule in enumerate(overview.overrides):
        text.append(", " if n else "")
        text.append(f"#{rule.id} ", style="bold")
        text.append_text(literal(rule.text, 70))
    return text


class OverviewLoaded(Loaded):
    """A job's settings, strip and follow-ups, read for `overview.job_id`."""

    def __init__(self, overview: JobOverview) -> None:
        super().__init__()
        self.overview = overview


class RunsLoaded(Loaded):
    """A page of a job's runs, read for page `asked`."""

    def __init__(self, runs: RunsPage, asked: int) -> None:
        super().__init__()
        self.runs = runs
        self.asked = asked


class JobHistoryScreen(AreaScreen):
    """One job: the status strip, schedule, pause and grace, and all runs (50 a page)."""

    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Job history"
    AUTO_FOCUS = "#history"
    SHOWS = Changed.RUNS | Changed.JOBS | Changed.TICKETS | Changed.REMARKS | Changed.OVERRIDES
    DEFAULT_CSS = """
    JobHistoryScreen #history-header {
        height: auto;
        padding: 0 1;
        border-bottom: solid $panel-lighten-2;
    }
    JobHistoryScreen #history {
        height: 1fr;
    }
    """

    def __init__(self, job_id: int, title: str, end_day: date) -> None:
        super().__init__()
        self.job_id = job_id
        self.job_title = title
        self.end_day = end_day
        self.page = 0
        self.total = 0
        self.pages = 1

    def compose(self) -> ComposeResult:
        """Status bar, header (strip and schedule), runs, footer."""
        session = self.bc_app.session
        yield StatusBar()
        yield HistoryHeader(
            self.job_title, self.end_day, ascii_only=session.ascii_only, id="history-header"
        )
        yield HistoryTable(zone=session.zone, ascii_only=session.ascii_only, id="history")
        yield KeyBar()

    def on_mount(self) -> None:
        """The first load (the base's on_mount subscribes to "data changed")."""
        self.reload()

    @property
    def table(self) -> HistoryTable:
        """The runs."""
        return self.query_one(HistoryTable)

    # ------------------------------------------------------------- loading
    def refresh_data(self, what: Changed) -> None:  # noqa: ARG002 - the header shows it all
        """Settings, runs or follow-ups changed: reload both, the cursor on the same run."""
        self.reload()

    def reload(self) -> None:
        """Header and the current page of runs."""
        self.load_overview()
        self.load_page()

    def load_page(self) -> None:
        """Load the current page of runs."""
        self.begin_loading(self.table)
        self.load_runs(self.page)

    @work(thread=True, exclusive=True, group="job-overview", exit_on_error=False)
    def load_overview(self) -> None:
        """Read the job's settings, strip and follow-ups (in a thread)."""
        overview = self.services.job_overview(self.job_id, self.end_day, STRIP_DAYS)
        self.post_message(OverviewLoaded(overview))

    @work(thread=True, exclusive=True, group="job-runs", exit_on_error=False)
    def load_runs(self, page: int) -> None:
        """Read page `page` of the job's runs (in a thread)."""
        self.post_message(RunsLoaded(self.services.job_runs(self.job_id, page, PAGE_SIZE), page))

    @on(OverviewLoaded)
    def _overview_loaded(self, message: OverviewLoaded) -> None:
        self.query_one(HistoryHeader).overview = message.overview

    @on(RunsLoaded)
    def _runs_loaded(self, message: RunsLoaded) -> None:
        if message.asked != self.page:
            return  # paged on meanwhile; a newer load is under way
        runs = message.runs
        self.page, self.total, self.pages = runs.page, runs.total, runs.pages
        self.end_loading(self.table)
        self.table.runs = runs
        self.query_one(HistoryHeader).runs = runs

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed load leaves no loading indicator behind (the app shows the error)."""
        if event.state is WorkerState.ERROR and event.worker.group == "job-runs":
            self.end_loading(self.table)

    # ------------------------------------------------------------- keys
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Hide schedule changes from those who may not make them."""
        if action in MANAGE:
            return self.bc_app.session.actor.can(Action.MANAGE_SCHEDULES)
        return True

    def action_close(self) -> None:
        """Back to where the history was opened."""
        self.dismiss(None)

    def action_next_page(self) -> None:
        """Older runs."""
        if self.page + 1 < self.pages:
            self.page += 1
            self.load_page()

    def action_previous_page(self) -> None:
        """Newer runs."""
        if self.page > 0:
            self.page -= 1
            self.load_page()

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_toggle_paused(self) -> None:
        """Pause or resume the job."""
        paused = not (await self.io(self.services.job_schedule, self.job_id)).paused
        if await self._apply(self.io(self.services.set_job_paused, self.job_id, paused)):
            self.notify("Job paused: it will never go missed." if paused else "Job resumed.")

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_set_grace(self) -> None:
        """Ask for the grace period in minutes (empty = the default)."""
        current = (await self.io(self.services.job_schedule, self.job_id)).grace_minutes
        answer = await self.app.push_screen_wait(
            PromptDialog(
                "Grace period in minutes (empty for the default)",
                "" if current is None else str(current),
                str(DEFAULT_GRACE_MINUTES),
            )
        )
        if answer.value is None:
            return
        value = answer.value.strip()
        if value and not value.isdigit():
            self.notify(f"{value!r} is not a number of minutes.", severity="error")
            return
        minutes = int(value) if value else None
        if await self._apply(self.io(self.services.set_job_grace, self.job_id, minutes)):
            self.notify("Grace period saved.")

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_set_schedule(self) -> None:
        """Ask for a schedule ("daily 22:00", … "auto")."""
        answer = await self.app.push_screen_wait(
            PromptDialog("Schedule", placeholder=SCHEDULE_HELP)
        )
        if answer.value is None:
            return
        try:
            schedule = parse_schedule(answer.value)
        except ValueError as error:
            self.notify(str(error), title="Not a schedule", severity="error", timeout=8)
            return
        if await self._apply(self.io(self.services.set_job_schedule, self.job_id, schedule)):
            self.notify(
                f"Schedule set: {schedule.describe()}."
                if schedule
                else "Schedule set back to learned."
            )

    async def _apply(self, change: Awaitable[None]) -> bool:
        """Await `change`, show an error if it is refused, else say the job changed (this
        screen and Daily Jobs reload); whether it worked."""
        try:
            await change
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return False
        self.bc_app.changed(Changed.JOBS | Changed.RUNS)
        return True


def _schedule_text(settings: JobSchedule) -> Text:
    """The schedule with where it comes from and how sure it is."""
    schedule = settings.schedule
    if schedule is None:
        return Text("none yet (learning)", style="dim")
    text = literal(schedule.describe(), style="bold")
    if settings.manual:
        text.append(" (set by hand)", style="cyan")
    else:
        sure = "" if schedule.confident else ", not sure enough to go missed"
        text.append(f" (learned, confidence {schedule.confidence:.0%}{sure})", style="dim")
    return text
