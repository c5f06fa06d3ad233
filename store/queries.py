"""The hand-tuned queries: the Run Checks queue (aggregated per job, paged in SQL)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlmodel import Session, col

from store.models import Customer, Job, JobRun

Ranks = Mapping[str, int]
"""{stored status: severity}: the caller's one rank table (the domain's), never a copy here."""


def status_rank_expr(ranks: Ranks) -> Any:
    """SQL CASE giving each run status its rank (an unknown status ranks 0)."""
    return case(*((col(JobRun.status) == name, rank) for name, rank in ranks.items()), else_=0)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One job in the Run Checks queue, with its unreviewed runs aggregated."""

    job_id: int
    customer: str
    job_name: str
    product: str
    job_type: str
    worst_rank: int
    runs: int
    oldest_day: date
    newest_at: datetime | None
    max_run_id: int
    overrides: int


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue shows: text filter, statuses, reviewed runs too, sort order."""

    text: str = ""
    statuses: frozenset[str] = frozenset()
    include_reviewed: bool = False
    sort: str = "status"
    """"status" (worst first), "customer" or "age" (oldest first)."""


def _queue_select(flt: QueueFilter, ranks: Ranks) -> Select[Any]:
    rank = func.max(status_rank_expr(ranks))
    customer = func.coalesce(Customer.name, "")
    query = (
        select(
            col(Job.id),
            customer.label("customer"),
            col(Job.name),
            col(Job.product),
            col(Job.job_type),
            rank.label("worst_rank"),
            func.count(col(JobRun.id)).label("runs"),
            func.min(col(JobRun.run_day)).label("oldest_day"),
            func.max(func.coalesce(JobRun.started_at, JobRun.ended_at)).label("newest_at"),
            func.max(col(JobRun.id)).label("max_run_id"),
            func.count(col(JobRun.override_id)).label("overrides"),
        )
        .select_from(JobRun)
        .join(Job, col(Job.id) == col(JobRun.job_id))
        .outerjoin(Customer, col(Customer.id) == col(Job.customer_id))
        .group_by(col(Job.id), Customer.name, col(Job.name), col(Job.product), col(Job.job_type))
    )
    order: dict[str, list[Any]] = {
        "status": [rank.desc(), customer, col(Job.name)],
        "customer": [customer, col(Job.name)],
        "age": [func.min(col(JobRun.run_day)), rank.desc(), customer],
    }
    filtered: Select[Any] = _filtered(query, flt)
    return filtered.order_by(*order.get(flt.sort, order["status"]), col(Job.id))


def _filtered(query: Any, flt: QueueFilter) -> Any:
    """`query` (over runs, jobs and customers) narrowed to what `flt` shows."""
    if not flt.include_reviewed:
        query = query.where(col(JobRun.reviewed_at).is_(None))
    if flt.statuses:
        query = query.where(col(JobRun.status).in_(sorted(flt.statuses)))
    if flt.text:
        like = f"%{flt.text.lower()}%"
        query = query.where(
            or_(
                func.lower(Job.name).like(like),
                func.lower(func.coalesce(Customer.name, "")).like(like),
                func.lower(Job.product).like(like),
                func.lower(Job.sender).like(like),
            )
        )
    return query


def queue(
    session: Session, flt: QueueFilter, ranks: Ranks, *, limit: int = 0, offset: int = 0
) -> list[QueueRow]:
    """The queue rows (one per job), sorted and paged in SQL; `ranks` orders the statuses."""
    query = _queue_select(flt, ranks)
    if limit:
        query = query.limit(limit).offset(offset)
    return [QueueRow(*row) for row in session.execute(query).all()]


def queue_page(
    session: Session, flt: QueueFilter, ranks: Ranks, *, limit: int = 0, offset: int = 0
) -> tuple[list[QueueRow], int, int]:
    """`queue` and `queue_totals` in one statement (the totals as window aggregates)."""
    query = _queue_select(flt, ranks).add_columns(
        func.count().over().label("total_jobs"),
        func.sum(func.count(col(JobRun.id))).over().label("total_runs"),
    )
    if limit:
        query = query.limit(limit).offset(offset)
    rows = session.execute(query).all()
    if not rows:  # nothing on this page: the totals need their own statement
        return [], *(queue_totals(session, flt) if offset else (0, 0))
    return [QueueRow(*row[:-2]) for row in rows], int(rows[0][-2]), int(rows[0][-1])


def queue_totals(session: Session, flt: QueueFilter) -> tuple[int, int]:
    """(jobs, runs) in the queue under `flt`."""
    query = (
        select(func.count(func.distinct(col(JobRun.job_id))), func.count(col(JobRun.id)))
        .select_from(JobRun)
        .join(Job, col(Job.id) == col(JobRun.job_id))
        .outerjoin(Customer, col(Customer.id) == col(Job.customer_id))
    )
    jobs, runs = session.execute(_filtered(query, flt)).one()
    return int(jobs), int(runs)


def unreviewed_run_ids(
    session: Session, job_ids: Sequence[int], up_to: dict[int, int]
) -> list[int]:
    """Unreviewed run ids of `job_ids`, each capped at the newest run the operator saw."""
    found: list[int] = []
    ids = list(job_ids)
    for start in range(0, len(ids), 500):  # bounded IN lists (SQLite's expression limit)
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(col(JobRun.id), col(JobRun.job_id)).where(
                col(JobRun.reviewed_at).is_(None), col(JobRun.job_id).in_(chunk)
            )
        ).all()
        found.extend(run_id for run_id, job_id in rows if run_id <= up_to.get(job_id, 2**62))
    return found
