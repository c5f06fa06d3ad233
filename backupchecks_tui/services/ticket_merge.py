"""Merging tickets: the sources fold into the target (scopes, run links, timeline) and
become "merged"; both timelines record it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from backupchecks_tui.domain import ItemKind, LinkKind, TicketState
from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.services import audit
from backupchecks_tui.services.item_base import InvalidInput, Owner, clock
from backupchecks_tui.services.links import add_run_links
from backupchecks_tui.services.scopes import add_scopes, scope_specs
from backupchecks_tui.services.ticket_queries import ticket_view
from backupchecks_tui.services.ticket_rules import check_transition, lock_ticket
from backupchecks_tui.services.timeline import add_event
from backupchecks_tui.views.items import TicketView
from store.engine import session_scope
from store.models import RunLink, Ticket, TimelineEvent


def merge(
    engine: Engine,
    actor: Actor,
    target_id: int,
    source_ids: Sequence[int],
    *,
    now: datetime | None = None,
) -> TicketView:
    """Merge `source_ids` into `target_id`: sources become "merged", their scopes, run links
    and timeline events are copied to the target, and both timelines record the merge."""
    require(actor, Action.TICKET_WRITE)
    moment = clock(now)
    sources = sorted({i for i in source_ids if i != target_id})
    if not sources:
        raise InvalidInput("Choose at least one other ticket to merge into the target.")
    with session_scope(engine) as session:
        locked = {i: lock_ticket(session, i, moment) for i in sorted([target_id, *sources])}
        target = locked[target_id]
        for ticket in locked.values():
            check_transition(session, ticket, "merge")
        numbers = [locked[i].number for i in sources]
        for source_id in sources:
            _merge_one(session, locked[source_id], target, actor.login, moment)
        owner = Owner(ItemKind.TICKET, target_id)
        add_event(session, owner, "merged", actor.login, moment, sources=numbers)
        audit.record(
            session,
            actor,
            "ticket.merge",
            "ticket",
            target_id,
            number=target.number,
            sources=numbers,
        )
        session.flush()
        return ticket_view(session, target)


def _merge_one(session: Session, source: Ticket, target: Ticket, by: str, at: datetime) -> None:
    """Fold `source` into `target` (both locked)."""
    assert source.id is not None
    assert target.id is not None
    src, dst = Owner(ItemKind.TICKET, source.id), Owner(ItemKind.TICKET, target.id)
    add_scopes(session, dst, scope_specs(session, src), checked=False)
    for kind in LinkKind:
        runs = session.exec(
            select(RunLink.run_id).where(RunLink.ticket_id == source.id, RunLink.kind == kind)
        ).all()
        add_run_links(session, dst, runs, kind=kind, by=by, at=at)
    _copy_timeline(session, source, target)
    session.execute(
        update(Ticket)
        .where(col(Ticket.merged_into_id) == source.id)
        .values(merged_into_id=target.id)
    )
    source.state = TicketState.MERGED
    source.merged_into_id = target.id
    source.on_hold_until = None
    source.closed_at = at
    source.closed_by = by
    session.add(source)
    add_event(session, src, "merged", by, at, into=target.number)


def _copy_timeline(session: Session, source: Ticket, target: Ticket) -> None:
    """Copy `source`'s timeline into `target`'s, each event marked with the source number."""
    events = session.exec(
        select(TimelineEvent)
        .where(TimelineEvent.ticket_id == source.id)
        .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
    ).all()
    for event in events:
        details: dict[str, Any] = json.loads(event.details) if event.details else {}
        details.setdefault("from", source.number)
        session.add(
            TimelineEvent(
                ticket_id=target.id,
                at=event.at,
                actor=event.actor,
                kind=event.kind,
                details=json.dumps(details, default=str, sort_keys=True),
            )
        )
