"""Which active tickets and remarks cover a job or a run, and the link picker.

A scope covers a job when it names the job, the job's customer, or an object of the job;
it covers a run when it names the run's job (without object), its customer, or an object
name present in that run. Active: a ticket not resolved, not merged, with active_from
reached; a remark not resolved. Items a run is linked to cover that run too.

`markers` is built for the Run Checks and Daily Jobs pages: two small SQL statements per
page, whatever the number of runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, Select, and_, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from backupchecks_tui.domain import ItemKind
from backupchecks_tui.errors import NotFound
from backupchecks_tui.services.remarks import remark_active
from backupchecks_tui.services.tickets import TicketRow, clock, query_tickets, ticket_active
from backupchecks_tui.views.checks import CoverItem
from store.engine import read_scope
from store.models import Job, JobRun, Remark, RunLink, RunObject, Scope, Ticket


def _reading(source: Session | Engine) -> AbstractContextManager[Session]:
    """A read session on `source`, or `source` itself when it is a session already."""
    if isinstance(source, Session):
        return nullcontext(source)
    return read_scope(source)


def _owner_active(now: datetime) -> ColumnElement[bool]:
    """SQL: the scope's ticket or remark is active (scope outer-joined to both)."""
    return or_(
        and_(col(Ticket.id).is_not(None), ticket_active(now)),
        and_(col(Remark.id).is_not(None), remark_active()),
    )


def _active_scopes(now: datetime) -> Select[int | None, int | None, int | None, int | None, str]:
    """SELECT (ticket_id, remark_id, job_id, customer_id, object_name) of active scopes."""
    return (
        sa_select(
            col(Scope.ticket_id),
            col(Scope.remark_id),
            col(Scope.job_id),
            col(Scope.customer_id),
            col(Scope.object_name),
        )
        .outerjoin(Ticket, col(Ticket.id) == col(Scope.ticket_id))
        .outerjoin(Remark, col(Remark.id) == col(Scope.remark_id))
        .where(_owner_active(now))
    )


def markers(
    source: Session | Engine, job_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, tuple[bool, bool]]:
    """job id → (has an active ticket, has an active remark), for every id in `job_ids`.

    Two statements: the jobs' customers, then the active scopes naming those jobs or
    customers (object scopes count for their job).
    """
    ids = sorted(set(job_ids))
    result = dict.fromkeys(ids, (False, False))
    if not ids:
        return result
    moment = clock(now)
    with _reading(source) as session:
        customer_of = dict(
            session.execute(
                sa_select(col(Job.id), col(Job.customer_id)).where(col(Job.id).in_(ids))
            ).all()
        )
        customers = sorted({c for c in customer_of.values() if c is not None})
        query = _active_scopes(moment).where(
            or_(col(Scope.job_id).in_(ids), col(Scope.customer_id).in_(customers))
        )
        scopes = session.execute(query).all()
    jobs_of_customer: dict[int, list[int]] = {}
    for job_id, customer_id in customer_of.items():
        if customer_id is not None:
            jobs_of_customer.setdefault(customer_id, []).append(job_id)
    ticket_jobs: set[int] = set()
    remark_jobs: set[int] = set()
    for ticket_id, _remark_id, job_id, customer_id, _obj in scopes:
        hit = [job_id] if job_id is not None else jobs_of_customer.get(customer_id, [])
        (ticket_jobs if ticket_id is not None else remark_jobs).update(hit)
    return {i: (i in ticket_jobs, i in remark_jobs) for i in ids}


def covering(engine: Engine, run_id: int, *, now: datetime | None = None) -> list[CoverItem]:
    """The active tickets and remarks covering a run: by scope, or because the run is
    linked to them. Tickets first (by number), then remarks."""
    moment = clock(now)
    with read_scope(engine) as session:
        run = session.get(JobRun, run_id)
        if run is None:
            raise NotFound(f"There is no run with id {run_id}.")
        job = _job(session, run.job_id)
        names = {
            n.casefold()
            for n in session.exec(select(RunObject.name).where(RunObject.run_id == run_id))
        }
        return _cover(session, job, names, run_id, moment)


def covering_job(engine: Engine, job_id: int, *, now: datetime | None = None) -> list[CoverItem]:
    """The active tickets and remarks covering a job (object scopes of the job count)."""
    moment = clock(now)
    with read_scope(engine) as session:
        return _cover(session, _job(session, job_id), None, None, moment)


def cover_of(
    session: Session, job: Job, names: set[str], run_id: int, now: datetime | None = None
) -> list[CoverItem]:
    """`covering` for a run whose job and (casefolded) object names the caller has read."""
    return _cover(session, job, names, run_id, clock(now))


def _job(session: Session, job_id: int) -> Job:
    """The job, or NotFound."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"There is no job with id {job_id}.")
    return job


def _cover(
    session: Session, job: Job, objects: set[str] | None, run_id: int | None, now: datetime
) -> list[CoverItem]:
    """Items covering `job` — only scopes matching `objects` when it is a run's object set."""
    names_job = col(Scope.job_id) == job.id
    by_customer = col(Scope.customer_id) == job.customer_id if job.customer_id else None
    where = or_(names_job, by_customer) if by_customer is not None else names_job
    rows = session.execute(_active_scopes(now).where(where)).all()
    tickets: set[int] = set()
    remarks: set[int] = set()
    for ticket_id, remark_id, job_id, _customer_id, obj in rows:
        if job_id is not None and obj and objects is not None and obj.casefold() not in objects:
            continue
        _add(tickets, remarks, ticket_id, remark_id)
    linked: tuple[set[int], set[int]] = (set(), set())
    if run_id is not None:
        linked = _linked_active(session, run_id, now)
    return _items(session, tickets | linked[0], remarks | linked[1], linked)


def _add(
    tickets: set[int], remarks: set[int], ticket_id: int | None, remark_id: int | None
) -> None:
    """Put the owner of a scope row in the right set."""
    if ticket_id is not None:
        tickets.add(ticket_id)
    elif remark_id is not None:
        remarks.add(remark_id)


def _linked_active(session: Session, run_id: int, now: datetime) -> tuple[set[int], set[int]]:
    """(ticket ids, remark ids) of the active items `run_id` is linked to."""
    rows = session.execute(
        sa_select(col(RunLink.ticket_id), col(RunLink.remark_id))
        .outerjoin(Ticket, col(Ticket.id) == col(RunLink.ticket_id))
        .outerjoin(Remark, col(Remark.id) == col(RunLink.remark_id))
        .where(col(RunLink.run_id) == run_id, _owner_active(now))
    ).all()
    tickets: set[int] = set()
    remarks: set[int] = set()
    for ticket_id, remark_id in rows:
        _add(tickets, remarks, ticket_id, remark_id)
    return tickets, remarks


def _items(
    session: Session,
    ticket_ids: set[int],
    remark_ids: set[int],
    linked: tuple[set[int], set[int]],
) -> list[CoverItem]:
    """CoverItems for the ids: tickets by number, then remarks by id."""
    items: list[CoverItem] = []
    if ticket_ids:
        found = session.exec(
            select(Ticket)
            .where(col(Ticket.id).in_(sorted(ticket_ids)))
            .order_by(col(Ticket.number))
        ).all()
        items += [
            CoverItem(ItemKind.TICKET, t.id or 0, t.number, t.title, t.state, t.id in linked[0])
            for t in found
        ]
    if remark_ids:
        notes = session.exec(
            select(Remark).where(col(Remark.id).in_(sorted(remark_ids))).order_by(col(Remark.id))
        ).all()
        items += [
            CoverItem(
                ItemKind.REMARK, r.id or 0, None, _first_line(r.body), "active", r.id in linked[1]
            )
            for r in notes
        ]
    return items


def _first_line(body: str) -> str:
    """The first non-empty line of a remark."""
    return next((line.strip() for line in body.splitlines() if line.strip()), "")


# ---------------------------------------------------------------------------- link picker


def fuzzy_score(query: str, candidate: str) -> int | None:
    """How well `query` matches `candidate` (higher is better), None when it does not.

    Case-insensitive; a substring beats a subsequence, an earlier substring a later one,
    a tighter subsequence a looser one.
    """
    q = query.casefold().strip()
    c = candidate.casefold()
    if not q:
        return 0
    at = c.find(q)
    if at >= 0:
        return 10_000 - min(at, 9_000)
    span = _subsequence_span(q, c)
    return None if span is None else 1_000 - min(span - len(q), 999)


def _subsequence_span(query: str, candidate: str) -> int | None:
    """Length of the stretch of `candidate` holding `query` as a subsequence (greedy)."""
    start = -1
    pos = -1
    for char in query:
        pos = candidate.find(char, pos + 1)
        if pos < 0:
            return None
        if start < 0:
            start = pos
    return pos - start + 1


def find_for_link(
    engine: Engine, job_id: int, text: str = "", *, limit: int = 50
) -> list[TicketRow]:
    """Active tickets to link a run of `job_id` to: this job's first, then its customer's,
    then all others; within a group the best `text` match, then the newest."""
    with read_scope(engine) as session:
        job = _job(session, job_id)
        rows = query_tickets(session, state="active", limit=None)
        tiers = _tiers(session, [r.id for r in rows], job)
    scored: list[tuple[int, int, int, TicketRow]] = []
    for row in rows:
        score = fuzzy_score(text, f"#{row.number} {row.code} {row.title}")
        if score is not None:
            scored.append((tiers.get(row.id, 2), -score, -row.number, row))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored[:limit]]


def _tiers(session: Session, ticket_ids: Sequence[int], job: Job) -> dict[int, int]:
    """ticket id → 0 (scope names the job), 1 (names its customer), absent otherwise."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        sa_select(
            col(Scope.ticket_id), col(Scope.job_id), col(Scope.customer_id), col(Job.customer_id)
        )
        .outerjoin(Job, col(Job.id) == col(Scope.job_id))
        .where(col(Scope.ticket_id).in_(list(ticket_ids)))
    ).all()
    tiers: dict[int, int] = {}
    for ticket_id, scope_job, scope_customer, job_customer in rows:
        if scope_job == job.id:
            tier = 0
        elif job.customer_id is not None and job.customer_id in (scope_customer, job_customer):
            tier = 1
        else:
            continue
        tiers[ticket_id] = min(tier, tiers.get(ticket_id, tier))
    return tiers
