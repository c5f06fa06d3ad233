"""Remarks: light notes on a customer, job or object (planned maintenance, a known quirk).

A remark has a body, scopes, linked runs, created at/by and resolved at/by; it is active
until resolved and can be reopened. Scopes, run links and the timeline work as for
tickets (`services.scopes`, `links`, `timeline`). Every change checks the role, locks the
row, records a timeline event and an audit entry, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine
from sqlmodel import Session, col, select

from backupchecks_tui.domain import ItemKind, LinkKind
from backupchecks_tui.errors import NotFound
from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.services import audit
from backupchecks_tui.services.item_base import (
    InvalidInput,
    Owner,
    TransitionRefused,
    clock,
    text_like,
)
from backupchecks_tui.services.links import add_run_links, linked_runs, run_details
from backupchecks_tui.services.scopes import (
    add_scope_to,
    add_scopes,
    require_scopes,
    scope_conditions,
    scope_summary,
    scope_views,
)
from backupchecks_tui.services.timeline import add_event, timeline
from backupchecks_tui.views.items import RemarkDetail, RemarkRow, RemarkView, ScopeSpec, StateFilter
from store.engine import read_scope, session_scope
from store.models import Remark

_BODY_MAX = 100_000


def remark_active() -> ColumnElement[bool]:
    """SQL: the remark covers its scopes (not resolved)."""
    return col(Remark.resolved_at).is_(None)


def _values(remark: Remark) -> dict[str, Any]:
    """The RemarkView fields of `remark`."""
    return {f.name: getattr(remark, f.name) for f in fields(RemarkView)}


def remark_view(remark: Remark) -> RemarkView:
    """`remark` as a RemarkView."""
    return RemarkView(**_values(remark))


def _clean_body(body: str) -> str:
    """The body trimmed; InvalidInput when empty or huge."""
    text = body.strip()
    if not text:
        raise InvalidInput("The remark cannot be empty.")
    if len(text) > _BODY_MAX:
        raise InvalidInput(f"The remark is longer than {_BODY_MAX} characters.")
    return text


def add_remark(
    engine: Engine,
    actor: Actor,
    body: str,
    scopes: Sequence[ScopeSpec],
    run_ids: Sequence[int] = (),
    *,
    now: datetime | None = None,
) -> RemarkView:
    """Add a remark covering `scopes`, with `run_ids` linked."""
    require(actor, Action.REMARK_WRITE)
    moment = clock(now)
    text = _clean_body(body)
    require_scopes(scopes)
    with session_scope(engine) as session:
        remark = Remark(body=text, created_at=moment, created_by=actor.login)
        session.add(remark)
        session.flush()
        assert remark.id is not None
        owner = Owner(ItemKind.REMARK, remark.id)
        add_scopes(session, owner, scopes)
        add_event(session, owner, "opened", actor.login, moment)
        runs = add_run_links(
            session, owner, run_ids, kind=LinkKind.LINKED, by=actor.login, at=moment
        )
        for run in runs:
            add_event(session, owner, "linked_run", actor.login, moment, **run_details(run))
        audit.record(session, actor, "remark.add", "remark", remark.id, runs=len(runs))
        return remark_view(remark)


RemarkChange = Callable[[Session, Remark], tuple[str, dict[str, Any]] | None]
"""Mutates a locked remark; returns (timeline kind, details) or None when nothing changed."""


def _change(
    engine: Engine,
    actor: Actor,
    remark_id: int,
    action: str,
    change: RemarkChange,
    *,
    now: datetime,
) -> RemarkView:
    """One remark change: role, lock, `change`, timeline event, audit."""
    require(actor, Action.REMARK_WRITE)
    with session_scope(engine) as session:
        remark = session.exec(
            select(Remark).where(Remark.id == remark_id).with_for_update()
        ).first()
        if remark is None:
            raise NotFound(f"There is no remark with id {remark_id}.")
        done = change(session, remark)
        if done is not None:
            kind, details = done
            session.add(remark)
            add_event(session, Owner(ItemKind.REMARK, remark_id), kind, actor.login, now, **details)
            audit.record(session, actor, f"remark.{action}", "remark", remark_id, **details)
        session.flush()
        return remark_view(remark)


def resolve_remark(
    engine: Engine, actor: Actor, remark_id: int, *, now: datetime | None = None
) -> RemarkView:
    """Resolve an active remark (it stops covering its scopes, stays searchable)."""
    moment = clock(now)

    def change(_session: Session, remark: Remark) -> tuple[str, dict[str, Any]]:
        """Mark resolved, unless it is already."""
        if remark.resolved_at is not None:
            raise TransitionRefused(f"Remark {remark_id} is already resolved.")
        remark.resolved_at = moment
        remark.resolved_by = actor.login
        return "resolved", {}

    return _change(engine, actor, remark_id, "resolve", change, now=moment)


def reopen_remark(
    engine: Engine, actor: Actor, remark_id: int, *, now: datetime | None = None
) -> RemarkView:
    """Make a resolved remark active again."""
    moment = clock(now)

    def change(_session: Session, remark: Remark) -> tuple[str, dict[str, Any]]:
        """Make active again, unless it is active."""
        if remark.resolved_at is None:
            raise TransitionRefused(f"Remark {remark_id} is active, so it cannot be reopened.")
        remark.resolved_at = None
        remark.resolved_by = ""
        return "reopened", {}

    return _change(engine, actor, remark_id, "reopen", change, now=moment)


def edit_remark(
    engine: Engine, actor: Actor, remark_id: int, body: str, *, now: datetime | None = None
) -> RemarkView:
    """Change the text; the previous text stays in the timeline event's details."""
    moment = clock(now)
    text = _clean_body(body)

    def change(_session: Session, remark: Remark) -> tuple[str, dict[str, Any]] | None:
        """Replace the body unless it is unchanged."""
        if remark.body == text:
            return None
        before = remark.body
        remark.body = text
        return "edit", {"before": {"body": before}, "after": {"body": text}}

    return _change(engine, actor, remark_id, "edit", change, now=moment)


def add_scope(
    engine: Engine, actor: Actor, remark_id: int, spec: ScopeSpec, *, now: datetime | None = None
) -> RemarkView:
    """Let the remark cover one more customer, job or object (kept when present)."""

    def change(session: Session, _remark: Remark) -> tuple[str, dict[str, Any]] | None:
        """Add the scope unless the remark has it."""
        return add_scope_to(session, Owner(ItemKind.REMARK, remark_id), spec)

    return _change(engine, actor, remark_id, "add_scope", change, now=clock(now))


def link_run(
    engine: Engine, actor: Actor, remark_id: int, run_id: int, *, now: datetime | None = None
) -> RemarkView:
    """Link a run to the remark (a run already linked is left as it is)."""
    moment = clock(now)
    owner = Owner(ItemKind.REMARK, remark_id)

    def change(session: Session, _remark: Remark) -> tuple[str, dict[str, Any]] | None:
        """Link the run unless it is linked already."""
        added = add_run_links(
            session, owner, [run_id], kind=LinkKind.LINKED, by=actor.login, at=moment
        )
        return ("linked_run", run_details(added[0])) if added else None

    return _change(engine, actor, remark_id, "link_run", change, now=moment)


def _state_condition(state: StateFilter) -> ColumnElement[bool] | None:
    """SQL filter for the list's state choice."""
    if state == "active":
        return remark_active()
    if state == "resolved":
        return col(Remark.resolved_at).is_not(None)
    if state == "all":
        return None
    msg = f"unknown state filter {state!r}"
    raise ValueError(msg)


def query_remarks(
    session: Session,
    *,
    state: StateFilter = "active",
    customer_id: int | None = None,
    product: str | None = None,
    text: str = "",
    limit: int | None = 1000,
) -> list[RemarkRow]:
    """Remarks matching the filters, newest first, with their scopes in one line."""
    conditions = [c for c in (_state_condition(state),) if c is not None]
    if text.strip():
        conditions.append(text_like(Remark.body, text.strip()))
    conditions += scope_conditions(ItemKind.REMARK, col(Remark.id), customer_id, product)
    query = select(Remark).where(*conditions).order_by(col(Remark.id).desc())
    if limit is not None:
        query = query.limit(limit)
    remarks = list(session.exec(query).all())
    views = scope_views(session, ItemKind.REMARK, [r.id for r in remarks if r.id is not None])
    return [RemarkRow(**_values(r), scope_summary=scope_summary(views[r.id or 0])) for r in remarks]


def list_remarks(
    engine: Engine,
    state: StateFilter = "active",
    customer_id: int | None = None,
    product: str | None = None,
    text: str = "",
    *,
    limit: int | None = 1000,
) -> list[RemarkRow]:
    """The Remarks list: state active/resolved/all, customer, product, text in the body."""
    with read_scope(engine) as session:
        return query_remarks(
            session, state=state, customer_id=customer_id, product=product, text=text, limit=limit
        )


def remark_detail(engine: Engine, remark_id: int) -> RemarkDetail:
    """One remark with scopes (named), linked runs and its timeline (newest last)."""
    with read_scope(engine) as session:
        remark = session.get(Remark, remark_id)
        if remark is None:
            raise NotFound(f"There is no remark with id {remark_id}.")
        owner = Owner(ItemKind.REMARK, remark_id)
        return RemarkDetail(
            remark=remark_view(remark),
            scopes=tuple(scope_views(session, ItemKind.REMARK, [remark_id])[remark_id]),
            runs=tuple(linked_runs(session, owner)),
            timeline=tuple(timeline(session, owner)),
        )
