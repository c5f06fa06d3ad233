"""The Textual application: one mode per area, app-wide keys, help and palette."""

from __future__ import annotations

import asyncio
import gc
import importlib
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.notifications import Notification, Notify, SeverityLevel
from textual.reactive import reactive
from textual.signal import Signal
from textual.worker import Worker, WorkerFailed, WorkerState

from backupchecks_tui.api import Services
from backupchecks_tui.domain import Changed, ItemKind
from backupchecks_tui.errors import BackupChecksError, unexpected_line
from backupchecks_tui.roles import Action
from backupchecks_tui.safe_text import clean, one_line
from backupchecks_tui.views.app import AuditEntry, FetchSummary
from screens.commands import Command, CommandsProvider, bindings
from screens.dialogs import HelpScreen, TableScreen
from screens.run_checks import RunChecksScreen

if TYPE_CHECKING:
    from textual.screen import Screen


def _on_first_use(module: str, name: str) -> Callable[[], Screen[Any]]:
    """A mode's screen whose module loads when the mode is first shown: starting imports
    only the default mode's (Run Checks); the others' cost comes after the first paint."""

    def make() -> Screen[Any]:
        screen: type[Screen[Any]] = getattr(importlib.import_module(module), name)
        return screen()

    return make


APP_COMMANDS = [
    Command("switch_mode('checks')", "1", "Run Checks", "The queue of runs to review."),
    Command("switch_mode('daily')", "2", "Daily Jobs", "Each job's status per day."),
    Command("switch_mode('tickets')", "3", "Tickets", "Follow-up of known problems."),
    Command("switch_mode('remarks')", "4", "Remarks", "Notes on customers, jobs, objects."),
    Command("switch_mode('overrides')", "5", "Overrides", "Rules that silence known noise."),
    Command("switch_mode('inbox')", "6", "Inbox", "Mail no parser could read."),
    Command("fetch", "f", "Fetch", "Fetch new report mail from the IMAP server now."),
    Command("help", "question_mark", "Help", "Every key of this screen.", key_display="?"),
    Command("quit", "q", "Quit", "Leave the app."),
    Command(
        "audit", "A", "Audit log", "Admin: who reviewed, marked and overrode what.", show=False
    ),
]


MISSED_EVERY_SECONDS = 600
MISSED_FIRST_AFTER_SECONDS = 2.0
"""The first missed-run pass waits until the queue is on screen and answering keys: it
runs in a thread, and threads share the GIL with the UI."""


SETTLE_AFTER_SECONDS = 1.0
"""When the heap built while starting is set aside from garbage collection (see _freeze)."""
_frozen: set[str] = set()


def _freeze(stage: str, *, collect: bool = False) -> None:
    """Move what exists now out of the garbage collector's way, once per process and stage.

    "imports": modules, classes, SQLAlchemy and Textual internals; full collections that
    scan them cost a quarter of a second while starting. "started": the screens, styles
    and caches of a running app, which live as long as it does; a full collection that
    scans them stalls a keystroke or a review by 0.1–0.15 s on a big queue. Collected
    first, so no garbage of the start is kept; what is frozen and later dropped inside a
    reference cycle (a footer key replaced) stays: bounded, once per process.
    """
    if stage not in _frozen:
        _frozen.add(stage)
        if collect:
            gc.collect()
        gc.freeze()


class BackupChecksApp(App[None]):
    """backupchecks-tui: review backup reports from the keyboard."""

    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "backupchecks-tui"
    MODES: ClassVar = {
        "checks": RunChecksScreen,
        "tickets": _on_first_use("screens.tickets", "TicketsScreen"),
        "remarks": _on_first_use("screens.remarks", "RemarksScreen"),
        "overrides": _on_first_use("screens.overrides", "OverridesScreen"),
        "inbox": _on_first_use("screens.inbox", "InboxScreen"),
        "daily": _on_first_use("screens.daily_jobs", "DailyJobsScreen"),
    }
    DEFAULT_MODE = "checks"
    COMMAND_LIST: ClassVar[list[Command]] = APP_COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings(APP_COMMANDS),
        Binding("ctrl+c", "quit", show=False),
    ]
    COMMANDS: ClassVar = {CommandsProvider}

    last_fetch: reactive[str] = reactive("")
    """When mail was last fetched, for the status bar (read in a worker)."""
    activity: reactive[str] = reactive("")
    """Background work in progress (a fetch), for the status bar."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.session = services.session
        self.zone = self.session.zone
        self.data_changed: Signal[Changed] = Signal(self, "data-changed")
        """Published after a review, a fetch, a new ticket…: every area screen reloads
        what it shows (see screens.base)."""
        _freeze("imports")
        self._keyed_notices: dict[str, Notification] = {}
        self.pending_io = 0
        """Service calls of async workers (screens.base.AreaScreen.io) now in a thread."""

    @property
    def busy(self) -> bool:
        """Whether the app waits on I/O: a thread worker running or a service call out."""
        return self.pending_io > 0 or any(
            worker.is_running and worker._thread_worker for worker in self.workers
        )

    def on_mount(self) -> None:
        """Look for missed runs soon and every few minutes; fetch on a timer if asked."""
        self.set_timer(SETTLE_AFTER_SECONDS, partial(_freeze, "started", collect=True))
        self.load_last_fetch()
        if not self.session.demo:  # the demo's clock stops at its Monday morning
            self.set_timer(MISSED_FIRST_AFTER_SECONDS, self.detect_missed)
            self.set_interval(MISSED_EVERY_SECONDS, self.detect_missed)
        minutes = self.session.fetch_interval_minutes
        if minutes and self.check_action("fetch", ()):
            self.set_interval(minutes * 60, self.action_fetch)

    def changed(self, what: Changed) -> None:
        """Say that `what` changed: the screens showing it reload."""
        self.data_changed.publish(what)
        if what & Changed.MAIL:
            self.load_last_fetch()

    @work(thread=True, exclusive=True, group="last-fetch", exit_on_error=False)
    def load_last_fetch(self) -> None:
        """Read when mail was last fetched, for the status bar."""
        when = self.services.last_fetch()
        self.call_from_thread(setattr, self, "last_fetch", when)

    @work(thread=True, exclusive=True, group="missed", exit_on_error=False)
    def detect_missed(self) -> None:
        """Create Missed runs for expected reports that never came (idempotent)."""
        created = self.services.detect_missed()
        if created:
            self.call_from_thread(self._missed_found, created)

    def _missed_found(self, count: int) -> None:
        self.notify(f"{count} expected runs did not report: marked Missed.", severity="warning")
        self.changed(Changed.RUNS)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Fetch only with a configured mailbox, outside the demo, for those who may."""
        if action == "audit":
            return self.session.actor.can(Action.VIEW_AUDIT)
        if action == "fetch":
            return self.session.can_fetch
        return True

    @work(thread=True, exclusive=True, group="fetch", exit_on_error=False)
    def action_fetch(self) -> None:
        """One IMAP pass in a thread; progress in the status bar, a summary at the end."""

        def progress(folder: str, done: int, total: int) -> None:
            self.call_from_thread(setattr, self, "activity", f"fetching {folder}: {done}/{total}")

        self.call_from_thread(setattr, self, "activity", "connecting…")
        try:
            outcome = self.services.fetch(progress)
        finally:
            self.call_from_thread(setattr, self, "activity", "")
        self.call_from_thread(self._fetched, outcome)

    @work(exclusive=True, group="audit", exit_on_error=False)
    async def action_audit(self) -> None:
        """Admin: the audit log of every audited action, newest first."""
        entries = await asyncio.to_thread(self.services.audit_log)
        self.push_screen(TableScreen("Audit log (newest first)", self._audit_table(entries)))

    def _audit_table(self, entries: list[AuditEntry]) -> Table:
        table = Table(box=None, header_style="bold", padding=(0, 1))
        for column in ("When", "Who", "Action", "Entity", "Details"):
            table.add_column(column)
        for event in entries:
            table.add_row(
                event.at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M"),
                Text(one_line(event.actor, 20)),
                Text(one_line(event.action, 40)),
                Text(one_line(f"{event.entity} {event.entity_id or ''}", 40)),
                Text(one_line(event.details, 120)),
            )
        return table

    def _fetched(self, outcome: FetchSummary) -> None:
        for line in outcome.warnings:
            self.notify(line, severity="warning", timeout=8)
        self.notify(
            f"{outcome.new} new mails ({outcome.parsed} parsed, {outcome.unparsed} unparsed, "
            f"{outcome.errors} errors)",
            title="Fetch done",
            severity="error" if outcome.errors else "information",
        )
        self.changed(Changed.EVERYTHING)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler of failed workers: a one-line notice, and the app goes on."""
        if event.state is not WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        self._keep_for_tests(error)
        self.show_unexpected(error, _doing(event.worker))

    def _keep_for_tests(self, error: BaseException) -> None:
        """Keep the error as Textual does for a failed handler: Pilot raises it when a
        test's app closes (it is not used otherwise), so no test passes over a failure."""
        if (
            self._exception is None
            and isinstance(error, Exception)
            and not isinstance(error, BackupChecksError)
        ):
            self._exception = error
            self._exception_event.set()

    @work(exclusive=True, group="open")
    async def open_item(self, kind: ItemKind, item_id: int) -> None:
        """Switch to Tickets or Remarks with the cursor on ticket / remark `item_id`."""
        from screens.remarks import RemarksScreen  # noqa: PLC0415 - loaded with its mode
        from screens.tickets import TicketsScreen  # noqa: PLC0415

        await self.switch_mode("tickets" if kind == ItemKind.TICKET else "remarks")
        screen = self.screen
        if isinstance(screen, (TicketsScreen, RemarksScreen)):
            screen.show_item(item_id)

    def today(self) -> date:
        """Today in the operator's time zone."""
        return self.services.today()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,  # noqa: ARG002 - notices are always plain text
    ) -> None:
        """Notices quote job, customer and ticket names, some of them from mails: they are
        shown literally (no markup, no control sequences), whatever the caller asked."""
        self._post_notice(message, title, severity, timeout)

    def notify_replacing(self, key: str, message: str, timeout: float | None = None) -> None:
        """An information notice that takes the place of the previous one with the same
        `key` (the notice of the last review), leaving every other notice where it is."""
        old = self._keyed_notices.get(key)
        if old is not None and old in self._notifications:
            self._unnotify(old)
        self._keyed_notices[key] = self._post_notice(message, "", "information", timeout)

    def _post_notice(
        self, message: str, title: str, severity: SeverityLevel, timeout: float | None
    ) -> Notification:
        """What App.notify does, as plain text, keeping the notice to take it back later."""
        notice = Notification(
            clean(message),
            clean(title),
            severity,
            self.NOTIFICATION_TIMEOUT if timeout is None else timeout,
            markup=False,
        )
        self.post_message(Notify(notice))
        return notice

    def show_error(self, error: BackupChecksError) -> None:
        """Show one of our errors as a notification with its title."""
        self.notify(error.line, title=error.title, severity="error", timeout=8)

    def show_unexpected(self, error: BaseException, doing: str) -> None:
        """Show any error as one line: ours with their title, others by type and place."""
        if isinstance(error, BackupChecksError):
            self.show_error(error)
            return
        self.notify(unexpected_line(error, doing), title="Unexpected error", severity="error")

    def _handle_exception(self, error: Exception) -> None:
        """The safety net under every handler and worker: never Textual's traceback.

        Textual's default prints a Rich traceback with locals on exit, and the locals of
        a failed login hold the IMAP password in clear. A worker that failed (the
        screens' database workers) is one notice and the app goes on; anything else
        still ends the app (its state is unknown), with one line instead of the
        traceback. Either way the error is kept, as Textual does, for Pilot to raise
        when a test's app closes (it is not used otherwise).
        """
        failed = error.error if isinstance(error, WorkerFailed) else error
        if self._exception is None:
            self._exception = failed if isinstance(failed, Exception) else error
            self._exception_event.set()
        if failed is not error:
            self.show_unexpected(failed, "A background task")
            return
        self._return_code = 1
        self.panic(Text(unexpected_line(error, "backupchecks-tui")))

    def action_help(self) -> None:
        """Show every key of the current screen and of the app."""
        screen = self.screen
        sections = [
            (screen.TITLE or "This screen", list(getattr(screen, "COMMAND_LIST", []))),
            ("Everywhere", [c for c in APP_COMMANDS if self.check_action(c.action, ())]),
            (
                "Moving",
                [
                    Command("", "up/down, j/k", "Move", "Move in the focused list."),
                    Command("", "tab", "Next pane", "Focus the next pane (shift+tab back)."),
                    Command(
                        "", "enter", "Open", "Go from a job to its runs, from a run to its detail."
                    ),
                    Command("", "ctrl+p", "Palette", "Search all commands."),
                ],
            ),
        ]
        self.push_screen(HelpScreen(screen.TITLE or "", sections))


def _doing(worker: Worker[object]) -> str:
    """What a failed worker was doing, for its one line: 'Loading runs'."""
    name = (worker.group if worker.group != "default" else worker.name) or "a background task"
    return name.replace("_", " ").replace("-", " ").strip().capitalize()
