"""Daily Jobs: one row per active job for a chosen day, a job's run history, its status strip.

The day's runs are aggregated in SQL (per job and run day): worst status, status of the
last run, successes and problems, run count, overrides. A missed run resolved by a late
report counts with the status of the run that resolved it (and as a run only when that
run landed on another day).
The roll-up then picks the day's status: the worst run (default), the last run, or
"warning if mixed" (success and problems on one day give warning). A day without runs is
*expected* (not yet due), *missed* (a confident schedule's deadline has passed) or *not
scheduled*.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Engine, Select, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from backupchecks_tui.domain import RunStatus
from backupchecks_tui.views.daily import (
    DAY_STATUSES,
    ROLL_UPS,
    DayRow,
    DayStatus,
    HistoryRow,
    NoRun,
    RollUp,
    Schedule,
    grace,
)
from store.engine import read_scope
from store.models import Customer, Job, JobRun

__all__ = [
    "DAY_STATUSES",
    "ROLL_UPS",
    "DayAggregate",
    "DayRow",
    "HistoryRow",
    "RollUp",
    "day_grid",
    "day_status",
    "history_count",
    "job_history",
    "status_strip",
]


@dataclass(frozen=True, slots=True)
class DayAggregate:
    """A job's runs on one day, aggregated: ranks, counts, overrides."""

    worst_rank: int
    last_rank: int
    successes: int
    problems: int
    runs: int
    overrides: int


def day_status(agg: DayAggregate, mode: RollUp = "worst") -> RunStatus:
    """The day's status from its aggregated runs under roll-up `mode`."""
    if mode == "last":
        return RunStatus.by_rank(agg.last_rank)
    if mode == "warning_if_mixed" and agg.successes and agg.problems:
        return RunStatus.WARNING
    return RunStatus.by_rank(agg.worst_rank)


# --- SQL ------------------------------------------------------------------------------


def _rank(status: Any) -> ColumnElement[int]:
    """SQL rank of a status expression (success 0 … missed 3)."""
    return case(*((status == value, rank) for value, rank in RunStatus.ranks().items()), else_=0)


def _moment() -> ColumnElement[datetime]:
    """SQL: when a run happened (start, end, expected time, else when it was stored)."""
    return func.coalesce(
        col(JobRun.started_at),
        col(JobRun.ended_at),
        col(JobRun.expected_at),
        col(JobRun.created_at),
    )


def _aggregate(*where: ColumnElement[bool]) -> Any:
    """Subquery: the runs matching `where`, aggregated per (job, run day)."""
    resolver = aliased(JobRun)
    rank = _rank(func.coalesce(col(resolver.status), col(JobRun.status)))
    moment = _moment()
    order = func.row_number().over(
        partition_by=(col(JobRun.job_id), col(JobRun.run_day)),
        order_by=(moment.desc(), col(JobRun.id).desc()),
    )
    per_run = (
        select(
            col(JobRun.job_id).label("job_id"),
            col(JobRun.run_day).label("run_day"),
            rank.label("rank"),
            order.label("position"),
            case((col(resolver.run_day) == col(JobRun.run_day), 0), else_=1).label("counted"),
            case((col(JobRun.override_id).is_not(None), 1), else_=0).label("overridden"),
        )
        .select_from(JobRun)
        .outerjoin(resolver, col(resolver.id) == col(JobRun.resolved_by_run_id))
        .where(*where)
        .subquery()
    )
    c = per_run.c
    return (
        select(
            c.job_id,
            c.run_day,
            func.max(c.rank).label("worst_rank"),
            func.max(case((c.position == 1, c.rank), else_=0)).label("last_rank"),
            func.sum(case((c.rank == 0, 1), else_=0)).label("successes"),
            func.sum(case((c.rank > 0, 1), else_=0)).label("problems"),
            func.sum(c.counted).label("runs"),
            func.sum(c.overridden).label("overrides"),
        )
        .group_by(c.job_id, c.run_day)
        .subquery()
    )


def _day_aggregate(row: Any) -> DayAggregate | None:
    """The DayAggregate of a joined row (None when the job had no runs that day)."""
    if row.worst_rank is None:
        return None
    return DayAggregate(
        int(row.worst_rank),
        int(row.last_rank),
        int(row.successes),
        int(row.problems),
        int(row.runs),
        int(row.overrides),
    )


def _grid_select(day: date, text: str) -> Select[Any]:
    """Active jobs with their customer and the aggregate of their runs on `day`."""
    agg = _aggregate(col(JobRun.run_day) == day)
    customer = func.coalesce(Customer.name, "")
    query = (
        select(
            col(Job.id).label("job_id"),
            customer.label("customer"),
            col(Job.name).label("job_name"),
            col(Job.product).label("product"),
            col(Job.schedule_json).label("schedule_json"),
            col(Job.schedule_manual).label("schedule_manual"),
            col(Job.paused).label("paused"),
            col(Job.grace_minutes).label("grace_minutes"),
            agg.c.worst_rank,
            agg.c.last_rank,
            agg.c.successes,
            agg.c.problems,
            agg.c.runs,
            agg.c.overrides,
        )
        .select_from(Job)
        .outerjoin(Customer, col(Customer.id) == col(Job.customer_id))
        .outerjoin(agg, agg.c.job_id == col(Job.id))
        .where(col(Job.active).is_(True))
        .order_by(customer, col(Job.name), col(Job.id))
    )
    if text:
        like = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(Job.name).like(like),
                func.lower(customer).like(like),
                func.lower(Job.product).like(like),
                func.lower(Job.sender).like(like),
            )
        )
    return query


# --- Daily Jobs -----------------------------------------------------------------------


def day_grid(
    engine: Engine,
    day: date,
    zone: tzinfo,
    now: datetime,
    *,
    roll_up: RollUp = "worst",
    text: str = "",
    statuses: frozenset[DayStatus] = frozenset(),
) -> list[DayRow]:
    """One row per active job for `day` (local, in `zone`), sorted by customer and job.

    `text` filters on job, customer, product and sender; `statuses` (DAY_STATUSES) keeps
    only rows with those day statuses.
    """
    with read_scope(engine) as session:
        rows = session.execute(_grid_select(day, text)).all()
        grid = [_day_row(r, day, zone, now, roll_up) for r in rows]
        grid = _neighbour_runs(session, grid, day, zone, roll_up)
    return [r for r in grid if not statuses or r.status in statuses]


def _day_row(row: Any, day: date, zone: tzinfo, now: datetime, mode: RollUp) -> DayRow:
    """The grid row of one job from its joined SQL row."""
    schedule = Schedule.from_json(row.schedule_json)
    expected = schedule.expected_at(day, zone) if schedule is not None else None
    agg = _day_aggregate(row)
    status: DayStatus
    if agg is not None:
        status = day_status(agg, mode)
    else:
        status = _status_without_runs(schedule, expected, row.paused, row.grace_minutes, now)
    return DayRow(
        job_id=int(row.job_id),
        customer=row.customer,
        job_name=row.job_name,
        product=row.product,
        schedule=schedule.describe() if schedule is not None else "",
        schedule_manual=bool(row.schedule_manual),
        paused=bool(row.paused),
        expected_at=expected,
        status=status,
        runs=agg.runs if agg is not None else 0,
        overridden=bool(agg and agg.overrides),
    )


def _status_without_runs(
    schedule: Schedule | None,
    expected: datetime | None,
    paused: bool,
    grace_minutes: int | None,
    now: datetime,
) -> DayStatus:
    """Expected (not yet due), missed (deadline passed) or not scheduled."""
    if paused or schedule is None or not schedule.confident or expected is None:
        return NoRun.NOT_SCHEDULED
    if now <= expected + grace(grace_minutes):
        return NoRun.EXPECTED
    return RunStatus.MISSED


def _neighbour_runs(
    session: Session, grid: list[DayRow], day: date, zone: tzinfo, mode: RollUp
) -> list[DayRow]:
    """Overdue rows take the runs of the next or previous day that belong to this day's
    slot (a 23:55 job reporting at 00:07), as missed detection does."""
    overdue = {r.job_id: r for r in grid if r.status is RunStatus.MISSED and r.runs == 0}
    if not overdue:
        return grid
    found: dict[int, list[tuple[datetime, int]]] = {}
    query = select(
        col(JobRun.job_id),
        col(JobRun.status),
        func.coalesce(col(JobRun.started_at), col(JobRun.ended_at)),
        col(Job.schedule_json),
    ).join(Job, col(Job.id) == col(JobRun.job_id))
    query = query.where(
        col(JobRun.run_day).in_([day - timedelta(days=1), day + timedelta(days=1)]),
        col(JobRun.reported_status) != RunStatus.MISSED,
        col(JobRun.job_id).in_(sorted(overdue)),
    )
    for job_id, status, moment, text in session.execute(query).all():
        schedule = Schedule.from_json(text)
        if moment is not None and schedule is not None and schedule.slot_day(moment, zone) == day:
            found.setdefault(int(job_id), []).append((moment, RunStatus.of(status).rank))
    return [_with_neighbours(r, found.get(r.job_id), mode) for r in grid]


def _with_neighbours(row: DayRow, runs: list[tuple[datetime, int]] | None, mode: RollUp) -> DayRow:
    """`row` with the status of neighbouring-day runs that belong to its slot."""
    if not runs:
        return row
    ranks = [rank for _, rank in sorted(runs)]
    agg = DayAggregate(
        max(ranks), ranks[-1], ranks.count(0), len(ranks) - ranks.count(0), len(ranks), 0
    )
    return replace(row, status=day_status(agg, mode), runs=len(ranks))


# --- a job's history ------------------------------------------------------------------


def job_history(engine: Engine, job_id: int, limit: int = 50, offset: int = 0) -> list[HistoryRow]:
    """The runs of job `job_id`, newest first, paged in SQL."""
    moment = _moment()
    query = (
        select(JobRun)
        .where(col(JobRun.job_id) == job_id)
        .order_by(col(JobRun.run_day).desc(), moment.desc(), col(JobRun.id).desc())
        .limit(limit)
        .offset(offset)
    )
    with read_scope(engine) as session:
        return [_history_row(run) for run in session.execute(query).scalars().all()]


def _history_row(run: JobRun) -> HistoryRow:
    """The history row of `run`."""
    assert run.id is not None
    return HistoryRow(
        run_id=run.id,
        run_day=run.run_day,
        status=RunStatus.of(run.status),
        reported_status=run.reported_status,
        started_at=run.started_at,
        ended_at=run.ended_at,
        expected_at=run.expected_at,
        size_bytes=run.size_bytes,
        transferred_bytes=run.transferred_bytes,
        object_count=run.object_count,
        problem_count=run.problem_count,
        message=run.message,
        overridden=run.override_id is not None,
        reviewed_at=run.reviewed_at,
        reviewed_by=run.reviewed_by,
        resolved_by_run_id=run.resolved_by_run_id,
    )


def history_count(engine: Engine, job_id: int) -> int:
    """How many runs job `job_id` has (for paging)."""
    with read_scope(engine) as session:
        query = select(func.count()).select_from(JobRun).where(col(JobRun.job_id) == job_id)
        return int(session.execute(query).scalar_one())


def status_strip(
    engine: Engine, job_id: int, end_day: date, days: int = 30, roll_up: RollUp = "worst"
) -> list[tuple[date, DayStatus]]:
    """The job's day statuses for the `days` days up to `end_day`, oldest first.

    A day without runs has status NoRun.NONE.
    """
    first = end_day - timedelta(days=days - 1)
    agg = _aggregate(col(JobRun.job_id) == job_id, col(JobRun.run_day).between(first, end_day))
    with read_scope(engine) as session:
        found = {row.run_day: _day_aggregate(row) for row in session.execute(select(agg)).all()}
    strip: list[tuple[date, DayStatus]] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        agg_day = found.get(day)
        strip.append((day, day_status(agg_day, roll_up) if agg_day else NoRun.NONE))
    return strip
