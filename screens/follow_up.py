"""What the Tickets and Remarks screens share: the list screen with its filters (state,
customer, product, text), opening an item from elsewhere, detail sections, CSS, dates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, tzinfo
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.text import Text
from textual import work
from textual.events import Resize
from textual.widgets import RichLog

from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.services import follow_up, remarks, tickets
from backupchecks_tui.services.tickets import (
    LinkedRun,
    ScopeSpec,
    ScopeView,
    StateFilter,
    TimelineEntry,
)
from screens.base import AreaScreen
from screens.commands import Command
from screens.forms import FollowUpForm, FormResult, PickerDialog
from screens.style import literal
from screens.widgets.tables import KeyedTable

if TYPE_CHECKING:
    from backupchecks_tui.workspace import Workspace

NARROW = 120
"""Below this width the list and the detail are stacked."""

FILTERS: list[StateFilter] = ["active", "resolved", "all"]
"""The state filter's cycle."""


def stamp(moment: datetime | None, zone: tzinfo, empty: str = "—") -> str:
    """`moment` in the operator's zone, to the minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else empty


def write_sections(
    log: RichLog,
    zone: tzinfo,
    scopes: Sequence[ScopeView],
    runs: Sequence[LinkedRun],
    timeline: Sequence[TimelineEntry],
) -> None:
    """The scopes, linked runs and timeline sections of a detail pane."""
    log.write(Text("\nScopes", style="bold underline"))
    for scope in scopes:
        log.write(Text(f"  {scope.kind}: ") + literal(scope.label))
    if not scopes:
        log.write(Text("  —", style="dim"))
    log.write(Text("\nLinked runs", style="bold underline"))
    for run in runs:
        line = Text(f"  {run.run_day}  run {run.run_id}  ")
        line.append_text(literal(f"{run.job} ({run.customer or 'no customer'})"))
        line.append(f"  {run.status}  {run.kind}")
        log.write(line)
    if not runs:
        log.write(Text("  —", style="dim"))
    log.write(Text("\nTimeline", style="bold underline"))
    for entry in timeline:
        line = Text(f"  {stamp(entry.at, zone)}  ", style="dim")
        line.append_text(literal(entry.actor, 16, style="bold"))
        line.append("  ")
        line.append_text(Text(entry.summary))
        log.write(line)


def detail_css(screen: str, prefix: str) -> str:
    """The CSS of a list | detail area screen whose widget ids start with `prefix`."""
    return f"""
    #{prefix}-header {{ height: 1; padding: 0 1; }}
    #{prefix}-filter {{ height: 3; }}
    #{prefix}-panes {{ height: 1fr; }}
    #{prefix}-list {{ width: 62%; }}
    #{prefix}-detail {{ width: 38%; padding: 0 1; border-left: solid $panel-lighten-2; }}
    {screen}.narrow #{prefix}-panes {{ layout: vertical; }}
    {screen}.narrow #{prefix}-list {{ width: 100%; height: auto; max-height: 10; }}
    {screen}.narrow #{prefix}-detail {{ width: 100%; height: 1fr; border-left: none; }}
    """


def parse_day(text: str, zone: tzinfo) -> datetime | None:
    """Midnight of a YYYY-MM-DD day in `zone`, or None when it is not a date."""
    try:
        return datetime.combine(date.fromisoformat(text.strip()), time(), zone)
    except ValueError:
        return None


FILTER_COMMANDS = [
    Command("cycle_filter", "F", "State", "Cycle: active, resolved, all."),
    Command("filter_customer", "C", "Customer", "Only those covering a customer's jobs."),
    Command("filter_product", "P", "Product", "Only those covering jobs of a product."),
]

ADD_SCOPE = Command(
    "add_scope", "plus", "Cover", "Also cover another customer or job.", key_display="+"
)
"""Both lists let an item cover one more customer or job."""
"""The filters both lists offer (the text search is each screen's own `/`)."""

ALL = 0
"""The picker key for "no customer filter"."""


ItemKind = Literal["ticket", "remark"]


def create_item(
    ws: Workspace,
    kind: ItemKind,
    form: FormResult,
    scopes: Sequence[ScopeSpec],
    run_ids: Sequence[int] = (),
) -> tuple[int, str]:
    """Open the ticket or add the remark `form` describes: (its id, "Ticket #N" / "Remark N")."""
    if kind == "ticket":
        ticket = tickets.open_ticket(
            ws.engine,
            ws.actor,
            form.title,
            code=form.code,
            description=form.text,
            scopes=scopes,
            run_ids=run_ids,
        )
        return ticket.id, f"Ticket {ticket.label}"
    remark = remarks.add_remark(ws.engine, ws.actor, form.text, scopes, run_ids=run_ids)
    return remark.id, f"Remark {remark.id}"


class FollowUpListScreen(AreaScreen):
    """A list of tickets or remarks with state, customer, product and text filters."""

    NOUN: ClassVar[str] = "items"
    KIND: ClassVar[ItemKind] = "ticket"

    def __init__(self) -> None:
        super().__init__()
        self.which: StateFilter = "active"
        self.text = ""
        self.customer: tuple[int, str] | None = None
        self.product = ""

    def reload(self) -> None:
        """Load the list with the current filters (each screen implements it)."""

    @property
    def customer_id(self) -> int | None:
        """The customer filter's id, if any."""
        return self.customer[0] if self.customer else None

    def on_resize(self, event: Resize) -> None:
        """Stack the panes on narrow terminals; wrap the detail again at its new width."""
        self.set_class(event.size.width < NARROW, "narrow")
        self.call_after_refresh(lambda: self.show_detail(self.current_id()))

    def show_detail(self, item_id: int | None) -> None:
        """Write item `item_id` into the detail pane (each screen implements it)."""

    def on_screen_resume(self) -> None:
        """Reload when the mode is entered again."""
        self.reload()

    def header(self, count: int, selected: int = 0) -> Text:
        """ "12 tickets · active · customer: Acme · search: 'x'"."""
        noun = self.NOUN if count != 1 else self.NOUN.removesuffix("s")
        parts = [f"{count} {noun} · {self.which}"]
        if self.customer:
            parts.append(f"customer: {self.customer[1]}")
        if self.product:
            parts.append(f"product: {self.product}")
        if self.text:
            parts.append(f"search: {self.text!r}")
        if selected:
            parts.append(f"{selected} selected")
        return literal("  ·  ".join(parts), style="bold")

    def apply(self, message: str, change: Callable[[], object]) -> bool:
        """Run the service call `change`, then reload and say so, or show its error."""
        try:
            change()
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return False
        self.reload()
        self.notify(message)
        return True

    def action_cycle_filter(self) -> None:
        """Active → resolved → all."""
        self.which = FILTERS[(FILTERS.index(self.which) + 1) % len(FILTERS)]
        self.reload()

    def apply_filter(self, text: str) -> None:
        """Filter the list by `text`."""
        self.text = text
        self.reload()

    @work
    async def action_filter_customer(self) -> None:
        """Pick a customer (or all) in a fuzzy picker."""
        engine = self.bc_app.workspace.engine

        def source(text: str) -> list[tuple[int, Text | str]]:
            every: list[tuple[int, Text | str]] = [(ALL, Text("(every customer)", style="dim"))]
            found: list[tuple[int, Text | str]] = [
                (i, literal(name)) for i, name in follow_up.customer_choices(engine, text)
            ]
            return every + found if not text.strip() else found + every

        picked = await self.app.push_screen_wait(
            PickerDialog[int](f"Show {self.NOUN} covering the jobs of", source)
        )
        if picked is None:
            return
        names = dict(follow_up.customer_choices(engine, limit=100_000))
        self.customer = (picked, names.get(picked, "?")) if picked != ALL else None
        self.reload()

    @work
    async def action_filter_product(self) -> None:
        """Pick a product (or all) in a fuzzy picker."""
        engine = self.bc_app.workspace.engine

        def source(text: str) -> list[tuple[str, Text | str]]:
            every: list[tuple[str, Text | str]] = [("", Text("(every product)", style="dim"))]
            found: list[tuple[str, Text | str]] = [
                (p, literal(p)) for p in follow_up.product_choices(engine, text)
            ]
            return every + found if not text.strip() else found + every

        picked = await self.app.push_screen_wait(
            PickerDialog[str](f"Show {self.NOUN} covering jobs of the product", source)
        )
        if picked is None:
            return
        self.product = picked
        self.reload()

    async def pick_scope(self, title: str) -> follow_up.ScopeChoice | None:
        """A customer or job for a new item, from a fuzzy picker."""
        engine = self.bc_app.workspace.engine
        choices: dict[int, follow_up.ScopeChoice] = {}

        def source(text: str) -> list[tuple[int, Text | str]]:
            choices.clear()
            choices.update(enumerate(follow_up.scope_choices(engine, text)))
            return [(i, literal(c.label)) for i, c in choices.items()]

        picked = await self.app.push_screen_wait(
            PickerDialog[int](title, source, empty="No customer or job matches.")
        )
        return choices.get(picked) if picked is not None else None

    @work
    async def action_new(self) -> None:
        """Pick the customer or job it covers, then fill in the form."""
        choice = await self.pick_scope(f"New {self.KIND} — covers which customer or job?")
        if choice is None:
            return
        form = await self.app.push_screen_wait(
            FollowUpForm(self.KIND, f"New {self.KIND}", fixed_scope=scope_label(choice))
        )
        if form is None:
            return
        try:
            item_id, label = create_item(self.bc_app.workspace, self.KIND, form, [choice.spec])
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        self.which = "active" if self.which == "resolved" else self.which
        self.reload()
        self.show_item(item_id)
        self.notify(f"{label} saved.")

    def current_id(self) -> int | None:
        """The id of the item under the cursor."""
        return self.query_one(KeyedTable).current_key

    def add_scope_call(self, item_id: int, spec: ScopeSpec) -> object:
        """The service call that adds `spec` to item `item_id` (each screen implements it)."""
        raise NotImplementedError

    @work
    async def action_add_scope(self) -> None:
        """Pick one more customer or job for the current item to cover."""
        item_id = self.current_id()
        if item_id is None:
            return
        choice = await self.pick_scope("Also cover which customer or job?")
        if choice is None:
            return
        self.apply(
            f"Now also covers {scope_label(choice)}.",
            lambda: self.add_scope_call(item_id, choice.spec),
        )

    def show_item(self, item_id: int) -> None:
        """Put the cursor on `item_id`, clearing the filters when they hide it."""
        table = self.query_one(KeyedTable)
        if str(item_id) not in table.rows:
            self.which, self.text, self.customer, self.product = "all", "", None, ""
            self.reload()
        if str(item_id) in table.rows:
            table.move_cursor(row=table.get_row_index(str(item_id)), animate=False)
        table.focus()


def scope_label(choice: follow_up.ScopeChoice) -> str:
    """The picked scope as the form shows it."""
    return " ".join(choice.label.split())
