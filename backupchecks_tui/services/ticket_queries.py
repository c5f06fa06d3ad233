"""Ticket queries: the list with its filters, one ticket in full, close categories, the
runs a reprocessed close may name, and the lazy expiry of holds (no Textual)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from backupchecks_tui.database import denied_by_database
from backupchecks_tui.domain import (
    ACTIVE_TICKET_STATES,
    CLOSED_TICKET_STATES,
    ItemKind,
    LinkKind,
    TicketSource,
    TicketState,
)
from backupchecks_tui.errors import NotFound
from backupchecks_tui.services import audit
from backupchecks_tui.services.item_base import SYSTEM, Owner, clock, text_like
from backupchecks_tui.services.links import linked_runs, run_info, run_moment, run_moments
from backupchecks_tui.services.scopes import (
    scope_conditions,
    scope_specs,
    scope_summary,
    scope_views,
)
from backupchecks_tui.services.timeline import add_event, timeline
from backupchecks_tui.views.items import (
    RunInfo,
    StateFilter,
    TicketDetail,
    TicketRow,
    TicketView,
)
from store.engine import read_scope, session_scope
from store.models import Job, JobRun, RunLink, Ticket

ACTIVE_STATES = tuple(sorted(ACTIVE_TICKET_STATES))
"""States of a ticket someone still works on (it shows as a marker in Run Checks)."""

CLOSED_STATES = tuple(sorted(CLOSED_TICKET_STATES))
"""States of a finished ticket (still listed and searchable)."""
_DIGITS = re.compile(r"#?(\d{1,9})")


# ---------------------------------------------------------------------------- reading


def ticket_active(now: datetime) -> ColumnElement[bool]:
    """SQL: the ticket covers jobs now (active state, not merged, active_from reached)."""
    return and_(
        col(Ticket.state).in_(ACTIVE_STATES),
        col(Ticket.merged_into_id).is_(None),
        col(Ticket.active_from) <= now,
    )


def _state_condition(state: StateFilter) -> ColumnElement[bool] | None:
    """SQL filter for the list's state choice."""
    if state == "active":
        return col(Ticket.state).in_(ACTIVE_STATES)
    if state == "resolved":
        return col(Ticket.state).in_(CLOSED_STATES)
    if state == "all":
        return None
    msg = f"unknown state filter {state!r}"
    raise ValueError(msg)


def _text_condition(text: str) -> ColumnElement[bool] | None:
    """SQL filter: #number, code, title or description contains `text`."""
    text = text.strip()
    if not text:
        return None
    found = [
        text_like(Ticket.code, text),
        text_like(Ticket.title, text),
        text_like(Ticket.description, text),
    ]
    number = _DIGITS.fullmatch(text)
    if number:
        found.append(col(Ticket.number) == int(number.group(1)))
    return or_(*found)


def view_values(ticket: Ticket, numbers: Mapping[int, int]) -> dict[str, Any]:
    """The TicketView fields of `ticket` (`numbers`: id → number of merge targets)."""
    assert ticket.id is not None
    values = {
        f.name: getattr(ticket, f.name) for f in fields(TicketView) if hasattr(ticket, f.name)
    }
    values["state"] = TicketState(ticket.state)
    values["source"] = TicketSource(ticket.source)
    target = ticket.merged_into_id
    values["merged_into_number"] = numbers.get(target) if target is not None else None
    return values


def target_numbers(session: Session, tickets: Iterable[Ticket]) -> dict[int, int]:
    """id → number of the tickets that `tickets` were merged into."""
    targets = {t.merged_into_id for t in tickets if t.merged_into_id is not None}
    if not targets:
        return {}
    rows = session.exec(
        select(Ticket.id, Ticket.number).where(col(Ticket.id).in_(sorted(targets)))
    ).all()
    return {i: n for i, n in rows if i is not None}


def ticket_view(session: Session, ticket: Ticket) -> TicketView:
    """`ticket` as a TicketView."""
    return TicketView(**view_values(ticket, target_numbers(session, [ticket])))


def query_tickets(
    session: Session,
    *,
    state: StateFilter = "active",
    customer_id: int | None = None,
    product: str | None = None,
    text: str = "",
    limit: int | None = 1000,
) -> list[TicketRow]:
    """Tickets matching the filters, newest number first, with their scopes in one line."""
    conditions = [c for c in (_state_condition(state), _text_condition(text)) if c is not None]
    conditions += scope_conditions(ItemKind.TICKET, col(Ticket.id), customer_id, product)
    query = select(Ticket).where(*conditions).order_by(col(Ticket.number).desc())
    if limit is not None:
        query = query.limit(limit)
    tickets = list(session.exec(query).all())
    ids = [t.id for t in tickets if t.id is not None]
    views = scope_views(session, ItemKind.TICKET, ids)
    numbers = target_numbers(session, tickets)
    return [
        TicketRow(**view_values(t, numbers), scope_summary=scope_summary(views[t.id or 0]))
        for t in tickets
    ]


def list_tickets(
    engine: Engine,
    state: StateFilter = "active",
    customer_id: int | None = None,
    product: str | None = None,
    text: str = "",
    *,
    now: datetime | None = None,
    limit: int | None = 1000,
) -> list[TicketRow]:
    """The Tickets list: state active/resolved/all, customer, product, text (#N, code, title,
    description). Holds whose date passed are brought back first."""
    refresh_if_due(engine, now)
    with read_scope(engine) as session:
        return query_tickets(
            session, state=state, customer_id=customer_id, product=product, text=text, limit=limit
        )


def ticket_detail(engine: Engine, ticket_id: int, *, now: datetime | None = None) -> TicketDetail:
    """One ticket with scopes (named), linked runs and its timeline (newest last)."""
    refresh_if_due(engine, now)
    with read_scope(engine) as session:
        ticket = get_ticket(session, ticket_id)
        owner = Owner(ItemKind.TICKET, ticket_id)
        merged_from = session.exec(
            select(Ticket.number)
            .where(Ticket.merged_into_id == ticket_id)
            .order_by(col(Ticket.number))
        ).all()
        return TicketDetail(
            ticket=ticket_view(session, ticket),
            scopes=tuple(scope_views(session, ItemKind.TICKET, [ticket_id])[ticket_id]),
            runs=tuple(linked_runs(session, owner)),
            timeline=tuple(timeline(session, owner)),
            merged_from=tuple(merged_from),
        )


COMMON_CATEGORIES = (
    "storage full",
    "target unreachable",
    "source offline",
    "credentials",
    "agent or software",
    "snapshot",
    "schedule",
    "licence",
    "hardware",
)
"""Suggested close categories until the team's own ones (any text) outnumber them."""


def close_categories(engine: Engine) -> list[str]:
    """Categories to offer when closing: the team's own, most used first, then the
    common ones not yet used."""
    with read_scope(engine) as session:
        used = session.execute(
            sa_select(col(Ticket.close_category))
            .where(col(Ticket.close_category) != "")
            .group_by(col(Ticket.close_category))
            .order_by(func.count().desc(), col(Ticket.close_category))
        ).scalars()
        own = list(used)
    seen = {c.lower() for c in own}
    return own + [c for c in COMMON_CATEGORIES if c not in seen]


def reprocess_candidates(engine: Engine, ticket_id: int) -> list[RunInfo]:
    """The runs a `reprocessed` close may name: later runs of the jobs the ticket covers."""
    with read_scope(engine) as session:
        return later_runs(session, get_ticket(session, ticket_id))


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket, or NotFound."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"There is no ticket with id {ticket_id}.")
    return ticket


# ---------------------------------------------------------------------------- holds


def expire_hold(session: Session, ticket: Ticket, now: datetime) -> bool:
    """Bring `ticket` (locked) back to in progress if its hold date has passed."""
    until = ticket.on_hold_until
    if ticket.state != TicketState.ON_HOLD or until is None or until > now:
        return False
    assert ticket.id is not None
    ticket.state = TicketState.IN_PROGRESS
    ticket.on_hold_until = None
    session.add(ticket)
    owner = Owner(ItemKind.TICKET, ticket.id)
    add_event(session, owner, "back_from_hold", SYSTEM, now, automatic=True, until=until)
    audit.record(
        session, SYSTEM, "ticket.back_from_hold", "ticket", ticket.id, number=ticket.number
    )
    return True


def due_holds() -> Any:
    """SELECT of tickets on hold (the caller adds the date condition)."""
    return select(Ticket).where(
        Ticket.state == TicketState.ON_HOLD, col(Ticket.on_hold_until).is_not(None)
    )


def refresh_holds(engine: Engine, now: datetime | None = None) -> list[int]:
    """Bring tickets whose hold date has passed back to in progress; their numbers.

    Safe with several app instances: rows are locked and re-checked, so each expiry is
    recorded once.
    """
    now = clock(now)
    with session_scope(engine) as session:
        due = session.exec(
            due_holds()
            .where(col(Ticket.on_hold_until) <= now)
            .order_by(col(Ticket.id))
            .with_for_update()
        ).all()
        return [t.number for t in due if expire_hold(session, t, now)]


def refresh_if_due(engine: Engine, now: datetime | None = None) -> None:
    """Run `refresh_holds` only when some hold has expired (reads stay read-only otherwise)."""
    now = clock(now)
    with read_scope(engine) as session:
        due = session.exec(due_holds().where(col(Ticket.on_hold_until) <= now).limit(1)).first()
    if due is None:
        return
    try:
        refresh_holds(engine, now)
    except DBAPIError as exc:
        # A Viewer's PostgreSQL login may not write: the list shows the hold as it is
        # until the app of someone who may write (Operator, Admin) expires it.
        if not denied_by_database(exc):
            raise


def covered_jobs(session: Session, ticket_id: int) -> set[int]:
    """Jobs a ticket's scopes name, directly or through their customer."""
    jobs: set[int] = set()
    customers: set[int] = set()
    for spec in scope_specs(session, Owner(ItemKind.TICKET, ticket_id)):
        if spec.job_id is not None:
            jobs.add(spec.job_id)
        elif spec.customer_id is not None:
            customers.add(spec.customer_id)
    if customers:
        jobs.update(
            i
            for i in session.exec(select(Job.id).where(col(Job.customer_id).in_(sorted(customers))))
            if i is not None
        )
    return jobs


def linked_since(session: Session, ticket_id: int, jobs: set[int]) -> dict[int, datetime]:
    """job id → moment of the ticket's earliest linked run of that job."""
    rows = session.execute(
        run_moments()
        .join(RunLink, col(RunLink.run_id) == col(JobRun.id))
        .where(
            col(RunLink.ticket_id) == ticket_id,
            col(RunLink.kind) == LinkKind.LINKED,
            col(JobRun.job_id).in_(sorted(jobs)),
        )
    ).all()
    since: dict[int, datetime] = {}
    for _run_id, job_id, started, ended, created in rows:
        moment = run_moment(started, ended, created)
        since[job_id] = min(moment, since.get(job_id, moment))
    return since


def later_runs(session: Session, ticket: Ticket) -> list[RunInfo]:
    """Runs of covered jobs later than the ticket's earliest linked run of that job (or than
    its active-from time when none of that job is linked), oldest first."""
    assert ticket.id is not None
    jobs = covered_jobs(session, ticket.id)
    if not jobs:
        return []
    since = linked_since(session, ticket.id, jobs)
    floor = min([ticket.active_from, *since.values()]) - timedelta(days=2)  # day vs. zone
    rows = session.execute(
        run_moments().where(
            col(JobRun.job_id).in_(sorted(jobs)), col(JobRun.run_day) >= floor.date()
        )
    ).all()
    moments = {
        run_id: run_moment(started, ended, created)
        for run_id, job_id, started, ended, created in rows
        if run_moment(started, ended, created) > since.get(job_id, ticket.active_from)
    }
    info = run_info(session, moments)
    return sorted(info.values(), key=lambda r: (moments[r.run_id], r.run_id))
