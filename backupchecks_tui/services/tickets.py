"""Tickets: formal follow-up of a problem, from open to resolved (no Textual).

A ticket has a per-install number #N, a code (free text, e.g. a PSA number), a title, a
description, scopes (a customer, a job, or an object name of a job), linked runs and a
timeline of every event. States: open → in_progress ⇄ on_hold (until a date) → resolved;
`reopen` brings a resolved ticket back; `merge` folds tickets into one (state "merged").

Every change is one transaction: role check, row lock, lazy hold expiry, state check, the
change, a timeline event and an audit entry. Refusals raise `TransitionRefused` or
`InvalidInput` with one plain sentence. Scopes, run links and timelines work the same for
remarks (`services.remarks`): their shared helpers live in `services.item_base`, `scopes`,
`links` and `timeline`; the queries in `services.ticket_queries`. The names other modules
import from here are re-exported (see `__all__`) so their callers keep working.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backupchecks_tui.domain import (
    ItemKind,
    LinkKind,
    TicketOutcome,
    TicketSource,
    TicketState,
)
from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.services import audit
from backupchecks_tui.services.item_base import (
    SYSTEM,
    InvalidInput,
    Owner,
    OwnerKind,
    TransitionRefused,
    clock,
    like_pattern,
    text_like,
)
from backupchecks_tui.services.links import (
    add_run_links,
    linked_runs,
    run_details,
    run_info,
)
from backupchecks_tui.services.scopes import (
    add_scope_to,
    add_scopes,
    covers_job,
    require_scopes,
    scope_conditions,
    scope_label,
    scope_summary,
    scope_views,
)
from backupchecks_tui.services.ticket_merge import merge
from backupchecks_tui.services.ticket_queries import (
    ACTIVE_STATES,
    CLOSED_STATES,
    COMMON_CATEGORIES,
    close_categories,
    later_runs,
    list_tickets,
    query_tickets,
    refresh_holds,
    refresh_if_due,
    reprocess_candidates,
    ticket_active,
    ticket_detail,
    ticket_view,
)
from backupchecks_tui.services.ticket_rules import (
    TRANSITIONS,
    allowed_actions,
    check_transition,
    lock_ticket,
)
from backupchecks_tui.services.timeline import add_event, describe_event, timeline
from backupchecks_tui.views.items import (
    LinkedRun,
    RunInfo,
    ScopeSpec,
    ScopeView,
    StateFilter,
    TicketDetail,
    TicketRow,
    TicketView,
    TimelineEntry,
)
from store.engine import session_scope
from store.models import Ticket

OUTCOMES = tuple(TicketOutcome)
"""How a ticket was closed: backups were fine / the window was lost / a later run made up."""

Outcome = TicketOutcome | Literal["false_alarm", "data_lost", "reprocessed"]


_NUMBER_ATTEMPTS = 20
_TITLE_MAX = 500
_CODE_MAX = 200
_CATEGORY_MAX = 100


Change = Callable[[Session, Ticket], tuple[str, dict[str, Any]] | None]
"""Mutates a locked ticket; returns (timeline kind, details) or None when nothing changed."""


def _change(
    engine: Engine,
    actor: Actor,
    ticket_id: int,
    action: str,
    change: Change,
    *,
    now: datetime | None,
) -> TicketView:
    """One ticket change: role, lock, state check, `change`, timeline event, audit."""
    require(actor, Action.TICKET_WRITE)
    moment = clock(now)
    with session_scope(engine) as session:
        ticket = lock_ticket(session, ticket_id, moment)
        check_transition(session, ticket, action)
        done = change(session, ticket)
        if done is not None:
            kind, details = done
            session.add(ticket)
            add_event(
                session, Owner(ItemKind.TICKET, ticket_id), kind, actor.login, moment, **details
            )
            audit.record(
                session,
                actor,
                f"ticket.{action}",
                "ticket",
                ticket_id,
                number=ticket.number,
                **details,
            )
        session.flush()
        return ticket_view(session, ticket)


def _clean_text(value: str, what: str, limit: int, *, required: bool) -> str:
    """`value` trimmed; InvalidInput when required and empty or longer than `limit`."""
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"The {what} cannot be empty.")
    if len(value) > limit:
        raise InvalidInput(f"The {what} is longer than {limit} characters.")
    return value


def _number_clash(exc: IntegrityError) -> bool:
    """Whether `exc` is another writer taking the same ticket number first."""
    return "number" in str(exc.orig).lower()


@dataclass(frozen=True)
class _NewTicket:
    """Checked input of `open_ticket`."""

    title: str
    description: str
    code: str
    scopes: tuple[ScopeSpec, ...]
    run_ids: tuple[int, ...]
    active_from: datetime
    source: str


def open_ticket(
    engine: Engine,
    actor: Actor,
    title: str,
    *,
    description: str = "",
    code: str = "",
    scopes: Sequence[ScopeSpec] = (),
    run_ids: Sequence[int] = (),
    active_from: datetime | None = None,
    now: datetime | None = None,
    source: str = TicketSource.USER,
) -> TicketView:
    """Open a ticket numbered #max+1; retried when another writer takes the number first."""
    require(actor, Action.TICKET_WRITE)
    moment = clock(now)
    require_scopes(scopes)
    new = _NewTicket(
        title=_clean_text(title, "title", _TITLE_MAX, required=True),
        description=description.strip(),
        code=_clean_text(code, "code", _CODE_MAX, required=False),
        scopes=tuple(scopes),
        run_ids=tuple(run_ids),
        active_from=clock(active_from) if active_from is not None else moment,
        source=source,
    )
    for attempt in range(_NUMBER_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                return _insert_ticket(session, actor, new, moment)
        except IntegrityError as exc:
            if attempt + 1 == _NUMBER_ATTEMPTS or not _number_clash(exc):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _insert_ticket(session: Session, actor: Actor, new: _NewTicket, now: datetime) -> TicketView:
    """Insert the ticket with the next number, its scopes, runs, timeline and audit."""
    number = session.exec(select(func.coalesce(func.max(Ticket.number), 0))).one() + 1
    ticket = Ticket(
        number=number,
        code=new.code,
        title=new.title,
        description=new.description,
        active_from=new.active_from,
        created_at=now,
        created_by=actor.login,
        source=new.source,
    )
    session.add(ticket)
    session.flush()  # the unique number is checked here
    assert ticket.id is not None
    owner = Owner(ItemKind.TICKET, ticket.id)
    add_scopes(session, owner, new.scopes)
    add_event(session, owner, "opened", actor.login, now, number=number)
    runs = add_run_links(session, owner, new.run_ids, kind=LinkKind.LINKED, by=actor.login, at=now)
    for run in runs:
        add_event(session, owner, "linked_run", actor.login, now, **run_details(run))
    audit.record(session, actor, "ticket.open", "ticket", ticket.id, number=number, title=new.title)
    session.flush()
    return ticket_view(session, ticket)


def start(
    engine: Engine, actor: Actor, ticket_id: int, *, now: datetime | None = None
) -> TicketView:
    """Open → in progress."""

    def change(_session: Session, ticket: Ticket) -> tuple[str, dict[str, Any]]:
        """Mark work as started."""
        ticket.state = TicketState.IN_PROGRESS
        return "started", {}

    return _change(engine, actor, ticket_id, "start", change, now=now)


def hold(
    engine: Engine, actor: Actor, ticket_id: int, until: datetime, *, now: datetime | None = None
) -> TicketView:
    """In progress → on hold until `until` (on hold: a new date); it comes back by itself."""
    moment = clock(now)
    if until.tzinfo is None:
        raise InvalidInput("The hold date needs a time zone.")
    if until <= moment:
        raise InvalidInput("The hold date must be in the future.")

    def change(_session: Session, ticket: Ticket) -> tuple[str, dict[str, Any]]:
        """Put on hold until the date."""
        ticket.state = TicketState.ON_HOLD
        ticket.on_hold_until = until
        return "put_on_hold", {"until": until.isoformat()}

    return _change(engine, actor, ticket_id, "hold", change, now=moment)


def resume(
    engine: Engine, actor: Actor, ticket_id: int, *, now: datetime | None = None
) -> TicketView:
    """On hold → in progress before the hold date."""

    def change(_session: Session, ticket: Ticket) -> tuple[str, dict[str, Any]]:
        """Take off hold."""
        ticket.state = TicketState.IN_PROGRESS
        ticket.on_hold_until = None
        return "back_from_hold", {"automatic": False}

    return _change(engine, actor, ticket_id, "resume", change, now=now)


def comment(
    engine: Engine, actor: Actor, ticket_id: int, body: str, *, now: datetime | None = None
) -> TicketView:
    """Add a comment to the timeline (comments cannot be changed afterwards)."""
    text = _clean_text(body, "comment", 100_000, required=True)

    def change(_session: Session, _ticket: Ticket) -> tuple[str, dict[str, Any]]:
        """Record the comment."""
        return "comment", {"body": text}

    return _change(engine, actor, ticket_id, "comment", change, now=now)


def edit(
    engine: Engine,
    actor: Actor,
    ticket_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
    code: str | None = None,
    now: datetime | None = None,
) -> TicketView:
    """Change title, description and/or code (None: unchanged); the previous text stays in
    the timeline event's details."""
    wanted: dict[str, str] = {}
    if title is not None:
        wanted["title"] = _clean_text(title, "title", _TITLE_MAX, required=True)
    if description is not None:
        wanted["description"] = description.strip()
    if code is not None:
        wanted["code"] = _clean_text(code, "code", _CODE_MAX, required=False)

    def change(_session: Session, ticket: Ticket) -> tuple[str, dict[str, Any]] | None:
        """Apply the changed fields, keeping the previous text."""
        before = {k: getattr(ticket, k) for k, v in wanted.items() if getattr(ticket, k) != v}
        if not before:
            return None
        after = {k: wanted[k] for k in before}
        for key, value in after.items():
            setattr(ticket, key, value)
        return "edit", {"before": before, "after": after}

    return _change(engine, actor, ticket_id, "edit", change, now=now)


def add_scope(
    engine: Engine, actor: Actor, ticket_id: int, spec: ScopeSpec, *, now: datetime | None = None
) -> TicketView:
    """Let an active ticket cover one more customer, job or object (kept when present)."""

    def change(session: Session, _ticket: Ticket) -> tuple[str, dict[str, Any]] | None:
        """Add the scope unless the ticket has it."""
        return add_scope_to(session, Owner(ItemKind.TICKET, ticket_id), spec)

    return _change(engine, actor, ticket_id, "add_scope", change, now=now)


def link_run(
    engine: Engine, actor: Actor, ticket_id: int, run_id: int, *, now: datetime | None = None
) -> TicketView:
    """Link a run to the ticket (a run already linked is left as it is)."""
    moment = clock(now)

    def change(session: Session, _ticket: Ticket) -> tuple[str, dict[str, Any]] | None:
        """Link the run unless it is linked already."""
        owner = Owner(ItemKind.TICKET, ticket_id)
        added = add_run_links(
            session, owner, [run_id], kind=LinkKind.LINKED, by=actor.login, at=moment
        )
        return ("linked_run", run_details(added[0])) if added else None

    return _change(engine, actor, ticket_id, "link_run", change, now=moment)


def resolve(
    engine: Engine,
    actor: Actor,
    ticket_id: int,
    category: str,
    outcome: Outcome,
    *,
    reprocessed_run_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> TicketView:
    """Close the ticket with a category and an outcome; `reprocessed` names the later runs
    of a covered job that made up for the problem."""
    moment = clock(now)
    clean = _clean_text(category, "category", _CATEGORY_MAX, required=True)
    if outcome not in OUTCOMES:
        raise InvalidInput(f"The outcome must be one of: {', '.join(OUTCOMES)}.")
    if outcome != TicketOutcome.REPROCESSED and reprocessed_run_ids:
        raise InvalidInput("Only the reprocessed outcome takes runs.")
    if outcome == TicketOutcome.REPROCESSED and not reprocessed_run_ids:
        raise InvalidInput("A reprocessed ticket needs the run or runs that made up for it.")

    def change(session: Session, ticket: Ticket) -> tuple[str, dict[str, Any]]:
        """Close with category, outcome and reprocessed runs."""
        runs = _link_reprocessed(session, ticket, reprocessed_run_ids, actor.login, moment)
        ticket.state = TicketState.RESOLVED
        ticket.on_hold_until = None
        ticket.closed_at = moment
        ticket.closed_by = actor.login
        ticket.close_category = clean
        ticket.close_outcome = outcome
        return "resolved", {"category": clean, "outcome": outcome, "runs": runs}

    return _change(engine, actor, ticket_id, "resolve", change, now=moment)


def _link_reprocessed(
    session: Session, ticket: Ticket, run_ids: Sequence[int], by: str, at: datetime
) -> list[int]:
    """Link `run_ids` as reprocessed; InvalidInput unless each is a later run of a covered job."""
    if not run_ids:
        return []
    allowed = {run.run_id for run in later_runs(session, ticket)}
    for run_id in run_ids:
        if run_id not in allowed:
            raise InvalidInput(
                f"Run {run_id} is not a later run of a job ticket #{ticket.number} covers."
            )
    assert ticket.id is not None
    add_run_links(
        session, Owner(ItemKind.TICKET, ticket.id), run_ids, kind=LinkKind.REPROCESSED, by=by, at=at
    )
    return sorted(set(run_ids))


def reopen(
    engine: Engine, actor: Actor, ticket_id: int, *, now: datetime | None = None
) -> TicketView:
    """Resolved → open again (the close is kept in the timeline)."""

    def change(_session: Session, ticket: Ticket) -> tuple[str, dict[str, Any]]:
        """Open again, forgetting the close fields."""
        previous = {"category": ticket.close_category, "outcome": ticket.close_outcome}
        ticket.state = TicketState.OPEN
        ticket.closed_at = None
        ticket.closed_by = ""
        ticket.close_category = ""
        ticket.close_outcome = ""
        return "reopened", {"previous": previous}

    return _change(engine, actor, ticket_id, "reopen", change, now=now)


__all__ = [
    "ACTIVE_STATES",
    "CLOSED_STATES",
    "COMMON_CATEGORIES",
    "OUTCOMES",
    "SYSTEM",
    "TRANSITIONS",
    "Change",
    "InvalidInput",
    "LinkedRun",
    "Outcome",
    "Owner",
    "OwnerKind",
    "RunInfo",
    "ScopeSpec",
    "ScopeView",
    "StateFilter",
    "TicketDetail",
    "TicketRow",
    "TicketView",
    "TimelineEntry",
    "TransitionRefused",
    "add_event",
    "add_run_links",
    "add_scope",
    "add_scope_to",
    "add_scopes",
    "allowed_actions",
    "clock",
    "close_categories",
    "comment",
    "covers_job",
    "describe_event",
    "edit",
    "hold",
    "like_pattern",
    "link_run",
    "linked_runs",
    "list_tickets",
    "merge",
    "open_ticket",
    "query_tickets",
    "refresh_holds",
    "refresh_if_due",
    "reopen",
    "reprocess_candidates",
    "require_scopes",
    "resolve",
    "resume",
    "run_details",
    "run_info",
    "scope_conditions",
    "scope_label",
    "scope_summary",
    "scope_views",
    "start",
    "text_like",
    "ticket_active",
    "ticket_detail",
    "ticket_view",
    "timeline",
]
