"""The items part of the facade (see `backupchecks_tui.api.items`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from backupchecks_tui.domain import ItemKind, TicketOutcome
from backupchecks_tui.facade.base import Bound
from backupchecks_tui.services import follow_up, remarks, ticket_queries, tickets
from backupchecks_tui.views.items import (
    RemarkDetail,
    RemarkRow,
    RemarkView,
    RunInfo,
    ScopeChoice,
    ScopeSpec,
    StateFilter,
    TicketDetail,
    TicketList,
    TicketView,
)


class ItemsFacade(Bound):
    """The items services, bound to the workspace."""

    # ------------------------------------------------------------------ tickets
    def tickets(
        self,
        state: StateFilter = "active",
        customer_id: int | None = None,
        product: str | None = None,
        text: str = "",
    ) -> TicketList:
        """The Tickets list with the linked-run count of each."""
        rows = ticket_queries.list_tickets(self.engine, state, customer_id, product, text)
        counts = follow_up.linked_run_counts(self.engine, ItemKind.TICKET, [r.id for r in rows])
        return TicketList(rows=tuple(rows), run_counts=counts)

    def ticket_detail(self, ticket_id: int) -> TicketDetail:
        """One ticket in full."""
        return ticket_queries.ticket_detail(self.engine, ticket_id)

    def ticket_actions(self, state: str) -> frozenset[str]:
        """The transitions `state` allows (no I/O)."""
        return tickets.allowed_actions(state)

    def open_ticket(
        self,
        title: str,
        *,
        code: str = "",
        description: str = "",
        scopes: Sequence[ScopeSpec],
        run_ids: Sequence[int] = (),
    ) -> TicketView:
        """Open a ticket."""
        return tickets.open_ticket(
            self.engine,
            self.actor,
            title,
            code=code,
            description=description,
            scopes=scopes,
            run_ids=run_ids,
        )

    def start_ticket(self, ticket_id: int) -> TicketView:
        """Open → in progress."""
        return tickets.start(self.engine, self.actor, ticket_id)

    def hold_ticket(self, ticket_id: int, until: datetime) -> TicketView:
        """On hold until `until`."""
        return tickets.hold(self.engine, self.actor, ticket_id, until)

    def resume_ticket(self, ticket_id: int) -> TicketView:
        """On hold → in progress."""
        return tickets.resume(self.engine, self.actor, ticket_id)

    def comment_ticket(self, ticket_id: int, body: str) -> TicketView:
        """Add a comment."""
        return tickets.comment(self.engine, self.actor, ticket_id, body)

    def edit_ticket(self, ticket_id: int, *, title: str, code: str, description: str) -> TicketView:
        """Change title, code and description."""
        return tickets.edit(
            self.engine, self.actor, ticket_id, title=title, code=code, description=description
        )

    def resolve_ticket(
        self,
        ticket_id: int,
        category: str,
        outcome: TicketOutcome,
        reprocessed_run_ids: Sequence[int] = (),
    ) -> TicketView:
        """Close with a category and an outcome."""
        return tickets.resolve(
            self.engine,
            self.actor,
            ticket_id,
            category,
            outcome,
            reprocessed_run_ids=list(reprocessed_run_ids),
        )

    def reopen_ticket(self, ticket_id: int) -> TicketView:
        """Resolved → open."""
        return tickets.reopen(self.engine, self.actor, ticket_id)

    def merge_tickets(self, target_id: int, source_ids: Sequence[int]) -> TicketView:
        """Fold `source_ids` into `target_id`."""
        return tickets.merge(self.engine, self.actor, target_id, list(source_ids))

    def add_ticket_scope(self, ticket_id: int, spec: ScopeSpec) -> TicketView:
        """One more scope."""
        return tickets.add_scope(self.engine, self.actor, ticket_id, spec)

    def close_categories(self) -> list[str]:
        """Close categories to offer."""
        return ticket_queries.close_categories(self.engine)

    def reprocess_candidates(self, ticket_id: int) -> list[RunInfo]:
        """Later runs of the covered jobs."""
        return ticket_queries.reprocess_candidates(self.engine, ticket_id)

    # ------------------------------------------------------------------ remarks
    def remarks(
        self,
        state: StateFilter = "active",
        customer_id: int | None = None,
        product: str | None = None,
        text: str = "",
    ) -> list[RemarkRow]:
        """The Remarks list."""
        return remarks.list_remarks(self.engine, state, customer_id, product, text)

    def remark_detail(self, remark_id: int) -> RemarkDetail:
        """One remark in full."""
        return remarks.remark_detail(self.engine, remark_id)

    def add_remark(
        self, body: str, scopes: Sequence[ScopeSpec], run_ids: Sequence[int] = ()
    ) -> RemarkView:
        """Add a remark."""
        return remarks.add_remark(self.engine, self.actor, body, scopes, run_ids=run_ids)

    def edit_remark(self, remark_id: int, body: str) -> RemarkView:
        """Change the text."""
        return remarks.edit_remark(self.engine, self.actor, remark_id, body)

    def resolve_remark(self, remark_id: int) -> RemarkView:
        """Resolve."""
        return remarks.resolve_remark(self.engine, self.actor, remark_id)

    def reopen_remark(self, remark_id: int) -> RemarkView:
        """Reopen."""
        return remarks.reopen_remark(self.engine, self.actor, remark_id)

    def add_remark_scope(self, remark_id: int, spec: ScopeSpec) -> RemarkView:
        """One more scope."""
        return remarks.add_scope(self.engine, self.actor, remark_id, spec)

    # ------------------------------------------------------------------ choices
    def scope_choices(self, text: str = "") -> list[ScopeChoice]:
        """Customers and jobs for the scope picker."""
        return follow_up.scope_choices(self.engine, text)

    def customer_choices(self, text: str = "", limit: int = 50) -> list[tuple[int, str]]:
        """Customers for the customer filter."""
        return follow_up.customer_choices(self.engine, text, limit=limit)

    def product_choices(self, text: str = "") -> list[str]:
        """Products for the product filter."""
        return follow_up.product_choices(self.engine, text)
