"""Run Checks: the daily queue of unreviewed runs, grouped by job. Goal: an empty queue."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
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

from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.roles import Action, Role
from backupchecks_tui.services import checks, customers, overrides, review
from backupchecks_tui.services.review import ReviewReceipt
from screens.commands import Command, bindings
from screens.dialogs import ConfirmDialog, PromptDialog
from screens.override_dialog import OverrideDialog
from screens.run_follow_up import FOLLOW_UP_COMMANDS, CoverList, RunFollowUp
from screens.widgets.key_bar import KeyBar
from screens.widgets.queue_cells import job_cells, name_widths, run_cells
from screens.widgets.run_detail import RunDetailView
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable
from screens.widgets.words import counted
from store.queries import STATUS_RANK, QueueFilter, QueueRow

PAGE = 300
FIRST_PAGE = 100  # a (re)load with the cursor near the top: a screenful or two, fast
FOLLOW_DELAY = 0.08
NARROW = 120
STATUS_FILTERS: list[tuple[str, frozenset[str]]] = [
    ("all", frozenset()),
    ("failed + missed", frozenset({"failed", "missed"})),
    ("warning", frozenset({"warning"})),
    ("success", frozenset({"success"})),
]
SORTS = ["status", "customer", "age"]

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


def worst_run_index(rows: list[checks.RunRow]) -> int:
    """The newest of the job's worst runs: the one that put the job where it is in the queue
    (a job that failed on Sunday and succeeded on Monday opens on Sunday's failure)."""
    worst = max((STATUS_RANK.get(r.status, 0) for r in rows), default=0)
    return next((i for i, r in enumerate(rows) if STATUS_RANK.get(r.status, 0) == worst), 0)


class RunChecksScreen(RunFollowUp):
    """Jobs with unreviewed runs | runs of the job | the run."""

    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Run Checks"
    FILTER = "filter"
    LIST = "jobs"
    AUTO_FOCUS = "#jobs"

    def __init__(self) -> None:
        super().__init__()
        self.flt = QueueFilter()
        self.rows: dict[int, QueueRow] = {}
        self.marks: dict[int, tuple[bool, bool]] = {}
        self.loaded = 0
        self.total_jobs = 0
        self.total_runs = 0
        self.selected: dict[int, int] = {}
        self.last_review: ReviewReceipt | None = None
        self.status_filter = 0
        self.runs_of: int | None = None
        self.widths = name_widths(0)
        """Customer and job column widths, from the width of the jobs pane."""
        """The job whose runs the run list shows."""
        self._pending: tuple[str, int | None] | None = None
        self._timer: Timer | None = None
        self._last_move = 0.0

    def compose(self) -> ComposeResult:
        """Status bar, queue header, filter input, three panes, footer."""
        yield StatusBar()
        yield Static(id="queue-header")
        yield Input(placeholder="filter jobs: customer, job, product, sender", id="filter")
        if self.bc_app.workspace.actor.role is Role.VIEWER:
            yield Static(
                Text(
                    "Viewers cannot open Run Checks: reviewing is for Operators and Admins. "
                    "Ask an Admin: backupchecks-tui operator add "
                    f"{self.bc_app.workspace.actor.login} --role operator",
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
                    yield RunDetailView(id="detail")
        yield KeyBar()

    def on_mount(self) -> None:
        """Set up the tables and load the queue."""
        if self.bc_app.workspace.actor.role is Role.VIEWER:
            return
        jobs = self.query_one("#jobs", KeyedTable)
        # Text labels: no markup to parse, so no emoji table to load while starting
        jobs.add_columns(*map(Text, [" ", "Status", "Customer", "Job", "Runs", "Age", "Product"]))
        runs = self.query_one("#runs", KeyedTable)
        runs.add_columns(*map(Text, ["Day", "Status", "Start", "Objects", "Message"]))
        self.query_one("#filter", Input).display = False
        self.query_one("#covering", CoverList).display = False
        # Load after the first layout: the rows are drawn once, at their final widths (and
        # after the ScreenResume already queued, which then has nothing to reload).
        self.call_after_refresh(self.reload)
        jobs.focus()

    def on_screen_resume(self) -> None:
        """Back from another mode: tickets, remarks or overrides may have changed the queue."""
        if self.loaded:
            self.reload()

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

    # ------------------------------------------------------------------ loading
    def reload(self, keep_job: int | None = None, *, refit: bool = False) -> None:
        """Reload the queue from the first page, keeping the cursor on `keep_job`;
        `refit` after the name columns changed width."""
        if self.bc_app.workspace.actor.role is Role.VIEWER:
            return
        jobs = self.query_one("#jobs", KeyedTable)
        current = keep_job if keep_job is not None else jobs.current_key
        size = FIRST_PAGE if jobs.cursor_row < FIRST_PAGE - 20 else PAGE
        page = checks.load_queue(self.bc_app.workspace.engine, self.flt, limit=size)
        self.rows = {row.job_id: row for row in page.rows}
        self.marks = self.bc_app.markers([row.job_id for row in page.rows])
        self.loaded = len(page.rows)
        self.total_jobs, self.total_runs = page.jobs, page.runs
        with self.prevent(DataTable.RowHighlighted):  # the job is shown right below
            jobs.fill([(r.job_id, self._job_cells(r)) for r in page.rows], current, refit=refit)
        self._pending = None
        self._update_header()
        self._show_job(jobs.current_key)
        self.refresh_bindings()  # r, space, a, t, m, s depend on the queue having rows

    def _load_more(self) -> None:
        if self.loaded >= self.total_jobs:
            return
        page = checks.load_queue(
            self.bc_app.workspace.engine, self.flt, limit=PAGE, offset=self.loaded
        )
        fresh = [r for r in page.rows if r.job_id not in self.rows]
        self.rows.update({r.job_id: r for r in fresh})
        self.marks.update(self.bc_app.markers([r.job_id for r in fresh]))
        self.loaded += len(page.rows)
        self.query_one("#jobs", KeyedTable).append([(r.job_id, self._job_cells(r)) for r in fresh])

    def _job_cells(self, row: QueueRow) -> list[Text | str]:
        return job_cells(
            row,
            selected=row.job_id in self.selected,
            marks=self.marks.get(row.job_id, (False, False)),
            ascii_only=self.bc_app.workspace.ascii_only,
            today=self.bc_app.today(),
            widths=self.widths,
        )

    def _update_header(self) -> None:
        parts = [f"{counted(self.total_jobs, 'job')} · {counted(self.total_runs, 'run')} to review"]
        if self.total_jobs == 0 and not self.flt.text and not self.flt.statuses:
            parts = ["Queue empty: every run is reviewed. Daily Jobs (2) shows what is still due."]
        parts.append(f"sort: {self.flt.sort}")
        if self.flt.statuses:
            parts.append(f"status: {STATUS_FILTERS[self.status_filter][0]}")
        if self.flt.text:
            parts.append(f"filter: {self.flt.text!r}")
        if self.flt.include_reviewed:
            parts.append("including reviewed")
        if self.selected:
            parts.append(f"{len(self.selected)} selected")
        self.query_one("#queue-header", Static).update(Text("  ·  ".join(parts), style="bold"))

    def _show_job(self, job_id: int | None) -> None:
        runs = self.query_one("#runs", KeyedTable)
        if job_id is None:
            runs.clear()
            self.runs_of = None
            self._show_run(None)
            return
        rows = checks.job_runs(
            self.bc_app.workspace.engine, job_id, include_reviewed=self.flt.include_reviewed
        )
        # the same job again (after a mark or a link): stay on the run acted on
        keep = runs.current_key if job_id == self.runs_of else None
        self.runs_of = job_id
        with self.prevent(DataTable.RowHighlighted):
            self._fill_runs(runs, rows, keep)
        self._show_run(runs.current_key)

    def _fill_runs(self, runs: KeyedTable, rows: list[checks.RunRow], keep: int | None) -> None:
        ascii_only = self.bc_app.workspace.ascii_only
        zone = self.bc_app.zone
        runs.fill([(r.id, run_cells(r, zone, ascii_only=ascii_only)) for r in rows], keep=keep)
        if keep is None or runs.current_key != keep:
            runs.move_cursor(row=worst_run_index(rows), animate=False)

    def _show_run(self, run_id: int | None) -> None:
        detail = checks.run_detail(self.bc_app.workspace.engine, run_id) if run_id else None
        self.query_one("#detail", RunDetailView).show(
            detail, self.bc_app.zone, ascii_only=self.bc_app.workspace.ascii_only
        )
        self.show_covering(run_id)

    @on(DataTable.RowHighlighted, "#jobs")
    def _job_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        self._pending = ("job", int(key) if key is not None else None)
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
        """Fill the run list and detail shortly after the cursor stops.

        A single move is followed right after the cursor has painted; while j/k is held
        (moves closer than FOLLOW_DELAY) the panes follow FOLLOW_DELAY after the last
        move instead of being redrawn for every row passed.
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
        actor = self.bc_app.workspace.actor
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

    def _current_job(self) -> int | None:
        return self.query_one("#jobs", KeyedTable).current_key

    def action_review(self) -> None:
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
            receipt = review.review_jobs(
                self.bc_app.workspace.engine, self.bc_app.workspace.actor, seen
            )
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.last_review = receipt
        self.selected.clear()
        jobs = self.query_one("#jobs", KeyedTable)
        index = jobs.cursor_row
        self.reload(keep_job=-1)
        if jobs.row_count:
            jobs.move_cursor(row=min(index, jobs.row_count - 1), animate=False)
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

    def action_undo(self) -> None:
        """Undo the last review."""
        if self.last_review is None:
            return
        count = review.undo_review(
            self.bc_app.workspace.engine, self.bc_app.workspace.actor, self.last_review
        )
        job = self.last_review.job_ids[0] if self.last_review.job_ids else None
        self.last_review = None
        self.reload(keep_job=job)
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

    def action_select_successful(self) -> None:
        """Select every job in the (filtered) queue whose runs all succeeded."""
        flt = replace(self.flt, statuses=frozenset())
        page = checks.load_queue(self.bc_app.workspace.engine, flt)
        ok = {r.job_id: r.max_run_id for r in page.rows if r.worst_status == "success"}
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
        nxt = SORTS[(SORTS.index(self.flt.sort) + 1) % len(SORTS)]
        self.flt = replace(self.flt, sort=nxt)  # type: ignore[arg-type]
        self.reload()

    def action_toggle_reviewed(self) -> None:
        """Admin: include reviewed runs."""
        self.flt = replace(self.flt, include_reviewed=not self.flt.include_reviewed)
        self.reload()
        self.refresh_bindings()

    def action_unmark(self) -> None:
        """Admin: put the current job's last review back in the queue."""
        job_id = self._current_job()
        if job_id is None:
            return
        try:
            count = review.unmark_job(
                self.bc_app.workspace.engine, self.bc_app.workspace.actor, job_id
            )
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.reload(keep_job=job_id)
        self.notify(f"Unmarked {counted(count, 'run')}.")

    def action_refresh(self) -> None:
        """Reload from the database."""
        self.reload()

    @work
    async def action_mark_success(self) -> None:
        """Mark the current run as success, then ask about an override for future runs."""
        ws = self.bc_app.workspace
        run_id = self.query_one("#runs", KeyedTable).current_key
        if run_id is None:
            return
        detail = checks.run_detail(ws.engine, run_id)
        if detail.run.status not in {"warning", "failed"}:
            self.notify(
                "Only a warning or failed run can be marked as success.", severity="warning"
            )
            return
        try:
            overrides.mark_success(ws.engine, ws.actor, run_id)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self._reload_keeping_run(detail.job_id, run_id)
        choice = await self.app.push_screen_wait(
            OverrideDialog(ws.engine, detail, self.bc_app.zone)
        )
        if choice is None or choice.spec is None:
            self.notify("Marked as success (this run only).")
            return
        await self._save_override(choice.spec, detail.job_id)

    async def _save_override(self, spec: overrides.OverrideSpec, job_id: int) -> None:
        ws = self.bc_app.workspace
        try:
            rule = overrides.create_override(ws.engine, ws.actor, spec)
            assert rule.id is not None
            count = overrides.count_retroactive(ws.engine, rule.id)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        message = f"Override #{rule.id} saved."
        if count:
            question = (
                f"Override #{rule.id} would turn {count} unreviewed runs into success. Apply now?"
            )
            if await self.app.push_screen_wait(ConfirmDialog(question)):
                applied = overrides.apply_retroactive(ws.engine, ws.actor, rule.id)
                message += f" Applied to {counted(applied, 'run')}."
        self.reload(keep_job=job_id)
        self.notify(message)

    def _reload_keeping_run(self, job_id: int, run_id: int) -> None:
        self.reload(keep_job=job_id)
        runs = self.query_one("#runs", KeyedTable)
        if str(run_id) in runs.rows:
            runs.move_cursor(row=runs.get_row_index(str(run_id)), animate=False)
            self._show_run(run_id)

    @work
    async def action_assign_customer(self) -> None:
        """Ask for the customer (prefilled with the suggestion) and map the job's sender."""
        job_id = self._current_job()
        if job_id is None:
            return
        engine = self.bc_app.workspace.engine
        suggestion = customers.suggestion_for(engine, job_id)
        answer = await self.app.push_screen_wait(PromptDialog("Customer for this job", suggestion))
        if not answer.value:
            return
        try:
            rule = customers.assign_job(engine, self.bc_app.workspace.actor, job_id, answer.value)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.reload(keep_job=job_id)
        self.notify(f"Reports from {rule} now belong to {answer.value}.")

    @work
    async def action_export_mail(self) -> None:
        """Ask for a path and export the current run's mail there."""
        run_id = self.query_one("#runs", KeyedTable).current_key
        if run_id is None:
            self.notify("No run selected.", severity="warning")
            return
        default = str(Path.cwd() / f"run-{run_id}.eml")
        result = await self.app.push_screen_wait(PromptDialog("Export the mail to", default))
        if not result.value:
            return
        try:
            size = checks.export_run_mail(self.bc_app.workspace.engine, run_id, Path(result.value))
        except (BackupChecksError, OSError) as error:
            message = error.line if isinstance(error, BackupChecksError) else str(error)
            self.notify(message, severity="error", title="Export failed")
            return
        self.notify(f"Wrote {size} bytes to {result.value}")
