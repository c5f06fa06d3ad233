"""The hand-tuned queries: the Run Checks queue (aggregated per job, paged in SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Select, case, func, or_, select
from sqlmodel import Session, col

from store.models import Customer, Job, JobRun

STATUS_RANK = {"success": 0, "warning": 1, "failed": 2, "missed": 3}
"""Severity for sorting: missed and failed first."""

QueueSort = Literal["status", "customer", "age"]


def status_rank_expr() -> Any:
    """SQL CASE giving each run status its rank."""
    return case(
        *((col(JobRun.status) == name, rank) for name, rank in STATUS_RANK.items()),
        else_=0,
    )


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

    @property
    def worst_status(self) -> str:
        """The worst run status of the job's runs in the queue."""
        return next(n for n, r in STATUS_RANK.items() if r == self.worst_rank)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue shows: text filter, statuses, reviewed runs too, sort order."""

    text: str = ""
    statuses: frozenset[str] = frozenset()
    include_reviewed: bool = False
    sort: QueueSort = "status"


def _queue_select(flt: QueueFilter) -> Select[Any]:
    rank = func.max(status_rank_expr())
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
    order: dict[str, list[Any]] = {
        "status": [rank.desc(), customer, col(Job.name)],
        "customer": [customer, col(Job.name)],
        "age": [func.min(col(JobRun.run_day)), rank.desc(), customer],
    }
    return query.order_by(*order[flt.sort], col(Job.id))


def queue(session: Session, flt: QueueFilter, *, limit: int = 0, offset: int = 0) -> list[QueueRow]:
    """The queue rows (one per job), sorted and paged in SQL."""
    query = _queue_select(flt)
    if limit:
        query = query.limit(limit).offset(offset)
    return [QueueRow(*row) for row in session.execute(query).all()]


def queue_page(
    session: Session, flt: QueueFilter, *, limit: int = 0, offset: int = 0
) -> tuple[list[QueueRow], int, int]:
    """`queue` and `queue_totals` in one statement (the totals as window aggregates)."""
    query = _queue_select(flt).add_columns(
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
    inner = _queue_select(flt).order_by(None).subquery()
    jobs, runs = session.execute(
        select(func.count(), func.coalesce(func.sum(inner.c.runs), 0))
    ).one()
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
