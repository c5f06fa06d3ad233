"""The "apply an override to future runs?" dialog: a typed result, fully keyboard-driven."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static
from textual.worker import Worker

from backupchecks_tui.domain import MatchStatus, OverrideScope, TextMatch
from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.safe_text import clean, one_line
from backupchecks_tui.views.overrides import Duration, OverrideDraft, OverrideSpec
from screens.base import report_worker_failure

SCOPES = [
    ("Only this run (no future effect)", OverrideScope.RUN.value),
    ("This job", OverrideScope.JOB.value),
    ("All jobs", OverrideScope.ALL.value),
]
STATUSES = [
    ("Warning", MatchStatus.WARNING.value),
    ("Failed", MatchStatus.FAILED.value),
    ("Warning or failed", MatchStatus.ANY.value),
]
MATCHES = [
    ("contains", TextMatch.CONTAINS.value),
    ("is exactly", TextMatch.EXACT.value),
    ("starts with", TextMatch.STARTS.value),
    ("ends with", TextMatch.ENDS.value),
    ("matches regex", TextMatch.REGEX.value),
]
DURATIONS = [
    ("1 week", "week"),
    ("1 month", "month"),
    ("Permanent", "permanent"),
    ("Until a date…", "date"),
]

Preview = Callable[[OverrideSpec], list[str]]
"""What a spec covers in the dialog's run (does I/O: run in a thread worker)."""


class DialogError(BackupChecksError):
    """The form cannot be read as an override (a bad end date)."""

    title = "Invalid override"


@dataclass(frozen=True)
class OverrideChoice:
    """The dialog's result: a spec to save, or None for "only this run"."""

    spec: OverrideSpec | None


class OverrideDialog(ModalScreen[OverrideChoice | None]):
    """Scope, match (status, object, text), duration and reason, with a live preview.

    `draft` says what the fields start with and which run the preview covers; `preview`
    is called in a thread worker as the operator types (the facade's preview, bound to the
    run); saving asks the services facade to validate the spec, in a thread too. The
    same dialog edits a saved override (a draft with `override_id`).
    """

    AUTO_FOCUS = "#ov-scope"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    class Previewed(Message):
        """What the preview worker found for one state of the form."""

        def __init__(self, spec: OverrideSpec, covered: list[str] | None, error: str) -> None:
            super().__init__()
            self.spec = spec
            self.covered = covered
            self.error = error

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed search or preview is the app's one-line error, as anywhere else."""
        report_worker_failure(self, event)

    def __init__(self, draft: OverrideDraft, preview: Preview, zone: tzinfo) -> None:
        super().__init__()
        self.draft = draft
        self.preview = preview
        self.zone = zone
        self.asked: OverrideSpec | None = None
        """The spec of the newest preview asked for: older answers are dropped."""
        # Input id → (what the field was filled with, the raw value behind it).
        self.prefilled: dict[str, tuple[str, str]] = {}

    def _prefill(self, widget_id: str, raw: str, limit: int = 0) -> str:
        """What an Input shows for a raw, mail-derived value (cleaned, one line).

        Remembered, so that a field left as it was filled matches with the raw value
        (an object name with a zero-width space in it still matches itself).
        """
        text = one_line(raw, limit)
        self.prefilled[widget_id] = (text, raw)
        return text

    def compose(self) -> ComposeResult:
        """The form."""
        draft = self.draft
        with VerticalScroll(classes="dialog override-dialog"):
            title = (
                f"Edit override #{draft.override_id}"
                if draft.editing
                else "Apply an override to future runs?"
            )
            yield Label(Text(title, style="bold"))
            yield Label(Text("Scope"))
            yield Select(SCOPES, value=draft.scope, allow_blank=False, id="ov-scope", compact=True)
            yield Label(Text("Status that must match"))
            yield Select(
                STATUSES,
                value=draft.match_status,
                allow_blank=False,
                id="ov-status",
                compact=True,
            )
            yield Label(Text("Object name (empty = any object)"))
            yield Input(
                value=self._prefill("#ov-object", draft.object_name),
                id="ov-object",
                compact=True,
            )
            yield Label(Text("Error text"))
            with Horizontal(classes="ov-row"):
                yield Select(
                    MATCHES, value=draft.text_match, allow_blank=False, id="ov-match", compact=True
                )
                yield Input(
                    value=self._prefill("#ov-text", draft.text_pattern, 200),
                    id="ov-text",
                    compact=True,
                )
            yield Static(id="ov-preview")
            yield Label(Text("Duration"))
            with Horizontal(classes="ov-row"):
                yield Select(
                    DURATIONS,
                    value="date" if isinstance(draft.duration, date) else draft.duration,
                    allow_blank=False,
                    id="ov-duration",
                    compact=True,
                )
                yield Input(
                    value=draft.duration.isoformat() if isinstance(draft.duration, date) else "",
                    placeholder="YYYY-MM-DD",
                    id="ov-until",
                    compact=True,
                )
            yield Label(Text("Reason (required for all jobs)"))
            yield Input(
                value=one_line(draft.reason),
                placeholder="why this is known and safe to silence",
                id="ov-reason",
                compact=True,
            )
            yield Static(id="ov-error")
            with Horizontal(classes="ov-row"):
                yield Button("Save (ctrl+s)", variant="primary", id="ov-save", compact=True)
                yield Button("Only this run (esc)", id="ov-cancel", compact=True)

    def on_mount(self) -> None:
        """The first preview."""
        self._refresh_preview()

    def _value(self, widget_id: str) -> str:
        widget = self.query_one(widget_id)
        if isinstance(widget, Select):
            return str(widget.value)
        assert isinstance(widget, Input)
        filled, raw = self.prefilled.get(widget_id, ("", ""))
        return raw if filled and widget.value == filled else widget.value

    def spec(self) -> OverrideSpec:
        """The form as a spec (raises BackupChecksError on a bad date)."""
        duration = cast("Duration", self._value("#ov-duration"))
        if duration == "date":
            try:
                duration = date.fromisoformat(self._value("#ov-until").strip())
            except ValueError:
                raise DialogError("Give the end date as YYYY-MM-DD.") from None
        draft = self.draft
        return OverrideSpec(
            scope=self._value("#ov-scope"),
            job_id=draft.job_id,
            run_id=draft.run_id,
            match_status=self._value("#ov-status"),
            object_name=self._value("#ov-object").strip(),
            text_match=self._value("#ov-match"),
            text_pattern=self._value("#ov-text"),
            duration=duration,
            reason=self._value("#ov-reason").strip(),
            source_run_id=draft.run_id,
            zone=self.zone,
        )

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._refresh_preview()

    def _refresh_preview(self) -> None:
        try:
            spec = self.spec()
        except BackupChecksError as error:
            self.asked = None
            self._show_preview(None, error.line)
            return
        self.asked = spec
        self._preview(spec)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _preview(self, spec: OverrideSpec) -> None:
        """Ask what `spec` covers in the run (off the event loop)."""
        try:
            covered: list[str] | None = self.preview(spec)
            error = ""
        except BackupChecksError as failure:
            covered, error = None, failure.line
        self.post_message(self.Previewed(spec, covered, error))

    @on(Previewed)
    def _previewed(self, message: Previewed) -> None:
        if message.spec == self.asked:
            self._show_preview(message.covered, message.error)

    def _show_preview(self, covered: list[str] | None, error: str) -> None:
        preview = self.query_one("#ov-preview", Static)
        if covered is None:
            preview.update(Text(f"✖ {clean(error)}", style="red"))
            return
        if not covered:
            preview.update(Text("Covers nothing in this run.", style="yellow"))
            return
        names = ", ".join(one_line(n, 40) for n in covered[:8])
        more = f" and {len(covered) - 8} more" if len(covered) > 8 else ""
        preview.update(Text(f"Covers in this run: {names}{more}", style="green"))

    @on(Button.Pressed, "#ov-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @work(exclusive=True, group="save", exit_on_error=False)
    async def action_save(self) -> None:
        """Validate (through the services facade, in a thread) and return the spec."""
        from screens.app import BackupChecksApp  # noqa: PLC0415 - import cycle

        app = self.app
        assert isinstance(app, BackupChecksApp)
        try:
            spec = self.spec()
            app.pending_io += 1
            try:
                await asyncio.to_thread(app.services.validate_override, spec)
            finally:
                app.pending_io -= 1
        except BackupChecksError as error:
            self.query_one("#ov-error", Static).update(Text(clean(error.line), style="bold red"))
            return
        self.dismiss(OverrideChoice(None if spec.scope == OverrideScope.RUN else spec))

    @on(Button.Pressed, "#ov-cancel")
    def action_cancel(self) -> None:
        """No override: the mark applies to this run only."""
        self.dismiss(OverrideChoice(None))
