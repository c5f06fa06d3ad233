"""Runs linked to tickets and remarks: which runs, with their job and customer names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from backupchecks_tui.errors import NotFound
from backupchecks_tui.services.item_base import Owner
from backupchecks_tui.views.items import LinkedRun, RunInfo
from store.models import Customer, Job, JobRun, RunLink


def run_info(session: Session, run_ids: Iterable[int]) -> dict[int, RunInfo]:
    """The runs named by `run_ids` with job and customer names (missing ids left out)."""
    ids = sorted(set(run_ids))
    if not ids:
        return {}
    rows = session.exec(run_select().where(col(JobRun.id).in_(ids))).all()
    return {row[0]: RunInfo(*row) for row in rows}


def run_select() -> Any:
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


def linked_runs(session: Session, owner: Owner) -> list[LinkedRun]:
    """The runs linked to `owner`, oldest day first."""
    rows = session.execute(
        run_select()
        .add_columns(col(RunLink.kind), col(RunLink.created_at), col(RunLink.created_by))
        .join(RunLink, col(RunLink.run_id) == col(JobRun.id))
        .where(owner.column(RunLink) == owner.id)
        .order_by(col(JobRun.run_day), col(JobRun.id), col(RunLink.id))
    ).all()
    return [LinkedRun(*row) for row in rows]


def run_moment(started: datetime | None, ended: datetime | None, created: datetime) -> datetime:
    """When a run happened, as well as it is known."""
    return started or ended or created


def run_moments() -> Any:
    """SELECT (run id, job id, started, ended, created) of runs."""
    return sa_select(
        col(JobRun.id),
        col(JobRun.job_id),
        col(JobRun.started_at),
        col(JobRun.ended_at),
        col(JobRun.created_at),
    )
