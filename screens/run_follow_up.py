"""Run Checks' follow-up: new ticket (t), link to a ticket (l), new remark (m) for the
current run, and the list of tickets and remarks covering it (enter opens one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from backupchecks_tui.domain import Changed, ItemKind
from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.roles import Action
from backupchecks_tui.safe_text import one_line
from backupchecks_tui.views.checks import CoverItem, TicketChoice
from screens.base import AreaScreen
from screens.commands import Command
from screens.dialogs import ConfirmDialog
from screens.forms import FollowUpForm, PickerDialog
from screens.style import REMARK, TICKET, literal
from screens.widgets.tables import KeyedTable

FOLLOW_UP_COMMANDS = [
    Command("new_ticket", "t", "Ticket", "Open a ticket for this run (job, run, problems)."),
    Command("link_ticket", "l", "Link", "Link this run to an active ticket (fuzzy picker)."),
    Command("new_remark", "m", "Remark", "Add a remark for this run's job."),
]


class CoverList(OptionList):
    """The active tickets and remarks covering the shown run; enter opens one.

    The screen sets `items`; the list renders them and hides itself when there are none.
    """

    items: reactive[tuple[CoverItem, ...]] = reactive((), always_update=True, init=False)
    ascii_only: bool = False

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, markup=False)
        self.border_title = "covered by · enter opens"

    def watch_items(self, items: tuple[CoverItem, ...]) -> None:
        """List `items`; hidden when there are none."""
        self.clear_options()
        self.add_options([Option(_cover_label(item, ascii_only=self.ascii_only)) for item in items])
        self.display = bool(items)
        if items:
            self.highlighted = 0

    def show(self, items: Sequence[CoverItem], *, ascii_only: bool) -> None:
        """Set the items shown."""
        self.ascii_only = ascii_only
        self.items = tuple(items)


def _cover_label(item: CoverItem, *, ascii_only: bool) -> Text:
    icon = (TICKET if item.kind == ItemKind.TICKET else REMARK)[ascii_only]
    text = Text(f"{icon} {item.label} ", style="bold")
    text.append_text(literal(item.title, 44))
    state = item.state.replace("_", " ")
    text.append(f"  {state}{' · linked' if item.linked else ''}", style="dim")
    return text


class RunFollowUp(AreaScreen):
    """The follow-up actions of Run Checks (mixed into its screen)."""

    FOLLOW_UP: ClassVar[list[Command]] = FOLLOW_UP_COMMANDS

    def current_run(self) -> int | None:
        """The id of the run under the run list's cursor."""
        return self.query_one("#runs", KeyedTable).current_key

    def follow_up_allowed(self, action: str) -> bool | None:
        """None when `action` is not one of these; else whether it applies now."""
        needs = {
            "new_ticket": Action.TICKET_WRITE,
            "link_ticket": Action.TICKET_WRITE,
            "new_remark": Action.REMARK_WRITE,
        }.get(action)
        if needs is None:
            return None
        return self.bc_app.session.actor.can(needs) and self.current_run() is not None

    @on(OptionList.OptionSelected, "#covering")
    def _open_covering(self, event: OptionList.OptionSelected) -> None:
        items = self.query_one("#covering", CoverList).items
        if 0 <= event.option_index < len(items):
            item = items[event.option_index]
            self.bc_app.open_item(item.kind, item.id)

    def _after(self, what: Changed, message: str) -> None:
        """Say what changed (the queue reloads on the same job and run) and what happened."""
        self.bc_app.changed(Changed.RUNS | what)
        self.notify(message)

    def action_new_ticket(self) -> None:
        """A ticket for the current run: job scope, run linked, problems in the description."""
        self._new(ItemKind.TICKET)

    def action_new_remark(self) -> None:
        """A remark for the current run's job (or its problem objects, or its customer)."""
        self._new(ItemKind.REMARK)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def _new(self, kind: ItemKind) -> None:
        """The prefilled form for a ticket or remark on the current run, then create it."""
        run_id = self.current_run()
        if run_id is None:
            return
        draft = await self.io(self.services.draft_for_run, run_id)
        form = await self.app.push_screen_wait(
            FollowUpForm(
                kind,
                f"New {kind} for run {run_id} ({draft.status}, {draft.run_day:%Y-%m-%d})",
                title=draft.title,
                # a remark is a short note: the note first, the run's facts below
                text=draft.description if kind == ItemKind.TICKET else "\n\n" + draft.summary,
                scopes=[o.label for o in draft.scope_options],
            )
        )
        if form is None:
            return
        try:
            label = await self.io(
                self.services.create_for_run,
                kind,
                run_id,
                title=form.title,
                code=form.code,
                text=form.text,
                scopes=draft.scope_options[form.scope].scopes,
            )
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        what = Changed.TICKETS if kind == ItemKind.TICKET else Changed.REMARKS
        self._after(what, f"{label} saved; run {run_id} linked.")

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_link_ticket(self) -> None:
        """Link the current run to an active ticket: this job's first, then the customer's."""
        run_id = self.current_run()
        if run_id is None:
            return
        services = self.services
        draft = await self.io(services.draft_for_run, run_id)
        if not await self.io(services.tickets_for_link, draft.job_id, "", 1):
            self.notify("There are no active tickets; t opens one.", severity="warning")
            return

        def source(text: str) -> list[tuple[int, Text | str]]:
            found = services.tickets_for_link(draft.job_id, text)
            return [(row.id, _ticket_label(row)) for row in found]

        picked = await self.app.push_screen_wait(
            PickerDialog[int](f"Link run {run_id} to which ticket?", source)
        )
        if picked is None:
            return
        try:
            linked = await self.io(services.link_run_to_ticket, picked, run_id, draft.job_id)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        message = f"Run {run_id} linked to ticket {linked.label}."
        if linked.active and not linked.covers_job:
            job = one_line(draft.job_name, 60)
            question = (
                f"Should {linked.label} also cover {job} from now on (its next runs show it)?"
            )
            if await self.app.push_screen_wait(ConfirmDialog(question)):
                try:
                    await self.io(services.add_job_to_ticket, linked.ticket_id, draft.job_id)
                except BackupChecksError as error:
                    self.bc_app.show_error(error)
                    self.bc_app.changed(Changed.RUNS | Changed.TICKETS)
                    return
                message += f" It now covers {job}."
        self._after(Changed.TICKETS, message)


def _ticket_label(row: TicketChoice) -> Text:
    """'#12  PSA-1  title  (scopes)' for the link picker."""
    text = Text(f"{row.label:<6}", style="bold")
    if row.code:
        text.append_text(literal(row.code, 16, style="cyan"))
        text.append("  ")
    text.append_text(literal(row.title, 60))
    text.append("  ")
    text.append_text(literal(f"({row.scope_summary})", 50, style="dim"))
    return text
