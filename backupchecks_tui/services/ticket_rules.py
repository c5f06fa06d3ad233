"""The rules of a ticket's states: which action each state allows, and the locked read
every change starts with (an expired hold applied first)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from backupchecks_tui.domain import ACTIVE_TICKET_STATES, TicketState
from backupchecks_tui.errors import NotFound
from backupchecks_tui.services.item_base import TransitionRefused
from backupchecks_tui.services.ticket_queries import expire_hold
from store.models import Ticket

_ACTIVE: frozenset[str] = ACTIVE_TICKET_STATES
_ACTIVE_OR_RESOLVED: frozenset[str] = frozenset({*ACTIVE_TICKET_STATES, TicketState.RESOLVED})

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({TicketState.OPEN}), "started"),
    "hold": (frozenset({TicketState.IN_PROGRESS, TicketState.ON_HOLD}), "put on hold"),
    "resume": (frozenset({TicketState.ON_HOLD}), "taken off hold"),
    "resolve": (_ACTIVE, "resolved"),
    "reopen": (frozenset({TicketState.RESOLVED}), "reopened"),
    "comment": (_ACTIVE_OR_RESOLVED, "commented on"),
    "edit": (_ACTIVE_OR_RESOLVED, "edited"),
    "link_run": (_ACTIVE_OR_RESOLVED, "linked to a run"),
    "add_scope": (_ACTIVE, "given another scope"),
    "merge": (_ACTIVE_OR_RESOLVED, "merged"),
}
"""Action → (states it is allowed from, the words used when it is refused)."""


def allowed_actions(state: str) -> frozenset[str]:
    """The actions a ticket in `state` allows (for enabling keys in the UI)."""
    return frozenset(action for action, (states, _) in TRANSITIONS.items() if state in states)


def lock_ticket(session: Session, ticket_id: int, now: datetime) -> Ticket:
    """The ticket, locked for this transaction, with an expired hold applied."""
    ticket = session.exec(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).first()
    if ticket is None:
        raise NotFound(f"There is no ticket with id {ticket_id}.")
    expire_hold(session, ticket, now)
    return ticket


def check_transition(session: Session, ticket: Ticket, action: str) -> None:
    """TransitionRefused unless `ticket`'s state allows `action`."""
    states, words = TRANSITIONS[action]
    if ticket.state in states:
        return
    if ticket.state == TicketState.MERGED:
        target = session.get(Ticket, ticket.merged_into_id) if ticket.merged_into_id else None
        into = f"#{target.number}" if target else "another ticket"
        raise TransitionRefused(
            f"Ticket #{ticket.number} was merged into {into}; change {into} instead."
        )
    label = TicketState(ticket.state).label.lower()
    raise TransitionRefused(f"Ticket #{ticket.number} is {label}, so it cannot be {words}.")
