"""Tickets: formal follow-up of a problem, from open to resolved (no Textual).

A ticket has a per-install number #N, a code (free text, e.g. a PSA number), a title, a
description, scopes (a customer, a job, or an object name of a job), linked runs and a
timeline of every event. States: open → in_progress ⇄ on_hold (until a date) → resolved;
`reopen` brings a resolved ticket back; `merge` folds tickets into one (state "merged").

Every change is one transaction: role check, row lock, lazy hold expiry, state check, the
change, a timeline event and an audit entry. Refusals raise `TransitionRefused` or
`InvalidInput` with one plain sentence. Scopes, run links and timelines work the same for
remarks (`services.remarks`), so their shared helpers live here too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Engine, and_, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from backupchecks_tui.database import denied_by_database
from backupchecks_tui.domain import (
    ACTIVE_TICKET_STATES,
    CLOSED_TICKET_STATES,
    ItemKind,
    LinkKind,
    TicketOutcome,
    TicketSource,
    TicketState,
)
from backupchecks_tui.errors import BackupChecksError, NotFound
from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.services import audit
from backupchecks_tui.views.items import (
    LinkedRun,
    RunInfo,
    ScopeKind,
    ScopeSpec,
    ScopeView,
    StateFilter,
    TicketDetail,
    TicketRow,
    TicketView,
    TimelineEntry,
)
from store.engine import read_scope, session_scope
from store.models import Customer, Job, JobRun, RunLink, Scope, Ticket, TimelineEvent
from store.types import utcnow

ACTIVE_STATES = tuple(sorted(ACTIVE_TICKET_STATES))
"""States of a ticket someone still works on (it shows as a marker in Run Checks)."""

CLOSED_STATES = tuple(sorted(CLOSED_TICKET_STATES))
"""States of a finished ticket (still listed and searchable)."""

OUTCOMES = tuple(TicketOutcome)
"""How a ticket was closed: backups were fine / the window was lost / a later run made up."""

SYSTEM = "system"
"""The actor of automatic changes (a hold whose date passed)."""

Outcome = TicketOutcome | Literal["false_alarm", "data_lost", "reprocessed"]
OwnerKind = ItemKind | Literal["ticket", "remark"]

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

_NUMBER_ATTEMPTS = 20
_TITLE_MAX = 500
_CODE_MAX = 200
_CATEGORY_MAX = 100
_DIGITS = re.compile(r"#?(\d{1,9})")


class InvalidInput(BackupChecksError):
    """A ticket or remark was given something it cannot take (empty title, bad scope…)."""

    title = "Not saved"


class TransitionRefused(BackupChecksError):
    """The ticket or remark is in a state that does not allow the action."""

    title = "Not possible"


def allowed_actions(state: str) -> frozenset[str]:
    """The actions a ticket in `state` allows (for enabling keys in the UI)."""
    return frozenset(action for action, (states, _) in TRANSITIONS.items() if state in states)


# ---------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Owner:
    """The ticket or remark that scopes, run links and timeline events belong to."""

    kind: OwnerKind
    id: int

    def column(self, model: Any) -> Any:
        """The owner column (`ticket_id` / `remark_id`) of `model`."""
        return col(getattr(model, f"{self.kind}_id"))

    def key(self) -> dict[str, Any]:
        """Keyword arguments naming the owner on a new Scope, RunLink or TimelineEvent."""
        return {f"{self.kind}_id": self.id}


# ---------------------------------------------------------------------------- shared helpers


def clock(now: datetime | None) -> datetime:
    """`now`, or the current time; naive datetimes are a programming error."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        msg = f"naive datetime {now!r}: every datetime here is timezone-aware"
        raise ValueError(msg)
    return now


def like_pattern(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, case-folded, with wildcards escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_like(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive 'contains `text`' on `column` (portable: lower() + LIKE)."""
    result: ColumnElement[bool] = func.lower(column).like(like_pattern(text), escape="\\")
    return result


def _checked_scope(session: Session, spec: ScopeSpec) -> ScopeSpec:
    """`spec` with its object name trimmed, or InvalidInput / NotFound in plain words."""
    name = spec.object_name.strip()
    if spec.customer_id is not None and spec.job_id is not None:
        raise InvalidInput("A scope names a customer or a job, not both.")
    if name and spec.job_id is None:
        raise InvalidInput(f"The object scope {name!r} needs the job it belongs to.")
    if spec.customer_id is None and spec.job_id is None:
        raise InvalidInput("A scope needs a customer, a job, or an object name with its job.")
    if spec.customer_id is not None and session.get(Customer, spec.customer_id) is None:
        raise NotFound(f"There is no customer with id {spec.customer_id}.")
    if spec.job_id is not None and session.get(Job, spec.job_id) is None:
        raise NotFound(f"There is no job with id {spec.job_id}.")
    return ScopeSpec(spec.customer_id, spec.job_id, name)


def _scope_specs(session: Session, owner: Owner) -> list[ScopeSpec]:
    """The scopes `owner` has now."""
    rows = session.exec(
        select(Scope.customer_id, Scope.job_id, Scope.object_name)
        .where(owner.column(Scope) == owner.id)
        .order_by(col(Scope.id))
    ).all()
    return [ScopeSpec(c, j, o) for c, j, o in rows]


def add_scopes(
    session: Session, owner: Owner, scopes: Iterable[ScopeSpec], *, checked: bool = True
) -> list[ScopeSpec]:
    """Add the scopes `owner` does not have yet (validated unless `checked` is False)."""
    have = set(_scope_specs(session, owner))
    added: list[ScopeSpec] = []
    for spec in scopes:
        clean = _checked_scope(session, spec) if checked else spec
        if clean in have:
            continue
        have.add(clean)
        added.append(clean)
        session.add(Scope(**owner.key(), **_scope_columns(clean)))
    return added


def _scope_columns(spec: ScopeSpec) -> dict[str, Any]:
    """The Scope columns for `spec`."""
    return {"customer_id": spec.customer_id, "job_id": spec.job_id, "object_name": spec.object_name}


def require_scopes(scopes: Sequence[ScopeSpec]) -> None:
    """InvalidInput unless at least one scope is given."""
    if not scopes:
        raise InvalidInput("Give at least one scope: a customer, a job, or an object of a job.")


def run_info(session: Session, run_ids: Iterable[int]) -> dict[int, RunInfo]:
    """The runs named by `run_ids` with job and customer names (missing ids left out)."""
    ids = sorted(set(run_ids))
    if not ids:
        return {}
    rows = session.exec(_run_select().where(col(JobRun.id).in_(ids))).all()
    return {row[0]: RunInfo(*row) for row in rows}


def _run_select() -> Any:
    """SELECT of the RunInfo columns (run → job → customer)."""
    return (
        sa_select(
            col(JobRun.id),
            col(JobRun.job_id),
            col(Job.name),
            func.coalesce(Customer.name, ""),
            col(Job.product),
            col(JobRun.status),
            col(JobRun.run_day),
            col(JobRun.started_at),
        )
        .join(Job, col(Job.id) == col(JobRun.job_id))
        .outerjoin(Customer, col(Customer.id) == col(Job.customer_id))
    )


def add_run_links(
    session: Session, owner: Owner, run_ids: Iterable[int], *, kind: str, by: str, at: datetime
) -> list[RunInfo]:
    """Link the runs not linked yet with `kind`; NotFound for a run that does not exist."""
    wanted = list(dict.fromkeys(run_ids))
    info = run_info(session, wanted)
    missing = [r for r in wanted if r not in info]
    if missing:
        raise NotFound(f"There is no run with id {missing[0]}.")
    have = set(
        session.exec(
            select(RunLink.run_id).where(owner.column(RunLink) == owner.id, RunLink.kind == kind)
        ).all()
    )
    added = [info[r] for r in wanted if r not in have]
    for run in added:
        session.add(
            RunLink(**owner.key(), run_id=run.run_id, kind=kind, created_at=at, created_by=by)
        )
    return added


def run_details(run: RunInfo) -> dict[str, Any]:
    """What a timeline event keeps about a run (names as they were then)."""
    return {"run_id": run.run_id, "job": run.job, "status": run.status, "day": str(run.run_day)}


def add_event(
    session: Session, owner: Owner, kind: str, actor: str, at: datetime, **details: Any
) -> None:
    """Append an event to `owner`'s timeline (details kept as JSON)."""
    text = json.dumps(details, default=str, sort_keys=True) if details else ""
    session.add(TimelineEvent(**owner.key(), at=at, actor=actor, kind=kind, details=text))


def scope_views(
    session: Session, kind: OwnerKind, owner_ids: Sequence[int]
) -> dict[int, list[ScopeView]]:
    """Scopes with names for each of `owner_ids` (in the order they were added)."""
    found: dict[int, list[ScopeView]] = {i: [] for i in owner_ids}
    if not owner_ids:
        return found
    owner_col = col(getattr(Scope, f"{kind}_id"))
    job_customer = aliased(Customer)
    scope_customer = aliased(Customer)
    rows = session.execute(
        sa_select(
            owner_col,
            col(Scope.customer_id),
            col(Scope.job_id),
            col(Scope.object_name),
            func.coalesce(scope_customer.name, job_customer.name, ""),
            func.coalesce(Job.name, ""),
            func.coalesce(Job.product, ""),
        )
        .outerjoin(Job, col(Job.id) == col(Scope.job_id))
        .outerjoin(scope_customer, col(scope_customer.id) == col(Scope.customer_id))
        .outerjoin(job_customer, col(job_customer.id) == col(Job.customer_id))
        .where(owner_col.in_(list(owner_ids)))
        .order_by(col(Scope.id))
    ).all()
    for owner_id, customer_id, job_id, obj, customer, job, product in rows:
        scope_kind: ScopeKind = "customer" if job_id is None else ("object" if obj else "job")
        found[owner_id].append(
            ScopeView(scope_kind, customer_id, job_id, obj, customer, job, product)
        )
    return found


def scope_summary(views: Iterable[ScopeView]) -> str:
    """The scopes in one line, for lists."""
    return "; ".join(view.label for view in views)


def linked_runs(session: Session, owner: Owner) -> list[LinkedRun]:
    """The runs linked to `owner`, oldest day first."""
    rows = session.execute(
        _run_select()
        .add_columns(col(RunLink.kind), col(RunLink.created_at), col(RunLink.created_by))
        .join(RunLink, col(RunLink.run_id) == col(JobRun.id))
        .where(owner.column(RunLink) == owner.id)
        .order_by(col(JobRun.run_day), col(JobRun.id), col(RunLink.id))
    ).all()
    return [LinkedRun(*row) for row in rows]


def timeline(session: Session, owner: Owner) -> list[TimelineEntry]:
    """`owner`'s timeline, newest last."""
    events = session.exec(
        select(TimelineEvent)
        .where(owner.column(TimelineEvent) == owner.id)
        .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
    ).all()
    return [_entry(event) for event in events]


def _entry(event: TimelineEvent) -> TimelineEntry:
    """A stored event as a TimelineEntry with its sentence."""
    details: dict[str, Any] = json.loads(event.details) if event.details else {}
    summary = describe_event(event.kind, details)
    if "from" in details:
        summary = f"[#{details['from']}] {summary}"
    return TimelineEntry(event.at, event.actor, event.kind, summary, details)


def describe_event(kind: str, details: Mapping[str, Any]) -> str:
    """The sentence a timeline shows for an event."""
    simple = {
        "opened": "opened",
        "started": "started work",
        "reopened": "reopened",
    }
    if kind in simple:
        return simple[kind]
    describe = _DESCRIBERS.get(kind)
    return describe(details) if describe else kind.replace("_", " ")


def _describe_hold(details: Mapping[str, Any]) -> str:
    """'put on hold until <local time>'."""
    until = datetime.fromisoformat(str(details["until"])).astimezone()
    return f"put on hold until {until:%Y-%m-%d %H:%M}"


def _describe_back(details: Mapping[str, Any]) -> str:
    """'back from hold', saying when the date passing did it."""
    return "back from hold (the hold date passed)" if details.get("automatic") else "back from hold"


def _describe_edit(details: Mapping[str, Any]) -> str:
    """'edited title and code' — the previous text is in the details."""
    changed = sorted(details.get("before", {}))
    return "edited " + " and ".join(changed) if changed else "edited"


def _describe_run(details: Mapping[str, Any]) -> str:
    """'linked run 12 (job, failed, 2026-11-10)'."""
    return (
        f"linked run {details.get('run_id')} "
        f"({details.get('job')}, {details.get('status')}, {details.get('day')})"
    )


def _describe_resolved(details: Mapping[str, Any]) -> str:
    """'resolved: category — outcome (runs …)'."""
    outcome = str(details.get("outcome", "")).replace("_", " ")
    if not outcome:
        return "resolved"
    text = f"resolved: {details.get('category', '')} — {outcome}"
    runs = details.get("runs") or []
    return f"{text} (runs {', '.join(str(r) for r in runs)})" if runs else text


def _describe_merged(details: Mapping[str, Any]) -> str:
    """Both sides of a merge: 'merged into #3' or 'merged #5, #6 into this ticket'."""
    if "into" in details:
        return f"merged into #{details['into']}"
    sources = ", ".join(f"#{n}" for n in details.get("sources", []))
    return f"merged {sources} into this ticket"


_DESCRIBERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "put_on_hold": _describe_hold,
    "back_from_hold": _describe_back,
    "comment": lambda d: str(d.get("body", "")),
    "edit": _describe_edit,
    "linked_run": _describe_run,
    "scope_added": lambda d: f"now also covers {d.get('scope', 'a scope')}",
    "resolved": _describe_resolved,
    "merged": _describe_merged,
}


def scope_conditions(
    kind: OwnerKind, id_column: Any, customer_id: int | None, product: str | None
) -> list[ColumnElement[bool]]:
    """Filters on owner ids: a scope of `customer_id` (directly or via a job) / of `product`."""
    owner_col = col(getattr(Scope, f"{kind}_id"))
    conditions: list[ColumnElement[bool]] = []
    if customer_id is not None:
        by_customer = (
            select(owner_col)
            .outerjoin(Job, col(Job.id) == col(Scope.job_id))
            .where(or_(col(Scope.customer_id) == customer_id, col(Job.customer_id) == customer_id))
        )
        conditions.append(id_column.in_(by_customer))
    if product:
        by_product = (
            select(owner_col)
            .join(Job, col(Job.id) == col(Scope.job_id))
            .where(col(Job.product) == product)
        )
        conditions.append(id_column.in_(by_product))
    return conditions


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


def _view(ticket: Ticket, numbers: Mapping[int, int]) -> dict[str, Any]:
    """The TicketView fields of `ticket` (`numbers`: id → number of merge targets)."""
    assert ticket.id is not None
    values = {
        f.name: getattr(ticket, f.name) for f in fields(TicketView) if hasattr(ticket, f.name)
    }
    values["state"] = TicketState(ticket.state)
    target = ticket.merged_into_id
    values["merged_into_number"] = numbers.get(target) if target is not None else None
    return values


def _target_numbers(session: Session, tickets: Iterable[Ticket]) -> dict[int, int]:
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
    return TicketView(**_view(ticket, _target_numbers(session, [ticket])))


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
    numbers = _target_numbers(session, tickets)
    return [
        TicketRow(**_view(t, numbers), scope_summary=scope_summary(views[t.id or 0]))
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
        ticket = _get(session, ticket_id)
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
        return _reprocess_candidates(session, _get(session, ticket_id))


def _get(session: Session, ticket_id: int) -> Ticket:
    """The ticket, or NotFound."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"There is no ticket with id {ticket_id}.")
    return ticket


# ---------------------------------------------------------------------------- holds


def _expire_hold(session: Session, ticket: Ticket, now: datetime) -> bool:
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


def _due_holds() -> Any:
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
            _due_holds()
            .where(col(Ticket.on_hold_until) <= now)
            .order_by(col(Ticket.id))
            .with_for_update()
        ).all()
        return [t.number for t in due if _expire_hold(session, t, now)]


def refresh_if_due(engine: Engine, now: datetime | None = None) -> None:
    """Run `refresh_holds` only when some hold has expired (reads stay read-only otherwise)."""
    now = clock(now)
    with read_scope(engine) as session:
        due = session.exec(_due_holds().where(col(Ticket.on_hold_until) <= now).limit(1)).first()
    if due is None:
        return
    try:
        refresh_holds(engine, now)
    except DBAPIError as exc:
        # A Viewer's PostgreSQL login may not write: the list shows the hold as it is
        # until the app of someone who may write (Operator, Admin) expires it.
        if not denied_by_database(exc):
            raise


# ---------------------------------------------------------------------------- changing


def _lock(session: Session, ticket_id: int, now: datetime) -> Ticket:
    """The ticket, locked for this transaction, with an expired hold applied."""
    ticket = session.exec(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).first()
    if ticket is None:
        raise NotFound(f"There is no ticket with id {ticket_id}.")
    _expire_hold(session, ticket, now)
    return ticket


def _check(session: Session, ticket: Ticket, action: str) -> None:
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
        ticket = _lock(session, ticket_id, moment)
        _check(session, ticket, action)
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


def scope_label(session: Session, spec: ScopeSpec) -> str:
    """'job: name (customer)', 'customer: name' or 'object: vm on job' for a timeline."""
    views = _spec_views(session, spec)
    return views[0].label if views else "scope"


def _spec_views(session: Session, spec: ScopeSpec) -> list[ScopeView]:
    """`spec` named as a ScopeView (one, or none when its job or customer is gone)."""
    customer = session.get(Customer, spec.customer_id) if spec.customer_id else None
    job = session.get(Job, spec.job_id) if spec.job_id else None
    if job is None and customer is None:
        return []
    if job is not None and job.customer_id and customer is None:
        customer = session.get(Customer, job.customer_id)
    kind: ScopeKind = "customer" if job is None else ("object" if spec.object_name else "job")
    return [
        ScopeView(
            kind,
            spec.customer_id,
            spec.job_id,
            spec.object_name,
            customer.name if customer else "",
            job.name if job else "",
            job.product if job else "",
        )
    ]


def add_scope_to(
    session: Session, owner: Owner, spec: ScopeSpec
) -> tuple[str, dict[str, Any]] | None:
    """Add `spec` to `owner` unless it has it: the ("scope_added", details) event or None."""
    added = add_scopes(session, owner, [spec])
    return ("scope_added", {"scope": scope_label(session, added[0])}) if added else None


def add_scope(
    engine: Engine, actor: Actor, ticket_id: int, spec: ScopeSpec, *, now: datetime | None = None
) -> TicketView:
    """Let an active ticket cover one more customer, job or object (kept when present)."""

    def change(session: Session, _ticket: Ticket) -> tuple[str, dict[str, Any]] | None:
        """Add the scope unless the ticket has it."""
        return add_scope_to(session, Owner(ItemKind.TICKET, ticket_id), spec)

    return _change(engine, actor, ticket_id, "add_scope", change, now=now)


def covers_job(engine: Engine, kind: OwnerKind, owner_id: int, job_id: int) -> bool:
    """Whether the ticket / remark has a scope naming `job_id` (whole job) or its customer."""
    owner = Owner(kind, owner_id)
    with read_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(f"There is no job with id {job_id}.")
        specs = _scope_specs(session, owner)
    return any(
        (s.job_id == job_id and not s.object_name)
        or (s.customer_id is not None and s.customer_id == job.customer_id)
        for s in specs
    )


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
    allowed = {run.run_id for run in _reprocess_candidates(session, ticket)}
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


def _covered_jobs(session: Session, ticket_id: int) -> set[int]:
    """Jobs a ticket's scopes name, directly or through their customer."""
    jobs: set[int] = set()
    customers: set[int] = set()
    for spec in _scope_specs(session, Owner(ItemKind.TICKET, ticket_id)):
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


def _run_moment(started: datetime | None, ended: datetime | None, created: datetime) -> datetime:
    """When a run happened, as well as it is known."""
    return started or ended or created


def _run_moments() -> Any:
    """SELECT (run id, job id, started, ended, created) of runs."""
    return sa_select(
        col(JobRun.id),
        col(JobRun.job_id),
        col(JobRun.started_at),
        col(JobRun.ended_at),
        col(JobRun.created_at),
    )


def _linked_since(session: Session, ticket_id: int, jobs: set[int]) -> dict[int, datetime]:
    """job id → moment of the ticket's earliest linked run of that job."""
    rows = session.execute(
        _run_moments()
        .join(RunLink, col(RunLink.run_id) == col(JobRun.id))
        .where(
            col(RunLink.ticket_id) == ticket_id,
            col(RunLink.kind) == LinkKind.LINKED,
            col(JobRun.job_id).in_(sorted(jobs)),
        )
    ).all()
    since: dict[int, datetime] = {}
    for _run_id, job_id, started, ended, created in rows:
        moment = _run_moment(started, ended, created)
        since[job_id] = min(moment, since.get(job_id, moment))
    return since


def _reprocess_candidates(session: Session, ticket: Ticket) -> list[RunInfo]:
    """Runs of covered jobs later than the ticket's earliest linked run of that job (or than
    its active-from time when none of that job is linked), oldest first."""
    assert ticket.id is not None
    jobs = _covered_jobs(session, ticket.id)
    if not jobs:
        return []
    since = _linked_since(session, ticket.id, jobs)
    floor = min([ticket.active_from, *since.values()]) - timedelta(days=2)  # day vs. zone
    rows = session.execute(
        _run_moments().where(
            col(JobRun.job_id).in_(sorted(jobs)), col(JobRun.run_day) >= floor.date()
        )
    ).all()
    moments = {
        run_id: _run_moment(started, ended, created)
        for run_id, job_id, started, ended, created in rows
        if _run_moment(started, ended, created) > since.get(job_id, ticket.active_from)
    }
    info = run_info(session, moments)
    return sorted(info.values(), key=lambda r: (moments[r.run_id], r.run_id))


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
        locked = {i: _lock(session, i, moment) for i in sorted([target_id, *sources])}
        target = locked[target_id]
        for ticket in locked.values():
            _check(session, ticket, "merge")
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
    add_scopes(session, dst, _scope_specs(session, src), checked=False)
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
