"""The "apply an override to future runs?" dialog: a typed result, fully keyboard-driven."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.safe_text import clean, one_line
from backupchecks_tui.services import overrides
from backupchecks_tui.services.checks import RunDetail
from store.models import Override

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy import Engine

SCOPES = [("Only this run (no future effect)", "run"), ("This job", "job"), ("All jobs", "all")]
STATUSES = [("Warning", "warning"), ("Failed", "failed"), ("Warning or failed", "any")]
MATCHES = [
    ("contains", "contains"),
    ("is exactly", "exact"),
    ("starts with", "starts"),
    ("ends with", "ends"),
    ("matches regex", "regex"),
]
DURATIONS = [
    ("1 week", "week"),
    ("1 month", "month"),
    ("Permanent", "permanent"),
    ("Until a date…", "date"),
]


@dataclass(frozen=True)
class OverrideChoice:
    """The dialog's result: a spec to save, or None for "only this run"."""

    spec: overrides.OverrideSpec | None


class OverrideDialog(ModalScreen[OverrideChoice | None]):
    """Scope, match (status, object, text), duration and reason, with a live preview."""

    AUTO_FOCUS = "#ov-scope"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    def __init__(
        self, engine: Engine, detail: RunDetail, zone: ZoneInfo, initial: Override | None = None
    ) -> None:
        super().__init__()
        self.engine = engine
        self.detail = detail
        self.zone = zone
        self.initial = initial
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
        problem = next((o for o in self.detail.objects if o.status != "success"), None)
        status = self.detail.run.reported_status
        with VerticalScroll(classes="dialog override-dialog"):
            title = (
                f"Edit override #{self.initial.id}"
                if self.initial
                else "Apply an override to future runs?"
            )
            yield Label(Text(title, style="bold"))
            yield Label(Text("Scope"))
            yield Select(SCOPES, value="job", allow_blank=False, id="ov-scope", compact=True)
            yield Label(Text("Status that must match"))
            yield Select(
                STATUSES,
                value=status if status in {"warning", "failed"} else "any",
                allow_blank=False,
                id="ov-status",
                compact=True,
            )
            yield Label(Text("Object name (empty = any object)"))
            yield Input(
                value=self._prefill("#ov-object", problem.name) if problem else "",
                id="ov-object",
                compact=True,
            )
            yield Label(Text("Error text"))
            with Horizontal(classes="ov-row"):
                yield Select(
                    MATCHES, value="contains", allow_blank=False, id="ov-match", compact=True
                )
                yield Input(
                    value=self._prefill("#ov-text", problem.message, 200) if problem else "",
                    id="ov-text",
                    compact=True,
                )
            yield Static(id="ov-preview")
            yield Label(Text("Duration"))
            with Horizontal(classes="ov-row"):
                yield Select(
                    DURATIONS, value="month", allow_blank=False, id="ov-duration", compact=True
                )
                yield Input(placeholder="YYYY-MM-DD", id="ov-until", compact=True)
            yield Label(Text("Reason (required for all jobs)"))
            yield Input(
                placeholder="why this is known and safe to silence", id="ov-reason", compact=True
            )
            yield Static(id="ov-error")
            with Horizontal(classes="ov-row"):
                yield Button("Save (ctrl+s)", variant="primary", id="ov-save", compact=True)
                yield Button("Only this run (esc)", id="ov-cancel", compact=True)

    def on_mount(self) -> None:
        """Fill in an override being edited, then the first preview."""
        rule = self.initial
        if rule is not None:
            self.query_one("#ov-scope", Select).value = rule.scope
            self.query_one("#ov-status", Select).value = rule.match_status
            self.query_one("#ov-object", Input).value = self._prefill(
                "#ov-object", rule.object_name
            )
            self.query_one("#ov-match", Select).value = rule.text_match
            self.query_one("#ov-text", Input).value = self._prefill("#ov-text", rule.text_pattern)
            self.query_one("#ov-reason", Input).value = one_line(rule.reason)
            if rule.valid_until is None:
                self.query_one("#ov-duration", Select).value = "permanent"
            else:
                self.query_one("#ov-duration", Select).value = "date"
                until = rule.valid_until.astimezone(self.zone).date().isoformat()
                self.query_one("#ov-until", Input).value = until
        self._refresh_preview()

    def _value(self, widget_id: str) -> str:
        widget = self.query_one(widget_id)
        if isinstance(widget, Select):
            return str(widget.value)
        assert isinstance(widget, Input)
        filled, raw = self.prefilled.get(widget_id, ("", ""))
        return raw if filled and widget.value == filled else widget.value

    def spec(self) -> overrides.OverrideSpec:
        """The form as a spec (raises BackupChecksError on a bad date)."""
        duration: overrides.Duration = self._value("#ov-duration")  # type: ignore[assignment]
        if duration == "date":
            try:
                duration = date.fromisoformat(self._value("#ov-until").strip())
            except ValueError:
                raise overrides.OverrideError("Give the end date as YYYY-MM-DD.") from None
        return overrides.OverrideSpec(
            scope=self._value("#ov-scope"),
            job_id=self.initial.job_id if self.initial else self.detail.job_id,
            run_id=self.detail.run.id,
            match_status=self._value("#ov-status"),
            object_name=self._value("#ov-object").strip(),
            text_match=self._value("#ov-match"),
            text_pattern=self._value("#ov-text"),
            duration=duration,
            reason=self._value("#ov-reason").strip(),
            source_run_id=self.detail.run.id,
            zone=self.zone,
        )

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._refresh_preview()

    def _refresh_preview(self) -> None:
        preview = self.query_one("#ov-preview", Static)
        try:
            covered = overrides.preview(self.engine, self.spec(), self.detail.run.id)
        except BackupChecksError as error:
            preview.update(Text(f"✖ {clean(error.line)}", style="red"))
            return
        if not covered:
            preview.update(Text("Covers nothing in this run.", style="yellow"))
            return
        names = ", ".join(one_line(n, 40) for n in covered[:8])
        more = f" and {len(covered) - 8} more" if len(covered) > 8 else ""
        preview.update(Text(f"Covers in this run: {names}{more}", style="green"))

    @on(Button.Pressed, "#ov-save")
    def action_save(self) -> None:
        """Validate and return the spec."""
        try:
            spec = self.spec()
            if spec.scope != "run":
                overrides.validate(spec, datetime.now(UTC))
        except BackupChecksError as error:
            self.query_one("#ov-error", Static).update(Text(clean(error.line), style="bold red"))
            return
        self.dismiss(OverrideChoice(None if spec.scope == "run" else spec))

    @on(Button.Pressed, "#ov-cancel")
    def action_cancel(self) -> None:
        """No override: the mark applies to this run only."""
        self.dismiss(OverrideChoice(None))
