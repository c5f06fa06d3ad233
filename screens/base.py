"""The base of every area screen, and the one way screens reach the database.

The pattern, followed by every screen and dialog:

- **State lives in the screen** as reactives (the current job, run, ticket; the filter,
  sort, selection) and is bound down to pane widgets, which render the typed view data they
  are given (`data_bind`, or a reactive set by the screen) and post small messages up.
- **Every read runs in a thread worker**, exclusive per pane (``@work(thread=True,
  exclusive=True, group="runs", exit_on_error=False)``): a newer cursor position cancels
  the older load, whose result is dropped. The worker calls `self.services` (the facade,
  `backupchecks_tui.api.Services`) and posts a `Loaded` message carrying what it read and
  for which state it read it; the handler applies it only if the state still matches.
  A pane that waits longer than `LOADING_AFTER` shows Textual's loading indicator
  (`begin_loading` / `end_loading`); quick loads never flash it.
- **Writes and dialog conversations** run in async workers (``@work(exclusive=True,
  group="act")``) and make each service call with ``await self.io(call, …)``, which runs
  it in a thread: the event loop never waits on the database, and the conversation reads
  top to bottom (confirm → write → ask → write).
- **Failures** of any worker reach one handler, the app's ``on_worker_state_changed``,
  which shows the one-line error; our own errors (refused, invalid input) are caught where
  the conversation can say something better.
- **Changes are signalled, not called**: after a review, a fetch, a new ticket… the code
  that changed the data calls ``self.bc_app.changed(Changed.RUNS | …)``; every area screen
  is subscribed and reloads what it shows (the current one now, the others when next shown),
  keeping its cursor on the same job, run or item.

Nothing here or in the screens imports the store, SQLAlchemy or the parsers; a test fails
any SQL statement issued from the event-loop thread while the app runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, TypeVar

from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input
from textual.worker import Worker

from backupchecks_tui.domain import Changed

if TYPE_CHECKING:
    from backupchecks_tui.api import Services
    from screens.app import BackupChecksApp

P = ParamSpec("P")
T = TypeVar("T")

LOADING_AFTER = 0.25
"""Seconds a pane may wait for its data before it shows the loading indicator."""


class Loaded(Message):
    """Base of the messages a screen's load worker posts with the data it read."""


def report_worker_failure(node: Widget | Screen[Any], event: Worker.StateChanged) -> None:
    """Hand a failed worker's state change to the app's one handler: worker messages do
    not bubble, so every screen and dialog with workers calls this from its
    `on_worker_state_changed`."""
    handler = getattr(node.app, "on_worker_state_changed", None)
    if callable(handler):
        handler(event)


class AreaScreen(Screen[None]):
    """A mode's screen (Run Checks, Daily Jobs, Tickets, …).

    Screens with a text filter name its Input in FILTER and their main list in LIST,
    and implement `apply_filter`; `/` (action_filter_text) and enter are handled here.
    Screens that show data implement `refresh_data`, called when the data they show
    changed (see the module's docstring).
    """

    FILTER: ClassVar[str] = ""
    LIST: ClassVar[str] = ""
    SHOWS: ClassVar[Changed] = Changed.EVERYTHING
    """What this screen shows: a change elsewhere reloads it only when it touches these."""

    def __init__(self) -> None:
        super().__init__()
        self._stale = Changed(0)
        self._loading: dict[Widget, Timer] = {}

    @property
    def bc_app(self) -> BackupChecksApp:
        """The app, typed."""
        from screens.app import BackupChecksApp  # noqa: PLC0415 - import cycle

        assert isinstance(self.app, BackupChecksApp)
        return self.app

    @property
    def services(self) -> Services:
        """The services facade: call it from workers only (it does I/O)."""
        return self.bc_app.services

    # ------------------------------------------------------------- off the loop
    async def io(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run one blocking service call in a thread and return its result (or raise its
        error) to the awaiting async worker."""
        app = self.bc_app
        app.pending_io += 1
        try:
            return await asyncio.to_thread(call, *args, **kwargs)
        finally:
            app.pending_io -= 1

    def begin_loading(self, pane: Widget) -> None:
        """`pane` waits for data: show the loading indicator if it waits long."""
        if pane in self._loading:
            return

        def show() -> None:
            if pane in self._loading:
                pane.loading = True

        self._loading[pane] = self.set_timer(LOADING_AFTER, show)

    def end_loading(self, pane: Widget) -> None:
        """`pane` has its data."""
        timer = self._loading.pop(pane, None)
        if timer is not None:
            timer.stop()
        if pane.loading:
            pane.loading = False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Worker messages do not bubble: hand this screen's to the app's one handler."""
        report_worker_failure(self, event)

    # ------------------------------------------------------------- data changed
    def on_mount(self) -> None:
        """Listen for the app's "data changed" signal."""
        self.bc_app.data_changed.subscribe(self, self._data_changed)

    def _data_changed(self, what: Changed) -> None:
        if not what & self.SHOWS:
            return
        if self.is_current:
            self.refresh_data(what)
        else:
            self._stale |= what

    def on_screen_resume(self) -> None:
        """Back from another mode: reload what changed meanwhile."""
        stale, self._stale = self._stale, Changed(0)
        if stale:
            self.refresh_data(stale)

    def refresh_data(self, what: Changed) -> None:
        """Reload what this screen shows after `what` changed (screens override this)."""

    # ------------------------------------------------------------- filter box
    def action_filter_text(self) -> None:
        """Show the filter box and type into it."""
        box = self.query_one(f"#{self.FILTER}", Input)
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Apply the filter and hide the box: the header names the active filter, and the
        three lines are worth more to the list at 80×24; `/` brings it back to edit."""
        if not self.FILTER or event.input.id != self.FILTER:
            return
        event.stop()
        text = event.value.strip()
        event.input.display = False
        self.apply_filter(text)
        self.query_one(f"#{self.LIST}").focus()

    def apply_filter(self, text: str) -> None:
        """Filter the list by `text` (screens with a FILTER override this)."""
