"""Dialogs for follow-up: a fuzzy picker, a multi-line text editor, the ticket/remark form.

All of them are keyboard-first: type to narrow a picker and enter to take the highlighted
entry; in the editors ctrl+s (or F2, for terminals that swallow ctrl+s) saves, escape
cancels, tab moves to the next field. Every label built from stored text is a rich Text,
never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import (
    Input,
    Label,
    OptionList,
    RadioButton,
    RadioSet,
    SelectionList,
    TextArea,
)
from textual.widgets.option_list import Option
from textual.worker import Worker

from backupchecks_tui.domain import ItemKind
from backupchecks_tui.safe_text import clean, one_line
from screens.base import report_worker_failure
from screens.style import shown

K = TypeVar("K")

SAVE_KEYS = "ctrl+s,f2"
SAVE_HINT = "ctrl+s or F2 saves · tab next field · escape cancels"


class PickerDialog(ModalScreen[K | None], Generic[K]):
    """Pick one entry of a list narrowed by what is typed (fuzzy, ranked by `source`).

    `source(text)` returns (key, label) pairs, best first; up/down move the highlight while
    typing, enter takes it, escape cancels.

    **`source` runs in a thread worker** (exclusive: a newer text cancels the older
    search, whose result is dropped), so it may call the services facade (it may hit the
    database); it must not touch widgets. The list shows the entries when they arrive.
    """

    class Found(Message):
        """What `source` returned for `text`."""

        def __init__(self, text: str, entries: Sequence[tuple[Any, Text | str]]) -> None:
            super().__init__()
            self.text = text
            self.entries = entries

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
    ]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed search or preview is the app's one-line error, as anywhere else."""
        report_worker_failure(self, event)

    def __init__(
        self,
        title: str,
        source: Callable[[str], Sequence[tuple[K, Text | str]]],
        *,
        placeholder: str = "type to narrow the list",
        empty: str = "Nothing matches.",
        enter_needs_choice: bool = False,
    ) -> None:
        """`enter_needs_choice`: enter on an empty box before any up/down picks nothing
        (for choices that act at once, such as closing a ticket)."""
        super().__init__()
        self.title_text = clean(title)
        self.source = source
        self.placeholder = placeholder
        self.empty = empty
        self.enter_needs_choice = enter_needs_choice
        self.moved = False
        self.keys: list[K] = []
        self.asked = ""
        """The text of the newest search: older results are dropped."""
        self.showing: str | None = None
        """The text whose results are shown (None before the first arrive)."""
        self.pick_on_arrival = False
        """Enter came before the newest results: take the best of them when they come."""

    def compose(self) -> ComposeResult:
        """Title, search input, the list, the hint."""
        with Vertical(classes="dialog picker"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield Input(placeholder=self.placeholder, id="picker-input", compact=True)
            yield OptionList(id="picker-list", markup=False)
            yield Label(
                Text("type to narrow · up/down · enter picks · escape cancels", style="dim")
            )

    def on_mount(self) -> None:
        """The first list, unfiltered."""
        self.refill("")

    @on(Input.Changed, "#picker-input")
    def _changed(self, event: Input.Changed) -> None:
        self.refill(event.value)

    def refill(self, text: str) -> None:
        """Ask the source again for `text` (in a thread); the list follows when it answers."""
        self.asked = text
        self._search(text)

    @work(thread=True, exclusive=True, group="searching", exit_on_error=False)
    def _search(self, text: str) -> None:
        self.post_message(self.Found(text, list(self.source(text))))

    @on(Found)
    def _found(self, message: Found) -> None:
        if message.text != self.asked:
            return
        self.showing = message.text
        self.show(message.entries)
        if self.pick_on_arrival:
            self.pick_on_arrival = False
            self._pick(self.query_one("#picker-list", OptionList).highlighted)

    def show(self, entries: Sequence[tuple[K, Text | str]]) -> None:
        """Show `entries`, the best one highlighted."""
        self.keys = [key for key, _label in entries]
        options = self.query_one("#picker-list", OptionList)
        options.clear_options()
        if entries:
            options.add_options([Option(shown(label)) for _, label in entries])
            options.highlighted = 0
        else:
            options.add_option(Option(Text(self.empty, style="dim"), disabled=True))

    def action_move(self, step: int) -> None:
        """Move the highlight while the input keeps the focus."""
        options = self.query_one("#picker-list", OptionList)
        if not self.keys:
            return
        current = options.highlighted or 0
        options.highlighted = min(max(current + step, 0), len(self.keys) - 1)
        self.moved = True

    @on(Input.Submitted, "#picker-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.enter_needs_choice and not event.value.strip() and not self.moved:
            self.app.bell()
            return
        if self.showing != self.asked:  # typed faster than the search answers
            self.pick_on_arrival = True
            return
        self._pick(self.query_one("#picker-list", OptionList).highlighted)

    @on(OptionList.OptionSelected, "#picker-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option_index)

    def _pick(self, index: int | None) -> None:
        if index is not None and 0 <= index < len(self.keys):
            self.dismiss(self.keys[index])

    def action_cancel(self) -> None:
        """Close without a choice."""
        self.dismiss(None)


class ChecklistDialog(ModalScreen[list[int] | None]):
    """Tick several entries (space), confirm with ctrl+s / F2; escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(SAVE_KEYS, "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, entries: Sequence[tuple[int, Text]]) -> None:
        super().__init__()
        self.title_text = clean(title)
        self.entries = [(key, shown(label)) for key, label in entries]

    def compose(self) -> ComposeResult:
        """Title, the list, the hint."""
        with Vertical(classes="dialog picker"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield SelectionList[int](
                *[(label, key, False) for key, label in self.entries], id="checklist"
            )
            yield Label(Text("space ticks · ctrl+s or F2 confirms · escape cancels", style="dim"))

    def action_save(self) -> None:
        """Close with the ticked keys, in list order."""
        ticked = set(self.query_one("#checklist", SelectionList).selected)
        self.dismiss([key for key, _label in self.entries if key in ticked])

    def action_cancel(self) -> None:
        """Close without a choice."""
        self.dismiss(None)


class TextDialog(ModalScreen[str | None]):
    """Edit multi-line text (a description, a remark); ctrl+s saves, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(SAVE_KEYS, "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, text: str = "") -> None:
        super().__init__()
        self.title_text = clean(title)
        self.text = clean(text)

    def compose(self) -> ComposeResult:
        """Title, editor, hint."""
        with Vertical(classes="dialog editor"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield TextArea(self.text, id="text-body", soft_wrap=True, compact=True)
            yield Label(Text("ctrl+s or F2 saves · escape cancels", style="dim"))

    def action_save(self) -> None:
        """Close with the text."""
        self.dismiss(self.query_one("#text-body", TextArea).text)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)


@dataclass(frozen=True)
class FormResult:
    """What the follow-up form returns: title and code (tickets), text, the scope choice."""

    title: str
    code: str
    text: str
    scope: int


class FollowUpForm(ModalScreen[FormResult | None]):
    """A new ticket (title, code, description) or remark (text), with a choice of scope.

    `scopes` are the labels of the ways it can cover the run (the first is preselected);
    with no scopes the form shows `fixed_scope` instead.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(SAVE_KEYS, "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        kind: ItemKind | str,
        heading: str,
        *,
        title: str = "",
        code: str = "",
        text: str = "",
        scopes: Sequence[str] = (),
        fixed_scope: str = "",
    ) -> None:
        super().__init__()
        # The prefills quote job, object and customer names from mails: shown cleaned
        # (what is saved is what the person saw and kept).
        self.kind = kind
        self.heading = clean(heading)
        self.title_value = one_line(title)
        self.code_value = one_line(code)
        self.text_value = clean(text)
        self.scopes = [one_line(label) for label in scopes]
        self.fixed_scope = one_line(fixed_scope)

    def compose(self) -> ComposeResult:
        """Fields for a ticket or a remark."""
        with Vertical(classes="dialog editor follow-up"):
            yield Label(Text(self.heading, style="bold"), classes="dialog-title")
            if self.kind == ItemKind.TICKET:
                yield Label("Title")
                yield Input(self.title_value, id="form-title", compact=True)
                yield Label("Code (e.g. a PSA ticket number, optional)")
                yield Input(self.code_value, id="form-code", placeholder="optional", compact=True)
            yield Label("Covers")
            if self.scopes:
                with RadioSet(id="form-scope", compact=True):
                    for index, label in enumerate(self.scopes):
                        yield RadioButton(Text(label), value=index == 0)
            else:
                yield Label(Text(self.fixed_scope, style="bold"), id="form-fixed-scope")
            yield Label("Description (Markdown)" if self.kind == ItemKind.TICKET else "Remark")
            yield TextArea(self.text_value, id="form-text", soft_wrap=True, compact=True)
            yield Label(Text(SAVE_HINT, style="dim"))

    def on_mount(self) -> None:
        """Start in the first field."""
        first = "#form-title" if self.kind == ItemKind.TICKET else "#form-text"
        self.query_one(first).focus()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter in a one-line field moves on instead of closing."""
        event.stop()
        self.focus_next()

    def action_save(self) -> None:
        """Check the required field, then close with the values."""
        text = self.query_one("#form-text", TextArea).text
        title = code = ""
        if self.kind == ItemKind.TICKET:
            title = self.query_one("#form-title", Input).value.strip()
            code = self.query_one("#form-code", Input).value.strip()
            if not title:
                self.notify("A ticket needs a title.", severity="error")
                self.query_one("#form-title", Input).focus()
                return
        elif not text.strip():
            self.notify("The remark is empty.", severity="error")
            return
        scope = 0
        if self.scopes:
            scope = max(self.query_one("#form-scope", RadioSet).pressed_index, 0)
        self.dismiss(FormResult(title=title, code=code, text=text, scope=scope))

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)
