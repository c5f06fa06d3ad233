"""Tickets and Remarks: lists, details, transitions, scopes, run links, the forms' choices.

Every method does I/O (screens call them from workers), except `ticket_actions`. Writes
are done, checked and audited as the session's operator and raise our errors
(`TransitionRefused`, `InvalidInput`, `PermissionDenied`…) with one plain sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from backupchecks_tui.domain import TicketOutcome
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


class ItemsApi(Protocol):
    """The items part of the facade."""

    # ------------------------------------------------------------------ tickets
    def tickets(
        self,
        state: StateFilter = "active",
        customer_id: int | None = None,
        product: str | None = None,
        text: str = "",
    ) -> TicketList:
        """The Tickets list (newest number first) with the linked-run count of each."""
        ...

    def ticket_detail(self, ticket_id: int) -> TicketDetail:
        """One ticket with its scopes, linked runs and timeline (newest last)."""
        ...

    def ticket_actions(self, state: str) -> frozenset[str]:
        """The transitions a ticket in `state` allows: 'start', 'hold'… (no I/O)."""
        ...

    def open_ticket(
        self,
        title: str,
        *,
        code: str = "",
        description: str = "",
        scopes: Sequence[ScopeSpec],
        run_ids: Sequence[int] = (),
    ) -> TicketView:
        """Open a ticket covering `scopes`, linked to `run_ids`."""
        ...

    def start_ticket(self, ticket_id: int) -> TicketView:
        """Open → in progress."""
        ...

    def hold_ticket(self, ticket_id: int, until: datetime) -> TicketView:
        """On hold until `until` (aware)."""
        ...

    def resume_ticket(self, ticket_id: int) -> TicketView:
        """On hold → in progress."""
        ...

    def comment_ticket(self, ticket_id: int, body: str) -> TicketView:
        """Add a comment to the timeline."""
        ...

    def edit_ticket(self, ticket_id: int, *, title: str, code: str, description: str) -> TicketView:
        """Change title, code and description (the previous text stays in the timeline)."""
        ...

    def resolve_ticket(
        self,
        ticket_id: int,
        category: str,
        outcome: TicketOutcome,
        reprocessed_run_ids: Sequence[int] = (),
    ) -> TicketView:
        """Close with a category and an outcome (runs that made up for it if reprocessed)."""
        ...

    def reopen_ticket(self, ticket_id: int) -> TicketView:
        """Resolved → open."""
        ...

    def merge_tickets(self, target_id: int, source_ids: Sequence[int]) -> TicketView:
        """Fold `source_ids` into `target_id`."""
        ...

    def add_ticket_scope(self, ticket_id: int, spec: ScopeSpec) -> TicketView:
        """Let the ticket cover one more customer, job or object."""
        ...

    def close_categories(self) -> list[str]:
        """Close categories: the team's own, most used first, then common ones."""
        ...

    def reprocess_candidates(self, ticket_id: int) -> list[RunInfo]:
        """Later runs of the jobs the ticket covers (for a `reprocessed` close)."""
        ...

    # ------------------------------------------------------------------ remarks
    def remarks(
        self,
        state: StateFilter = "active",
        customer_id: int | None = None,
        product: str | None = None,
        text: str = "",
    ) -> list[RemarkRow]:
        """The Remarks list, newest first."""
        ...

    def remark_detail(self, remark_id: int) -> RemarkDetail:
        """One remark with its scopes, linked runs and timeline."""
        ...

    def add_remark(
        self, body: str, scopes: Sequence[ScopeSpec], run_ids: Sequence[int] = ()
    ) -> RemarkView:
        """Add a remark covering `scopes`, linked to `run_ids`."""
        ...

    def edit_remark(self, remark_id: int, body: str) -> RemarkView:
        """Change the remark's text."""
        ...

    def resolve_remark(self, remark_id: int) -> RemarkView:
        """Resolve an active remark."""
        ...

    def reopen_remark(self, remark_id: int) -> RemarkView:
        """Make a resolved remark active again."""
        ...

    def add_remark_scope(self, remark_id: int, spec: ScopeSpec) -> RemarkView:
        """Let the remark cover one more customer, job or object."""
        ...

    # ------------------------------------------------------------------ choices
    def scope_choices(self, text: str = "") -> list[ScopeChoice]:
        """Customers and jobs fuzzy-matching `text`, best first (for the scope picker)."""
        ...

    def customer_choices(self, text: str = "", limit: int = 50) -> list[tuple[int, str]]:
        """(id, name) of customers fuzzy-matching `text`, best first."""
        ...

    def product_choices(self, text: str = "") -> list[str]:
        """Products of known jobs fuzzy-matching `text`, best first."""
        ...
