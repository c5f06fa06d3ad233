"""Tickets (3): the list of tickets | one ticket's fields, scopes, runs and timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any, ClassVar

from rich.console import RenderableType
from rich.markdown import Markdown
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Input, Static

from backupchecks_tui.domain import Changed, ItemKind, TicketOutcome, TicketState
from backupchecks_tui.roles import Action
from backupchecks_tui.safe_text import clean
from backupchecks_tui.views.items import (
    LinkedRun,
    RunInfo,
    ScopeSpec,
    ScopeView,
    TicketDetail,
    TicketList,
    TicketRow,
    TimelineEntry,
)
from screens.commands import Command, bindings
from screens.dialogs import ConfirmDialog, PromptDialog
from screens.follow_up import (
    ADD_SCOPE,
    FILTER_COMMANDS,
    DetailPane,
    Filters,
    FollowUpListScreen,
    detail_css,
    parse_day,
    stamp,
)
from screens.forms import ChecklistDialog, FollowUpForm, PickerDialog
from screens.style import STATUS_STYLE, literal
from screens.widgets.key_bar import KeyBar
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable

STATE_STYLE = {
    TicketState.OPEN: "bold yellow",
    TicketState.IN_PROGRESS: "cyan",
    TicketState.ON_HOLD: "magenta",
}
OUTCOMES: list[tuple[TicketOutcome, str]] = [
    (TicketOutcome.FALSE_ALARM, "False alarm — the backups were fine"),
    (TicketOutcome.DATA_LOST, "Data lost — the window was missed, not recovered"),
    (TicketOutcome.REPROCESSED, "Reprocessed — later runs made up for it"),
]


def state_word(state: str) -> str:
    """A ticket's state as the lists read it: 'in progress'."""
    return TicketState(state).label.lower()


COMMANDS = [
    Command("new", "n", "New", "Open a new ticket: pick a customer or job, then fill it in."),
    Command("start", "s", "Start", "Mark the ticket as in progress."),
    Command("hold", "h", "Hold", "Put the ticket on hold until a date (YYYY-MM-DD)."),
    Command("resume", "u", "Resume", "Take the ticket off hold before its date."),
    Command("comment", "c", "Comment", "Add a comment to the timeline."),
    ADD_SCOPE,
    Command("edit", "E", "Edit", "Change the title, the code and the description."),
    Command("resolve", "x", "Resolve", "Close with a category and an outcome."),
    Command("reopen", "o", "Reopen", "Open a resolved ticket again."),
    Command("toggle_select", "space", "Select", "Select or unselect a ticket to merge."),
    Command("merge", "M", "Merge", "Merge the selected and current tickets into one you pick."),
    *FILTER_COMMANDS,
    Command("filter_text", "slash", "Search", "Search #N, code, title, text.", key_display="/"),
]

STATE_ACTIONS = {
    "start",
    "hold",
    "resume",
    "comment",
    "edit",
    "resolve",
    "reopen",
    "merge",
    "add_scope",
}
WRITE_ACTIONS = {"new", *STATE_ACTIONS}


# ---------------------------------------------------------------------------- the panes


class TicketPane(DetailPane[TicketDetail]):
    """One ticket in full: fields, description, scopes, linked runs, timeline."""

    EMPTY = "No tickets here. n opens one; F shows resolved ones."

    def render_detail(self, detail: TicketDetail) -> list[RenderableType]:
        """The ticket's own fields and its description."""
        zone = self.zone
        t = detail.ticket
        head = Text(f"{t.label} ", style="bold")
        head.append_text(literal(t.title, style="bold"))
        parts: list[RenderableType] = [head]
        state = state_word(t.state)
        if t.on_hold_until:
            state += f" until {stamp(t.on_hold_until, zone)}"
        if t.merged_into_number:
            state += f" into #{t.merged_into_number}"
        fields = [
            ("State", state),
            ("Code", t.code or "—"),
            ("Created", f"{stamp(t.created_at, zone)} by {t.created_by}"),
            ("Active from", stamp(t.active_from, zone)),
        ]
        if t.closed_at:
            fields.append(("Closed", f"{stamp(t.closed_at, zone)} by {t.closed_by}"))
        if t.close_outcome:
            outcome = t.close_outcome.replace("_", " ")
            fields.append(("Outcome", f"{t.close_category} — {outcome}"))
        if detail.merged_from:
            fields.append(("Merged from", ", ".join(f"#{n}" for n in detail.merged_from)))
        parts += [Text(f"{name:>12}: ", style="dim") + literal(value) for name, value in fields]
        if t.description:
            parts.append(Text("\nDescription", style="bold underline"))
            parts.append(Markdown(clean(t.description)))
        return parts

    def sections(
        self, detail: TicketDetail
    ) -> tuple[Sequence[ScopeView], Sequence[LinkedRun], Sequence[TimelineEntry]]:
        """Scopes, runs, timeline."""
        return detail.scopes, detail.runs, detail.timeline


class TicketTable(KeyedTable):
    """The tickets list: it shows the `listing` it is given, keeping the cursor on the
    same ticket; `selected` marks the tickets chosen for a merge."""

    COLUMNS = (" ", "#", "Code", "State", "Title", "Scopes", "Runs", "Created")
    listing: reactive[TicketList | None] = reactive(None, always_update=True, init=False)
    selected: frozenset[int] = frozenset()

    def __init__(self, zone: tzinfo, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.zone = zone

    def on_mount(self) -> None:
        """The columns."""
        self.add_columns(*self.COLUMNS)

    def watch_listing(self, listing: TicketList | None) -> None:
        """Fill the rows anew."""
        rows = listing.rows if listing is not None else ()
        runs = listing.run_counts if listing is not None else {}
        self.fill(
            [
                (
                    r.id,
                    [
                        Text("*" if r.id in self.selected else " ", style="bold cyan"),
                        Text(r.label, style="bold"),
                        literal(r.code, 10),
                        Text(state_word(r.state), style=STATE_STYLE.get(r.state, "")),
                        literal(r.title, 26),
                        literal(r.scope_summary, 20),
                        Text(str(runs.get(r.id, 0)), justify="right"),
                        Text(r.created_at.astimezone(self.zone).strftime("%Y-%m-%d")),
                    ],
                )
                for r in rows
            ],
            keep=self.current_key,
        )


# ---------------------------------------------------------------------------- the screen


class TicketsScreen(FollowUpListScreen[TicketRow, TicketDetail]):
    """Tickets: filterable list | the current ticket in full."""

    DEFAULT_CSS = detail_css("TicketsScreen", "tickets")
    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Tickets"
    FILTER = "tickets-filter"
    LIST = "tickets-list"
    AUTO_FOCUS = "#tickets-list"
    NOUN = "tickets"
    KIND = ItemKind.TICKET
    SHOWS = Changed.TICKETS | Changed.RUNS | Changed.JOBS
    WRITES = Changed.TICKETS | Changed.RUNS

    def __init__(self) -> None:
        super().__init__()
        self.selected: set[int] = set()

    def compose(self) -> ComposeResult:
        """Status bar, header, search box, list | detail, footer."""
        yield StatusBar()
        yield Static(id="tickets-header")
        yield Input(placeholder="search: #N, code, title, description", id="tickets-filter")
        with Horizontal(id="tickets-panes"):
            yield TicketTable(self.bc_app.zone, id="tickets-list")
            yield TicketPane(self.bc_app.zone, id="tickets-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        """Columns, then the first load."""
        self.query_one("#tickets-filter", Input).display = False
        self.load_list()

    def fetch_rows(self, filters: Filters) -> tuple[Sequence[TicketRow], Any]:
        """The tickets and their linked-run counts."""
        found = self.services.tickets(
            filters.which, filters.customer_id, filters.product or None, filters.text
        )
        return found.rows, found.run_counts

    def fetch_detail(self, item_id: int) -> TicketDetail:
        """One ticket in full."""
        return self.services.ticket_detail(item_id)

    def header_selected(self) -> int:
        """Tickets selected for a merge."""
        return len(self.selected)

    def fill_rows(self, rows: Sequence[TicketRow], extra: Any) -> None:
        """Bind the loaded list (and the selection) down to the table."""
        self.selected &= set(self.rows)
        table = self.query_one(TicketTable)
        table.selected = frozenset(self.selected)
        table.listing = TicketList(tuple(rows), dict(extra or {}))

    def _current(self) -> TicketRow | None:
        key = self.table.current_key
        return self.rows.get(key) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Hide what the role or the current ticket's state does not allow."""
        writer = self.bc_app.session.actor.can(Action.TICKET_WRITE)
        if action in WRITE_ACTIONS | {"toggle_select"} and not writer:
            return False
        if action in STATE_ACTIONS | {"toggle_select"}:
            row = self._current()
            allowed = self.services.ticket_actions(row.state) if row is not None else frozenset()
            if row is None or action not in allowed | {"toggle_select"}:
                return False
        if action == "merge":
            current = self._current()
            return current is not None and bool(self.selected - {current.id})
        return True

    async def _ask(self, title: str, value: str = "", placeholder: str = "") -> str | None:
        """Prompt for one line; None when cancelled or left empty."""
        answer = await self.app.push_screen_wait(PromptDialog(title, value, placeholder))
        return answer.value.strip() if answer.value and answer.value.strip() else None

    async def _pick_category(self, label: str) -> str | None:
        """A close category: one used before, a common one, or what was typed (new)."""
        known = await self.io(self.services.close_categories)

        def source(text: str) -> list[tuple[str, Text | str]]:
            typed = " ".join(text.split())
            hits: list[tuple[str, Text | str]] = [
                (c, c) for c in known if typed.lower() in c.lower()
            ]
            if typed and typed.lower() not in {c.lower() for c in known}:
                # after the known ones it matches: enter on "stor" takes "storage full"
                hits.append((typed, Text.assemble(typed, (" (new category)", "dim"))))
            return hits

        return await self.app.push_screen_wait(
            PickerDialog[str](
                f"Resolve {label} — category",
                source,
                placeholder="type a category, or pick one",
                empty="Type a category.",
                enter_needs_choice=True,
            )
        )

    def add_scope_call(self, item_id: int, spec: ScopeSpec) -> object:
        """Add `spec` to ticket `item_id` (in a thread)."""
        return self.services.add_ticket_scope(item_id, spec)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_resume(self) -> None:
        """On hold → in progress."""
        if row := self._current():
            await self.apply(f"{row.label} back in progress.", self.services.resume_ticket, row.id)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_start(self) -> None:
        """Open → in progress."""
        if row := self._current():
            await self.apply(f"{row.label} in progress.", self.services.start_ticket, row.id)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_hold(self) -> None:
        """On hold until a date typed as YYYY-MM-DD."""
        row = self._current()
        if row is None:
            return
        text = await self._ask(f"Hold {row.label} until (YYYY-MM-DD)", placeholder="2026-12-01")
        if text is None:
            return
        until = parse_day(text, self.bc_app.zone)
        if until is None:
            self.notify(f"{text!r} is not a date like 2026-12-01.", severity="error")
            return
        await self.apply(
            f"{row.label} on hold until {until:%Y-%m-%d}.",
            self.services.hold_ticket,
            row.id,
            until,
        )

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_comment(self) -> None:
        """Add a comment."""
        row = self._current()
        if row is None or (body := await self._ask(f"Comment on {row.label}")) is None:
            return
        await self.apply("Comment added.", self.services.comment_ticket, row.id, body)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_edit(self) -> None:
        """Title, code and description in one form (the previous text stays in the timeline)."""
        row = self._current()
        if row is None:
            return
        form = await self.app.push_screen_wait(
            FollowUpForm(
                ItemKind.TICKET,
                f"Edit {row.label}",
                title=row.title,
                code=row.code,
                text=row.description,
                fixed_scope=row.scope_summary,
            )
        )
        if form is None:
            return
        services = self.services
        await self.apply(
            f"{row.label} saved.",
            lambda: services.edit_ticket(
                row.id, title=form.title, code=form.code, description=form.text
            ),
        )

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_resolve(self) -> None:
        """Category, outcome, and for `reprocessed` the later runs that made up for it."""
        row = self._current()
        if row is None or (category := await self._pick_category(row.label)) is None:
            return
        outcome = await self.app.push_screen_wait(
            PickerDialog[TicketOutcome](
                f"Resolve {row.label} — outcome",
                lambda text: [
                    (key, label) for key, label in OUTCOMES if text.lower() in label.lower()
                ],
            )
        )
        if outcome is None:
            return
        run_ids: list[int] = []
        if outcome == TicketOutcome.REPROCESSED:
            candidates = await self.io(self.services.reprocess_candidates, row.id)
            if not candidates:
                self.notify("No later run of a covered job to name.", severity="warning")
                return
            picked = await self.app.push_screen_wait(
                ChecklistDialog(
                    "Which runs made up for it?",
                    [(r.run_id, _run_label(r)) for r in candidates],
                )
            )
            if not picked:
                return
            run_ids = picked
        await self.apply(
            f"{row.label} resolved.",
            self.services.resolve_ticket,
            row.id,
            category,
            outcome,
            run_ids,
        )

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_reopen(self) -> None:
        """Resolved → open."""
        if row := self._current():
            await self.apply(f"{row.label} reopened.", self.services.reopen_ticket, row.id)

    def action_toggle_select(self) -> None:
        """Select or unselect the current ticket for a merge and move down."""
        table = self.table
        key = table.current_key
        if key is None:
            return
        self.selected.symmetric_difference_update({key})
        self.query_one(TicketTable).selected = frozenset(self.selected)
        mark = Text("*" if key in self.selected else " ", style="bold cyan")
        table.update_cell(str(key), table.ordered_columns[0].key, mark)
        table.action_cursor_down()
        self.update_header()
        self.refresh_bindings()

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_merge(self) -> None:
        """Merge the selected tickets (and the current one) into the one picked as target,
        after a confirmation. The current ticket is offered first."""
        current = self._current()
        if current is None:
            return
        rows = dict(self.rows)
        candidates = [current.id, *sorted(i for i in self.selected if i != current.id)]
        candidates = [i for i in candidates if i in rows]
        entries = [(i, _merge_label(rows[i])) for i in candidates]

        def source(text: str) -> list[tuple[int, Text | str]]:
            return [(i, label) for i, label in entries if text.lower() in label.plain.lower()]

        target_id = await self.app.push_screen_wait(
            PickerDialog[int]("Merge into which ticket? The others become part of it.", source)
        )
        if target_id is None:
            return
        target = rows[target_id]
        sources = sorted(set(candidates) - {target.id})
        labels = ", ".join(rows[i].label for i in sources if i in rows)
        if not await self.app.push_screen_wait(
            ConfirmDialog(f"Merge {labels} into {target.label}?")
        ):
            return
        self.selected.clear()
        await self.apply(
            f"Merged {labels} into {target.label}.",
            self.services.merge_tickets,
            target.id,
            sources,
        )


def _merge_label(row: TicketRow) -> Text:
    """'#1  PSA-20931  NAS-REPO01 full…  in progress' for the merge target picker."""
    text = Text(f"{row.label}  ", style="bold")
    if row.code:
        text.append_text(literal(row.code, 20))
        text.append("  ")
    text.append_text(literal(row.title, 60))
    text.append(f"  {state_word(row.state)}", style="dim")
    return text


def _run_label(run: RunInfo) -> Text:
    """'2026-11-24  run 12  job (customer)  success' for the reprocessed checklist."""
    text = Text(f"{run.run_day}  run {run.run_id}  ")
    text.append_text(literal(f"{run.job} ({run.customer or 'no customer'})", 60))
    text.append(f"  {run.status}", style=STATUS_STYLE.get(run.status, ""))
    return text
