"""What the Tickets and Remarks screens share: the list screen with its filters (state,
customer, product, text), loads off the event loop, opening an item from elsewhere, the
detail pane's sections, CSS, dates.

The pattern is `screens.base`'s: the screen holds the filters and the current item; the
list is loaded by a thread worker of group "loading-the-list" and the current item's
detail by one of group "loading-the-item", each posting a message with what it read and
for which filters or item; transitions and dialogs run in async "act" workers, each
service call awaited through `io`, and end with `bc_app.changed(…)`, whose signal
reloads the list keeping the cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.events import Resize
from textual.reactive import reactive
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from backupchecks_tui.api.items import ItemsApi
from backupchecks_tui.domain import Changed, ItemKind
from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.views.items import (
    LinkedRun,
    ScopeChoice,
    ScopeSpec,
    ScopeView,
    StateFilter,
    TimelineEntry,
)
from screens.base import AreaScreen, Loaded
from screens.commands import Command
from screens.forms import FollowUpForm, FormResult, PickerDialog
from screens.style import literal
from screens.widgets.detail_log import DetailLog
from screens.widgets.tables import KeyedTable

__all__ = [
    "ADD_SCOPE",
    "FILTERS",
    "FILTER_COMMANDS",
    "DetailPane",
    "FollowUpListScreen",
    "ItemKind",
    "create_item",
    "detail_css",
    "parse_day",
    "scope_label",
    "stamp",
    "write_sections",
]

NARROW = 120
"""Below this width the list and the detail are stacked."""

FILTERS: list[StateFilter] = ["active", "resolved", "all"]
"""The state filter's cycle."""


class Identified(Protocol):
    """A list row: it names its item by id."""

    @property
    def id(self) -> int:
        """The ticket's or remark's id."""
        ...


D = TypeVar("D")
R = TypeVar("R", bound=Identified)


def stamp(moment: datetime | None, zone: tzinfo, empty: str = "—") -> str:
    """`moment` in the operator's zone, to the minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else empty


def write_sections(
    log: DetailLog,
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
"""The filters both lists offer (the text search is each screen's own `/`)."""

ADD_SCOPE = Command(
    "add_scope", "plus", "Cover", "Also cover another customer or job.", key_display="+"
)
"""Both lists let an item cover one more customer or job."""

ALL = 0
"""The picker key for "no customer filter"."""


def create_item(
    services: ItemsApi,
    kind: ItemKind,
    form: FormResult,
    scopes: Sequence[ScopeSpec],
    run_ids: Sequence[int] = (),
) -> tuple[int, str]:
    """Open the ticket or add the remark `form` describes: (its id, "Ticket #N" / "Remark N").

    Does I/O: call it from a worker (``await self.io(create_item, self.services, …)``)."""
    if kind == ItemKind.TICKET:
        ticket = services.open_ticket(
            form.title, code=form.code, description=form.text, scopes=scopes, run_ids=run_ids
        )
        return ticket.id, f"Ticket {ticket.label}"
    remark = services.add_remark(form.text, scopes, run_ids=run_ids)
    return remark.id, f"Remark {remark.id}"


def scope_label(choice: ScopeChoice) -> str:
    """The picked scope as the form shows it."""
    return " ".join(choice.label.split())


# ---------------------------------------------------------------------------- state and messages


@dataclass(frozen=True)
class Filters:
    """What the list shows: the state filter, a customer, a product, a text."""

    which: StateFilter = "active"
    customer_id: int | None = None
    product: str = ""
    text: str = ""


class ListLoaded(Loaded, Generic[R]):
    """The list's rows (and what else the screen shows with them) for `filters`."""

    def __init__(self, filters: Filters, rows: Sequence[R], extra: Any = None) -> None:
        super().__init__()
        self.filters = filters
        self.rows = rows
        self.extra = extra


class DetailLoaded(Loaded, Generic[D]):
    """Item `item_id` in full."""

    def __init__(self, item_id: int, detail: D) -> None:
        super().__init__()
        self.item_id = item_id
        self.detail = detail


class DetailPane(DetailLog, Generic[D]):
    """The reading pane of one item: it renders the `detail` it is given (None: the empty
    text), again at its new width after a resize; it never loads anything."""

    detail: reactive[Any] = reactive(None, always_update=True, init=False)
    EMPTY: ClassVar[str] = ""

    def __init__(self, zone: tzinfo, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.zone = zone

    def watch_detail(self, detail: D | None) -> None:
        """Write the item anew."""
        self.clear()
        if detail is None:
            self.write(Text(self.EMPTY, style="dim"))
            return
        for part in self.render_detail(detail):
            self.write(part)
        write_sections(self, self.zone, *self.sections(detail))
        self.scroll_home(animate=False)

    def render_detail(self, detail: D) -> list[RenderableType]:
        """The item's own fields (each screen's pane implements it)."""
        raise NotImplementedError

    def sections(
        self, detail: D
    ) -> tuple[Sequence[ScopeView], Sequence[LinkedRun], Sequence[TimelineEntry]]:
        """Scopes, linked runs, timeline of `detail`."""
        raise NotImplementedError

    @on(Resize)
    def _rewrap(self) -> None:
        """Wrap again at the new width."""
        if self.detail is not None:
            self.call_after_refresh(self.watch_detail, self.detail)


# ---------------------------------------------------------------------------- the list screen


class FollowUpListScreen(AreaScreen, Generic[R, D]):
    """A list of tickets or remarks with state, customer, product and text filters."""

    NOUN: ClassVar[str] = "items"
    KIND: ClassVar[ItemKind] = ItemKind.TICKET
    WRITES: ClassVar[Changed] = Changed.TICKETS

    def __init__(self) -> None:
        super().__init__()
        self.filters = Filters()
        self.customer_name = ""
        self.rows: dict[int, R] = {}
        self.current: int | None = None
        """The item whose detail is shown (or being loaded)."""
        self.wanted: int | None = None
        """The item `show_item` asked for, until the list that holds it arrives."""
        self.shown: Filters | None = None
        """The filters of the rows in the table (None before the first list arrives)."""

    @property
    def text(self) -> str:
        """The text filter."""
        return self.filters.text

    @text.setter
    def text(self, text: str) -> None:
        """Change the text filter (`reload` applies it)."""
        self.filters = Filters(**{**self.filters.__dict__, "text": text})

    # ---------------------------------------------------------------- subclass parts
    def fetch_rows(self, filters: Filters) -> tuple[Sequence[R], Any]:
        """Read the list for `filters`, in a thread (each screen implements it)."""
        raise NotImplementedError

    def fetch_detail(self, item_id: int) -> D:
        """Read item `item_id` in full, in a thread (each screen implements it)."""
        raise NotImplementedError

    def fill_rows(self, rows: Sequence[R], extra: Any) -> None:
        """Fill the table with `rows` (each screen implements it)."""
        raise NotImplementedError

    def header_selected(self) -> int:
        """How many rows are selected (tickets, for a merge)."""
        return 0

    def add_scope_call(self, item_id: int, spec: ScopeSpec) -> object:
        """The service call that adds `spec` to item `item_id` (each screen implements it)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- widgets
    @property
    def table(self) -> KeyedTable:
        """The list."""
        return self.query_one(f"#{self.LIST}", KeyedTable)

    @property
    def pane(self) -> DetailPane[D]:
        """The detail pane."""
        return self.query_one(DetailPane)

    # ---------------------------------------------------------------- loading
    def refresh_data(self, what: Changed) -> None:  # noqa: ARG002 - any change reloads
        """Reload the list (the cursor stays on the same item) and the current detail."""
        self.load_list()

    def reload(self) -> None:
        """Reload the list with the current filters."""
        self.load_list()

    def load_list(self) -> None:
        """Start loading the list for the current filters."""
        self.begin_loading(self.table)
        self._load_list(self.filters)

    @work(thread=True, exclusive=True, group="loading-the-list", exit_on_error=False)
    def _load_list(self, filters: Filters) -> None:
        rows, extra = self.fetch_rows(filters)
        self.post_message(ListLoaded(filters, rows, extra))

    @on(ListLoaded)
    def _list_loaded(self, message: ListLoaded[R]) -> None:
        if message.filters != self.filters:
            return  # the filters moved on; their own load is under way
        self.end_loading(self.table)
        if self.wanted is not None and not any(r.id == self.wanted for r in message.rows):
            if self.filters != Filters(which="all"):
                self.filters, self.customer_name = Filters(which="all"), ""
                self.load_list()
                return
            self.wanted = None
        self.rows = {r.id: r for r in message.rows}
        self.shown = message.filters
        keep = self.wanted if self.wanted is not None else self.table.current_key
        self.wanted = None
        self.fill_rows(message.rows, message.extra)
        if keep is not None and str(keep) in self.table.rows:
            self.table.move_cursor(row=self.table.get_row_index(str(keep)), animate=False)
        self.update_header()
        self.show_current(force=True)

    def update_header(self) -> None:
        """The header line above the list."""
        header = self.query_one(f"#{self.LIST.removesuffix('-list')}-header", Static)
        header.update(self.header(len(self.rows), self.header_selected()))

    def show_current(self, *, force: bool = False) -> None:
        """Load the detail of the item under the cursor (again with `force`)."""
        item_id = self.table.current_key
        self.refresh_bindings()
        if item_id == self.current and not force:
            return
        self.current = item_id
        if item_id is None:
            self.end_loading(self.pane)
            self.pane.detail = None
            return
        self.begin_loading(self.pane)
        self._load_detail(item_id)

    @work(thread=True, exclusive=True, group="loading-the-item", exit_on_error=False)
    def _load_detail(self, item_id: int) -> None:
        self.post_message(DetailLoaded(item_id, self.fetch_detail(item_id)))

    @on(DetailLoaded)
    def _detail_loaded(self, message: DetailLoaded[D]) -> None:
        if message.item_id != self.current:
            return
        self.end_loading(self.pane)
        self.pane.detail = message.detail

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed load leaves no loading indicator behind (the app shows the error)."""
        if event.state is not WorkerState.ERROR:
            return
        if event.worker.group == "loading-the-list":
            self.end_loading(self.table)
        elif event.worker.group == "loading-the-item":
            self.end_loading(self.pane)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self.table:
            self.show_current()

    # ---------------------------------------------------------------- layout
    def on_resize(self, event: Resize) -> None:
        """Stack the panes on narrow terminals (the pane wraps again by itself)."""
        self.set_class(event.size.width < NARROW, "narrow")

    def header(self, count: int, selected: int = 0) -> Text:
        """ "12 tickets · active · customer: Acme · search: 'x'"."""
        noun = self.NOUN if count != 1 else self.NOUN.removesuffix("s")
        parts = [f"{count} {noun} · {self.filters.which}"]
        if self.filters.customer_id is not None:
            parts.append(f"customer: {self.customer_name}")
        if self.filters.product:
            parts.append(f"product: {self.filters.product}")
        if self.filters.text:
            parts.append(f"search: {self.filters.text!r}")
        if selected:
            parts.append(f"{selected} selected")
        return literal("  ·  ".join(parts), style="bold")

    # ---------------------------------------------------------------- acting
    async def apply(self, message: str, call: Callable[..., object], *args: Any) -> bool:
        """Await the service call `call(*args)`; then say so and signal the change (the
        list reloads), or show its error."""
        try:
            await self.io(call, *args)
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return False
        self.bc_app.changed(self.WRITES)
        self.notify(message)
        return True

    def set_filters(self, **changes: Any) -> None:
        """Change the filters and reload."""
        self.filters = Filters(**{**self.filters.__dict__, **changes})
        self.load_list()

    def action_cycle_filter(self) -> None:
        """Active → resolved → all."""
        which = FILTERS[(FILTERS.index(self.filters.which) + 1) % len(FILTERS)]
        self.set_filters(which=which)

    def apply_filter(self, text: str) -> None:
        """Filter the list by `text`."""
        self.set_filters(text=text)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_filter_customer(self) -> None:
        """Pick a customer (or all) in a fuzzy picker."""
        services = self.services
        names: dict[int, str] = {}

        def source(text: str) -> list[tuple[int, Text | str]]:
            found = services.customer_choices(text)
            names.update(found)
            every: list[tuple[int, Text | str]] = [(ALL, Text("(every customer)", style="dim"))]
            hits: list[tuple[int, Text | str]] = [(i, literal(name)) for i, name in found]
            return every + hits if not text.strip() else hits + every

        picked = await self.app.push_screen_wait(
            PickerDialog[int](f"Show {self.NOUN} covering the jobs of", source)
        )
        if picked is None:
            return
        self.customer_name = names.get(picked, "?") if picked != ALL else ""
        self.set_filters(customer_id=picked if picked != ALL else None)

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_filter_product(self) -> None:
        """Pick a product (or all) in a fuzzy picker."""
        services = self.services

        def source(text: str) -> list[tuple[str, Text | str]]:
            every: list[tuple[str, Text | str]] = [("", Text("(every product)", style="dim"))]
            found: list[tuple[str, Text | str]] = [
                (p, literal(p)) for p in services.product_choices(text)
            ]
            return every + found if not text.strip() else found + every

        picked = await self.app.push_screen_wait(
            PickerDialog[str](f"Show {self.NOUN} covering jobs of the product", source)
        )
        if picked is None:
            return
        self.set_filters(product=picked)

    async def pick_scope(self, title: str) -> ScopeChoice | None:
        """A customer or job for a new item, from a fuzzy picker (searched in a thread)."""
        services = self.services
        choices: dict[int, ScopeChoice] = {}

        def source(text: str) -> list[tuple[int, Text | str]]:
            found = dict(enumerate(services.scope_choices(text)))
            choices.clear()
            choices.update(found)
            return [(i, literal(c.label)) for i, c in found.items()]

        picked = await self.app.push_screen_wait(
            PickerDialog[int](title, source, empty="No customer or job matches.")
        )
        return choices.get(picked) if picked is not None else None

    @work(exclusive=True, group="act", exit_on_error=False)
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
            item_id, label = await self.io(
                create_item, self.services, self.KIND, form, [choice.spec]
            )
        except BackupChecksError as error:
            self.bc_app.show_error(error)
            return
        if self.filters.which == "resolved":
            self.filters = Filters(**{**self.filters.__dict__, "which": "active"})
        self.wanted = item_id
        self.bc_app.changed(self.WRITES)
        self.notify(f"{label} saved.")

    def current_id(self) -> int | None:
        """The id of the item under the cursor."""
        return self.table.current_key

    @work(exclusive=True, group="act", exit_on_error=False)
    async def action_add_scope(self) -> None:
        """Pick one more customer or job for the current item to cover."""
        item_id = self.current_id()
        if item_id is None:
            return
        choice = await self.pick_scope("Also cover which customer or job?")
        if choice is None:
            return
        await self.apply(
            f"Now also covers {scope_label(choice)}.", self.add_scope_call, item_id, choice.spec
        )

    def show_item(self, item_id: int) -> None:
        """Put the cursor on `item_id`, clearing the filters when they hide it (the list is
        loaded again, and the cursor put there when it arrives)."""
        table = self.table
        table.focus()
        if self.shown == self.filters and str(item_id) in table.rows:
            table.move_cursor(row=table.get_row_index(str(item_id)), animate=False)
            return
        self.wanted = item_id
        self.load_list()
