"""Tickets (3): the list of tickets | one ticket's fields, scopes, runs and timeline."""

from __future__ import annotations

from typing import ClassVar

from rich.markdown import Markdown
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, RichLog, Static

from backupchecks_tui.roles import Action
from backupchecks_tui.safe_text import clean
from backupchecks_tui.services import follow_up, tickets
from backupchecks_tui.services.tickets import STATE_LABELS, Outcome
from backupchecks_tui.views.items import ScopeSpec
from screens.commands import Command, bindings
from screens.dialogs import ConfirmDialog, PromptDialog
from screens.follow_up import (
    ADD_SCOPE,
    FILTER_COMMANDS,
    FollowUpListScreen,
    detail_css,
    parse_day,
    stamp,
    write_sections,
)
from screens.forms import ChecklistDialog, FollowUpForm, PickerDialog
from screens.style import STATUS_STYLE, literal
from screens.widgets.detail_log import DetailLog
from screens.widgets.key_bar import KeyBar
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import KeyedTable

STATE_STYLE = {"open": "bold yellow", "in_progress": "cyan", "on_hold": "magenta"}
OUTCOMES: list[tuple[Outcome, str]] = [
    ("false_alarm", "False alarm — the backups were fine"),
    ("data_lost", "Data lost — the window was missed, not recovered"),
    ("reprocessed", "Reprocessed — later runs made up for it"),
]

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


# ---------------------------------------------------------------------------- the screen


class TicketsScreen(FollowUpListScreen):
    """Tickets: filterable list | the current ticket in full."""

    DEFAULT_CSS = detail_css("TicketsScreen", "tickets")
    COMMAND_LIST: ClassVar[list[Command]] = COMMANDS
    BINDINGS: ClassVar[list[BindingType]] = [*bindings(COMMANDS)]
    TITLE = "Tickets"
    FILTER = "tickets-filter"
    LIST = "tickets-list"
    AUTO_FOCUS = "#tickets-list"
    NOUN = "tickets"
    KIND = "ticket"

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[int, tickets.TicketRow] = {}
        self.selected: set[int] = set()

    def compose(self) -> ComposeResult:
        """Status bar, header, search box, list | detail, footer."""
        yield StatusBar()
        yield Static(id="tickets-header")
        yield Input(placeholder="search: #N, code, title, description", id="tickets-filter")
        with Horizontal(id="tickets-panes"):
            yield KeyedTable(id="tickets-list")
            yield DetailLog(id="tickets-detail")
        yield KeyBar()

    def on_mount(self) -> None:
        """Columns, then the first load."""
        self.query_one(KeyedTable).add_columns(
            " ", "#", "Code", "State", "Title", "Scopes", "Runs", "Created"
        )
        self.query_one("#tickets-filter", Input).display = False
        self.reload()

    def reload(self) -> None:
        """Load the list, keeping the cursor, and show the current ticket."""
        ws = self.bc_app.workspace
        found = tickets.list_tickets(
            ws.engine, self.which, self.customer_id, self.product or None, self.text
        )
        self.rows = {r.id: r for r in found}
        self.selected &= set(self.rows)
        runs = follow_up.linked_run_counts(ws.engine, "ticket", [r.id for r in found])
        table = self.query_one(KeyedTable)
        table.fill(
            [
                (
                    r.id,
                    [
                        Text("*" if r.id in self.selected else " ", style="bold cyan"),
                        Text(r.label, style="bold"),
                        literal(r.code, 10),
                        Text(
                            STATE_LABELS.get(r.state, r.state), style=STATE_STYLE.get(r.state, "")
                        ),
                        literal(r.title, 26),
                        literal(r.scope_summary, 20),
                        Text(str(runs.get(r.id, 0)), justify="right"),
                        Text(r.created_at.astimezone(self.bc_app.zone).strftime("%Y-%m-%d")),
                    ],
                )
                for r in found
            ],
            keep=table.current_key,
        )
        self.query_one("#tickets-header", Static).update(
            self.header(len(found), len(self.selected))
        )
        self.show_detail(table.current_key)

    def show_detail(self, ticket_id: int | None) -> None:
        log = self.query_one("#tickets-detail", RichLog)
        log.clear()
        self.refresh_bindings()
        if ticket_id is None:
            log.write(Text("No tickets here. n opens one; F shows resolved ones.", style="dim"))
            return
        zone = self.bc_app.zone
        detail = tickets.ticket_detail(self.bc_app.workspace.engine, ticket_id)
        t = detail.ticket
        head = Text(f"{t.label} ", style="bold")
        head.append_text(literal(t.title, style="bold"))
        log.write(head)
        state = STATE_LABELS.get(t.state, t.state)
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
        for name, value in fields:
            log.write(Text(f"{name:>12}: ", style="dim") + literal(value))
        if t.description:
            log.write(Text("\nDescription", style="bold underline"))
            log.write(Markdown(clean(t.description)))
        write_sections(log, zone, detail.scopes, detail.runs, detail.timeline)
        log.scroll_home(animate=False)

    @on(DataTable.RowHighlighted, "#tickets-list")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        self.show_detail(int(key) if key is not None else None)

    def _current(self) -> tickets.TicketRow | None:
        key = self.query_one(KeyedTable).current_key
        return self.rows.get(key) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        """Hide what the role or the current ticket's state does not allow."""
        writer = self.bc_app.workspace.actor.can(Action.TICKET_WRITE)
        if action in WRITE_ACTIONS | {"toggle_select"} and not writer:
            return False
        if action in STATE_ACTIONS | {"toggle_select"}:
            row = self._current()
            if row is None or action not in tickets.allowed_actions(row.state) | {"toggle_select"}:
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
        known = tickets.close_categories(self.bc_app.workspace.engine)

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
        """Add `spec` to ticket `item_id`."""
        ws = self.bc_app.workspace
        return tickets.add_scope(ws.engine, ws.actor, item_id, spec)

    def action_resume(self) -> None:
        """On hold → in progress."""
        if row := self._current():
            ws = self.bc_app.workspace
            self.apply(
                f"{row.label} back in progress.",
                lambda: tickets.resume(ws.engine, ws.actor, row.id),
            )

    def action_start(self) -> None:
        """Open → in progress."""
        if row := self._current():
            ws = self.bc_app.workspace
            self.apply(
                f"{row.label} in progress.", lambda: tickets.start(ws.engine, ws.actor, row.id)
            )

    @work
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
        ws = self.bc_app.workspace
        self.apply(
            f"{row.label} on hold until {until:%Y-%m-%d}.",
            lambda: tickets.hold(ws.engine, ws.actor, row.id, until),
        )

    @work
    async def action_comment(self) -> None:
        """Add a comment."""
        row = self._current()
        if row is None or (body := await self._ask(f"Comment on {row.label}")) is None:
            return
        ws = self.bc_app.workspace
        self.apply("Comment added.", lambda: tickets.comment(ws.engine, ws.actor, row.id, body))

    @work
    async def action_edit(self) -> None:
        """Title, code and description in one form (the previous text stays in the timeline)."""
        row = self._current()
        if row is None:
            return
        form = await self.app.push_screen_wait(
            FollowUpForm(
                "ticket",
                f"Edit {row.label}",
                title=row.title,
                code=row.code,
                text=row.description,
                fixed_scope=row.scope_summary,
            )
        )
        if form is None:
            return
        ws = self.bc_app.workspace
        self.apply(
            f"{row.label} saved.",
            lambda: tickets.edit(
                ws.engine,
                ws.actor,
                row.id,
                title=form.title,
                code=form.code,
                description=form.text,
            ),
        )

    @work
    async def action_resolve(self) -> None:
        """Category, outcome, and for `reprocessed` the later runs that made up for it."""
        row = self._current()
        if row is None or (category := await self._pick_category(row.label)) is None:
            return
        outcome = await self.app.push_screen_wait(
            PickerDialog[Outcome](
                f"Resolve {row.label} — outcome",
                lambda text: [
                    (key, label) for key, label in OUTCOMES if text.lower() in label.lower()
                ],
            )
        )
        if outcome is None:
            return
        ws = self.bc_app.workspace
        run_ids: list[int] = []
        if outcome == "reprocessed":
            candidates = tickets.reprocess_candidates(ws.engine, row.id)
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
        self.apply(
            f"{row.label} resolved.",
            lambda: tickets.resolve(
                ws.engine, ws.actor, row.id, category, outcome, reprocessed_run_ids=run_ids
            ),
        )

    def action_reopen(self) -> None:
        """Resolved → open."""
        if row := self._current():
            ws = self.bc_app.workspace
            self.apply(
                f"{row.label} reopened.", lambda: tickets.reopen(ws.engine, ws.actor, row.id)
            )

    def action_toggle_select(self) -> None:
        """Select or unselect the current ticket for a merge and move down."""
        table = self.query_one(KeyedTable)
        key = table.current_key
        if key is None:
            return
        self.selected.symmetric_difference_update({key})
        mark = Text("*" if key in self.selected else " ", style="bold cyan")
        table.update_cell(str(key), table.ordered_columns[0].key, mark)
        table.action_cursor_down()
        self.refresh_bindings()

    @work
    async def action_merge(self) -> None:
        """Merge the selected tickets (and the current one) into the one picked as target,
        after a confirmation. The current ticket is offered first."""
        current = self._current()
        if current is None:
            return
        candidates = [current.id, *sorted(i for i in self.selected if i != current.id)]
        candidates = [i for i in candidates if i in self.rows]

        def source(text: str) -> list[tuple[int, Text | str]]:
            entries = [(i, _merge_label(self.rows[i])) for i in candidates]
            return [e for e in entries if text.lower() in e[1].plain.lower()]

        target_id = await self.app.push_screen_wait(
            PickerDialog[int]("Merge into which ticket? The others become part of it.", source)
        )
        if target_id is None:
            return
        target = self.rows[target_id]
        sources = sorted(set(candidates) - {target.id})
        labels = ", ".join(self.rows[i].label for i in sources if i in self.rows)
        if not await self.app.push_screen_wait(
            ConfirmDialog(f"Merge {labels} into {target.label}?")
        ):
            return
        ws = self.bc_app.workspace
        self.selected.clear()
        self.apply(
            f"Merged {labels} into {target.label}.",
            lambda: tickets.merge(ws.engine, ws.actor, target.id, sources),
        )


def _merge_label(row: tickets.TicketRow) -> Text:
    """'#1  PSA-20931  NAS-REPO01 full…  in progress' for the merge target picker."""
    text = Text(f"{row.label}  ", style="bold")
    if row.code:
        text.append_text(literal(row.code, 20))
        text.append("  ")
    text.append_text(literal(row.title, 60))
    text.append(f"  {STATE_LABELS.get(row.state, row.state)}", style="dim")
    return text


def _run_label(run: tickets.RunInfo) -> Text:
    """'2026-11-24  run 12  job (customer)  success' for the reprocessed checklist."""
    text = Text(f"{run.run_day}  run {run.run_id}  ")
    text.append_text(literal(f"{run.job} ({run.customer or 'no customer'})", 60))
    text.append(f"  {run.status}", style=STATUS_STYLE.get(run.status, ""))
    return text
