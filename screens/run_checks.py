"""Run Checks: the daily queue of unreviewed runs, grouped by job. Goal: an empty queue.

Three panes follow the cursor (`screens.base`'s pattern): the jobs pane shows the queue a
"queue" worker read for the screen's filter; a move of its cursor sets the screen's job,
whose runs a "runs" worker reads; the run under the runs cursor is read, with what covers
it, by a "detail" worker. Each worker posts what it read and for which filter, job or run;
a handler drops an answer the screen has moved past. A cursor move runs no SQL.
"""

from __future__ import annotations

from dataclasses import replace
from time import monotonic
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from backupchecks_tui.domain import Changed, RunStatus
from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.roles import Action, Role
from backupchecks_tui.views.checks import (
    QueueFilter,
    QueuePage,
    QueueRow,
    ReviewReceipt,
    RunCover,
    RunDetail,
    RunRow,
)
from screens.base import Loaded
from screens.commands import Command, bindings
from screens.run_actions import RunActions
from screens.run_follow_up import FOLLOW_UP_COMMANDS, CoverList
from screens.widgets.key_bar import KeyBar
from screens.widgets.queue_cells import (
    job_cells,
    landing_run,
    name_widths,
    run_cells,
    worst_run_index,
)
from screens.widgets.run_detail import RunDetailView
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable
from screens.widgets.words import counted

PAGE = 300
FIRST_PAGE = 100  # a (re)load with the cursor near the top: a screenful or two, fast
FOLLOW_DELAY = 0.08
NARROW = 120
STATUS_FILTERS: list[tuple[str, frozenset[RunStatus]]] = [
    ("all", frozenset()),
    ("failed + missed", frozenset({RunStatus.FAILED, RunStatus.MISSED})),
    ("warning", frozenset({RunStatus.WARNING})),
    ("success", frozenset({RunStatus.SUCCESS})),
]

COMMANDS = [
    Command("review", "r", "Reviewed", "Mark the selected jobs (or the current one) reviewed."),
    Command("mark_success", "s", "Success", "Mark the run as success, then offer an override."),
    *FOLLOW_UP_COMMANDS,
    Command("toggle_select", "space", "Select", "Select or unselect the current job."),
    Command("select_successful", "a", "Select OK", "Select every job whose runs all succeeded."),
    Command("undo", "ctrl+z", "Undo", "Undo the last review made since the app started."),
    Command("filter_text", "slash", "Filter", "Filter jobs by text.", key_display="/"),
    Command("filter_status", "F", "Status", "Cycle the status filter.", show=False),
    Command("sort", "o", "Sort", "Cycle sort: status, customer, age.", show=False),
    Command("assign_customer", "c", "Customer", "Put the job under a customer.", show=False),
    Command("export_mail", "e", "Export", "Export the run's original mail (.eml).", show=False),
    Command("toggle_reviewed", "R", "+Reviewed", "Admin: include reviewed runs.", show=False),
    Command("unmark", "u", "Unmark", "Admin: put the job's last review back.", show=False),
    Command("refresh", "ctrl+r", "Refresh", "Reload the queue from the database.", show=False),
    Command("back", "escape", "Back", "Back one pane: run → runs → jobs.", show=False),
]


class QueueLoaded(Loaded):
    """A page of the queue read for `page.flt` (`more`: a further page to append)."""

    def __init__(
        self, page: QueuePage, keep: int | None, *, refit: bool, more: bool, at: int | None = None
    ) -> None:
        super().__init__()
        self.page = page
        self.keep = keep
        self.refit = refit
        self.more = more
        self.at = at
        """The job under the cursor when the load was asked for."""


class RunsLoaded(Loaded):
    """The runs of `job_id`; the cursor goes to `keep` when it is among them. `cover` is
    the run the cursor will land on, read by the same worker (one hop less to the detail)."""

    def __init__(
        self, job_id: int, runs: list[RunRow], keep: int | None, cover: RunCover | None
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.runs = runs
        self.keep = keep
        self.cover = cover


class RunLoaded(Loaded):
    """One run in detail, with what covers it."""

    def __init__(self, cover: RunCover) -> None:
        super().__init__()
        self.cover = cover


class RunChecksScreen(RunActions):
    """Jobs with unreviewed runs | runs of the job | the run."""

    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Run Checks"
    FILTER = "filter"
    LIST = "jobs"
    AUTO_FOCUS = "#jobs"
    SHOWS = Changed.RUNS | Changed.TICKETS | Changed.REMARKS | Changed.OVERRIDES | Changed.JOBS

    def __init__(self) -> None:
        super().__init__()
        self.flt = QueueFilter()
        """What the queue shows; a page read for another filter is dropped."""
        self.rows: dict[int, QueueRow] = {}
        self.loaded = 0
        self.total_jobs = 0
        self.total_runs = 0
        self.selected: dict[int, int] = {}
        self.last_review: ReviewReceipt | None = None
        self.status_filter = 0
        self.job_id: int | None = None
        """The job under the jobs cursor."""
        self.runs_of: int | None = None
        """The job whose runs the run list shows."""
        self.run_id: int | None = None
        """The run under the runs cursor (the detail pane follows it)."""
        self.detail: RunDetail | None = None
        """The run the detail pane shows."""
        self.widths = name_widths(0)
        """Customer and job column widths, from the width of the jobs pane."""
        self._pending: tuple[str, int | None] | None = None
        self._timer: Timer | None = None
        self._last_move = 0.0
        self._more_at = -1
        """The offset of the further page being read (one at a time)."""
        self._keep_next: int | None = None
        """The job the next reload puts the cursor on (an undo's), instead of the current."""

    @property
    def refused(self) -> bool:
        """Viewers do not review: the screen says so and reads nothing."""
        return self.bc_app.session.actor.role is Role.VIEWER

    def compose(self) -> ComposeResult:
        """Status bar, queue header, filter input, three panes, footer."""
        yield StatusBar()
        yield Static(id="queue-header")
        yield Input(placeholder="filter jobs: customer, job, product, sender", id="filter")
        actor = self.bc_app.session.actor
        if self.refused:
            yield Static(
                Text(
                    "Viewers cannot open Run Checks: reviewing is for Operators and Admins. "
                    "Ask an Admin: backupchecks-tui operator add "
                    f"{actor.login} --role operator",
                    style="bold yellow",
                ),
                id="refused",
            )
        else:
            with Horizontal(id="panes"):
                yield KeyedTable(id="jobs")
                with Vertical(id="right"):
                    yield KeyedTable(id="runs")
                    yield CoverList(id="covering")
                    yield RunDetailView(
                        zone=self.bc_app.zone,
                        ascii_only=self.bc_app.session.ascii_only,
                        id="detail",
                    )
        yield KeyBar()

    def on_mount(self) -> None:
        """Set up the tables and load the queue."""
        super().on_mount()
        if self.refused:
            return
        jobs = self.query_one("#jobs", KeyedTable)
        # Text labels: no markup to parse, so no emoji table to load while starting
        jobs.add_columns(*map(Text, [" ", "Status", "Customer", "Job", "Runs", "Age", "Product"]))
        runs = self.query_one("#runs", KeyedTable)
        runs.add_columns(*map(Text, ["Day", "Status", "Start", "Objects", "Message"]))
        self.query_one("#filter", Input).display = False
        self.query_one("#covering", CoverList).display = False
        # Load after the first layout: the rows are drawn once, at their final widths.
        self.call_after_refresh(self.reload)
        jobs.focus()

    def on_resize(self, event: Resize) -> None:
        """Stack the panes on narrow terminals (80×24 over SSH); re-wrap the detail; give
        long customer and job names the room a wide terminal has."""
        narrow = event.size.width < NARROW
        self.set_class(narrow, "narrow")
        widths = name_widths(event.size.width if narrow else event.size.width * 6 // 10)
        if widths != self.widths:
            self.widths = widths
            if self.loaded:
                self.reload(refit=True)
        if self.query("#detail"):
            self.call_after_refresh(self.query_one("#detail", RunDetailView).redraw)

    def refresh_data(self, what: Changed) -> None:  # noqa: ARG002 - every change reloads
        """The data changed: reload the queue, keeping the cursor on the same job and run
        (or on the job an undo brought back)."""
        keep, self._keep_next = self._keep_next, None
        self.reload(keep_job=keep)

    # ------------------------------------------------------------------ loading
    def reload(self, keep_job: int | None = None, *, refit: bool = False) -> None:
        """Reload the queue from the first page, keeping the cursor on `keep_job` (else on
        the current job); `refit` after the name columns changed width."""
        if self.refused:
            return
        jobs = self.query_one("#jobs", KeyedTable)
        keep = keep_job if keep_job is not None else jobs.current_key
        size = FIRST_PAGE if jobs.cursor_row < FIRST_PAGE - 20 else PAGE
        self._more_at = -1
        self.begin_loading(jobs)
        self._load_queue(self.flt, size, keep, jobs.current_key, refit=refit)

    @work(thread=True, exclusive=True, group="queue", exit_on_error=False)
    def _load_queue(
        self, flt: QueueFilter, size: int, keep: int | None, at: int | None, *, refit: bool
    ) -> None:
        page = self.services.load_queue(flt, limit=size)
        self.post_message(QueueLoaded(page, keep, refit=refit, more=False, at=at))

    @on(QueueLoaded)
    def _queue_loaded(self, message: QueueLoaded) -> None:
        page = message.page
        if page.flt != self.flt:
            return  # read for a filter the operator has left
        jobs = self.query_one("#jobs", KeyedTable)
        if message.more:
            if page.offset != self.loaded:
                return
            fresh = [r for r in page.rows if r.job_id not in self.rows]
            self.rows.update({r.job_id: r for r in fresh})
            self.loaded += len(page.rows)
            self._more_at = -1
            jobs.append([(r.job_id, self._job_cells(r)) for r in fresh])
            return
        self.end_loading(jobs)
        self.rows = {row.job_id: row for row in page.rows}
        self.loaded = len(page.rows)
        self.total_jobs, self.total_runs = page.jobs, page.runs
        # the cursor moved while the queue was read: it stays where the operator put it
        keep = message.keep if jobs.current_key == message.at else jobs.current_key
        with self.prevent(DataTable.RowHighlighted):  # the job is followed right below
            jobs.fill(
                [(r.job_id, self._job_cells(r)) for r in page.rows],
                keep,
                refit=message.refit,
            )
        self._update_header()
        self._pending = None
        self.job_id = jobs.current_key
        self._show_job(self.job_id)
        self.refresh_bindings()  # r, space, a, t, m, s depend on the queue having rows

    def _load_more(self) -> None:
        if self.loaded >= self.total_jobs or self._more_at == self.loaded:
            return
        self._more_at = self.loaded
        self._load_more_rows(self.flt, self.loaded)

    @work(thread=True, exclusive=True, group="queue-more", exit_on_error=False)
    def _load_more_rows(self, flt: QueueFilter, offset: int) -> None:
        page = self.services.load_queue(flt, limit=PAGE, offset=offset)
        self.post_message(QueueLoaded(page, None, refit=False, more=True))

    def _job_cells(self, row: QueueRow) -> list[Text | str]:
        return job_cells(
            row,
            selected=row.job_id in self.selected,
            ascii_only=self.bc_app.session.ascii_only,
            today=self.bc_app.today(),
            widths=self.widths,
        )

    def _update_header(self) -> None:
        flt = self.flt
        parts = [f"{counted(self.total_jobs, 'job')} · {counted(self.total_runs, 'run')} to review"]
        if self.total_jobs == 0 and not flt.text and not flt.statuses:
            parts = ["Queue empty: every run is reviewed. Daily Jobs (2) shows what is still due."]
        parts.append(f"sort: {flt.sort}")
        if flt.statuses:
            parts.append(f"status: {STATUS_FILTERS[self.status_filter][0]}")
        if flt.text:
            parts.append(f"filter: {flt.text!r}")
        if flt.include_reviewed:
            parts.append("including reviewed")
        if self.selected:
            parts.append(f"{len(self.selected)} selected")
        self.query_one("#queue-header", Static).update(Text("  ·  ".join(parts), style="bold"))

    def _show_job(self, job_id: int | None) -> None:
        """Read the runs of `job_id` (the run list and the detail follow when they come)."""
        runs = self.query_one("#runs", KeyedTable)
        if job_id is None:
            runs.clear()
            self.runs_of = None
            self._show_run(None)
            return
        # the same job again (after a mark or a link): stay on the run acted on
        keep = self.run_id if job_id == self.runs_of else None
        self.begin_loading(runs)
        self._load_runs(job_id, keep, include_reviewed=self.flt.include_reviewed)

    @work(thread=True, exclusive=True, group="runs", exit_on_error=False)
    def _load_runs(self, job_id: int, keep: int | None, *, include_reviewed: bool) -> None:
        rows = self.services.queue_runs(job_id, include_reviewed=include_reviewed)
        landing = landing_run(rows, keep)
        if get_current_worker().is_cancelled:
            return  # the cursor has moved on: do not read a run nobody will see
        cover = self.services.run_cover(landing) if landing is not None else None
        self.post_message(RunsLoaded(job_id, rows, keep, cover))

    @on(RunsLoaded)
    def _runs_loaded(self, message: RunsLoaded) -> None:
        if message.job_id != self.job_id:
            return  # the cursor has moved on
        runs = self.query_one("#runs", KeyedTable)
        self.end_loading(runs)
        self.runs_of = message.job_id
        ascii_only = self.bc_app.session.ascii_only
        zone = self.bc_app.zone
        rows = message.runs
        with self.prevent(DataTable.RowHighlighted):
            runs.fill(
                [(r.id, run_cells(r, zone, ascii_only=ascii_only)) for r in rows], keep=message.keep
            )
            if message.keep is None or runs.current_key != message.keep:
                runs.move_cursor(row=worst_run_index(rows), animate=False)
        cover = message.cover
        if cover is not None and cover.run_id == runs.current_key:
            self.run_id = cover.run_id
            self._apply_detail(cover)
        else:
            self._show_run(runs.current_key)
        self.refresh_bindings()

    def _show_run(self, run_id: int | None) -> None:
        """Read `run_id` and what covers it (the detail pane follows when they come)."""
        self.run_id = run_id
        if run_id is None:
            self._apply_detail(None)
            return
        self.begin_loading(self.query_one("#detail", RunDetailView))
        self._load_run(run_id)

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _load_run(self, run_id: int) -> None:
        self.post_message(RunLoaded(self.services.run_cover(run_id)))

    @on(RunLoaded)
    def _run_loaded(self, message: RunLoaded) -> None:
        if message.cover.run_id == self.run_id:
            self._apply_detail(message.cover)

    def _apply_detail(self, cover: RunCover | None) -> None:
        detail_view = self.query_one("#detail", RunDetailView)
        self.end_loading(detail_view)
        self.detail = cover.detail if cover else None
        detail_view.run = self.detail
        covering = cover.covering if cover else ()
        self.query_one("#covering", CoverList).show(
            covering, ascii_only=self.bc_app.session.ascii_only
        )

    @on(DataTable.RowHighlighted, "#jobs")
    def _job_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        self.job_id = int(key) if key is not None else None
        self._pending = ("job", self.job_id)
        self._follow_later()
        if event.cursor_row >= self.loaded - 20:
            self._load_more()

    @on(DataTable.RowHighlighted, "#runs")
    def _run_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if self._pending is None or self._pending[0] != "job":
            self._pending = ("run", int(key) if key is not None else None)
            self._follow_later()

    def _follow_later(self) -> None:
        """Start the run list's and the detail's loads shortly after the cursor stops.

        The cursor repaints at once. A single move is followed right after it has painted;
        while j/k is held (moves closer than FOLLOW_DELAY) the panes follow FOLLOW_DELAY
        after the last move instead of a load being started for every row passed.
        """
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        now = monotonic()
        if now - self._last_move > FOLLOW_DELAY:
            self.call_after_refresh(self.follow_cursor)
        else:
            self._timer = self.set_timer(FOLLOW_DELAY, self.follow_cursor)
        self._last_move = now

    def follow_cursor(self) -> None:
        """Apply the pending cursor move to the run list and the detail pane now."""
        pending, self._pending = self._pending, None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if pending is None:
            return
        kind, key = pending
        if kind == "job":
            self._show_job(key)
        else:
            self._show_run(key)

    @property
    def following(self) -> bool:
        """Whether a cursor move still waits to be followed (tests wait on it)."""
        return self._pending is not None

    @on(DataTable.RowSelected, "#jobs")
    def _job_selected(self) -> None:
        self.query_one("#runs", KeyedTable).focus()

    @on(DataTable.RowSelected, "#runs")
    def _run_selected(self) -> None:
        covering = self.query_one("#covering", CoverList)
        (covering if covering.display else self.query_one("#detail", RunDetailView)).focus()

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Hide what the role or the state does not allow."""
        actor = self.bc_app.session.actor
        if actor.role is Role.VIEWER and action in {c.action for c in COMMANDS}:
            return False
        rules = {
            "toggle_reviewed": lambda: actor.can(Action.SHOW_REVIEWED),
            "unmark": lambda: actor.can(Action.UNMARK) and self.flt.include_reviewed,
            "assign_customer": lambda: actor.can(Action.MANAGE_CUSTOMERS) and bool(self.rows),
            "undo": lambda: self.last_review is not None,
            "review": lambda: bool(self.rows) or bool(self.selected),
            "toggle_select": lambda: bool(self.rows),
            "select_successful": lambda: bool(self.rows),
            "mark_success": lambda: actor.can(Action.MARK_SUCCESS) and bool(self.rows),
        }
        rule = rules.get(action)
        if rule is None:
            follow = self.follow_up_allowed(action)
            return follow if follow is not None else True
        return rule()

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_review(self) -> None:
        """Review the selection, or the current job; the cursor moves to the next job."""
        what = ""
        if self.selected:
            seen = dict(self.selected)
        else:
            job_id = self._current_job()
            if job_id is None or job_id not in self.rows:
                return
            row = self.rows[job_id]
            seen = {job_id: row.max_run_id}
            what = f"{row.customer} / {row.job_name}" if row.customer else row.job_name
        try:
            receipt = await self.io(self.services.review_jobs, seen)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.last_review = receipt
        self.selected.clear()
        # the reviewed job leaves the queue: the reload keeps the cursor's index (next job)
        self.bc_app.changed(Changed.RUNS)
        runs = counted(len(receipt.run_ids), "run")
        what = what if len(receipt.job_ids) == 1 and what else counted(len(receipt.job_ids), "job")
        # One review notice at a time: reviewing job after job must not bury the panes in
        # toasts (other notices, a fetch error, stay)
        self.bc_app.notify_replacing("review", f"Reviewed {runs} of {what}. ctrl+z undoes.", 4)
        self.refresh_bindings()

    def action_back(self) -> None:
        """enter goes right (jobs → runs → the run); escape comes back one pane, and from
        the filter box back to the jobs."""
        jobs = self.query_one("#jobs", KeyedTable)
        runs = self.query_one("#runs", KeyedTable)
        focused = self.focused
        if focused is runs:
            jobs.focus()
        elif isinstance(focused, Input):
            focused.display = False
            jobs.focus()
        elif focused is not None and focused is not jobs:
            runs.focus()

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_undo(self) -> None:
        """Undo the last review."""
        receipt = self.last_review
        if receipt is None:
            return
        count = await self.io(self.services.undo_review, receipt)
        self.last_review = None
        self._keep_next = receipt.job_ids[0] if receipt.job_ids else None
        self.bc_app.changed(Changed.RUNS)
        self.notify(f"Undone: {counted(count, 'run')} back in the queue.")
        self.refresh_bindings()

    def action_toggle_select(self) -> None:
        """Select or unselect the current job, then move down."""
        jobs = self.query_one("#jobs", KeyedTable)
        job_id = jobs.current_key
        if job_id is None or job_id not in self.rows:
            return
        if job_id in self.selected:
            del self.selected[job_id]
        else:
            self.selected[job_id] = self.rows[job_id].max_run_id
        jobs.update_cell(
            str(job_id), jobs.ordered_columns[0].key, self._job_cells(self.rows[job_id])[0]
        )
        jobs.action_cursor_down()
        self._update_header()

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_select_successful(self) -> None:
        """Select every job in the (filtered) queue whose runs all succeeded."""
        ok = await self.io(self.services.successful_jobs, self.flt)
        self.selected.update(ok)
        self.reload()
        self.notify(f"Selected {counted(len(ok), 'job')} with only successful runs.")

    def apply_filter(self, text: str) -> None:
        """Filter the list by `text`."""
        self.flt = replace(self.flt, text=text)
        self.reload()

    def action_filter_status(self) -> None:
        """Cycle the status filter."""
        self.status_filter = (self.status_filter + 1) % len(STATUS_FILTERS)
        self.flt = replace(self.flt, statuses=STATUS_FILTERS[self.status_filter][1])
        self.reload()

    def action_sort(self) -> None:
        """Cycle the sort order."""
        self.flt = replace(self.flt, sort=self.flt.sort.next())
        self.reload()

    def action_toggle_reviewed(self) -> None:
        """Admin: include reviewed runs."""
        self.flt = replace(self.flt, include_reviewed=not self.flt.include_reviewed)
        self.runs_of = None  # the run list reads other runs now
        self.reload()
        self.refresh_bindings()

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_unmark(self) -> None:
        """Admin: put the current job's last review back in the queue."""
        job_id = self._current_job()
        if job_id is None:
            return
        try:
            count = await self.io(self.services.unmark_job, job_id)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.bc_app.changed(Changed.RUNS)
        self.notify(f"Unmarked {counted(count, 'run')}.")

    def action_refresh(self) -> None:
        """Reload from the database."""
        self.reload()
