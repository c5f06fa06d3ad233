"""Reviewing: mark jobs reviewed (all their unreviewed runs), undo, unmark (Admin).

Reviews are conditional updates (`reviewed_at IS NULL`), capped at the newest run the
operator saw, so two app instances reviewing at once neither fail nor lose an update,
and a run that arrived after the screen was drawn is never reviewed unseen.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Engine, insert, update
from sqlmodel import Session, col, select

from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.services import audit
from backupchecks_tui.views.checks import ReviewReceipt
from store.engine import session_scope
from store.models import AuditEvent, JobRun
from store.queries import unreviewed_run_ids
from store.types import utcnow

__all__ = ["ReviewReceipt", "review_jobs", "undo_review", "unmark_job"]

AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]
RUN = JobRun.__table__  # type: ignore[attr-defined]


def review_jobs(engine: Engine, actor: Actor, seen: dict[int, int]) -> ReviewReceipt:
    """Mark the unreviewed runs of each job in `seen` (job id → newest run id seen).

    One transaction for all jobs, one audit entry per job. Set-based: one UPDATE per few
    thousand runs and one multi-row INSERT for the audit entries, whatever the number of
    jobs.
    """
    require(actor, Action.REVIEW)
    now = utcnow()
    with session_scope(engine) as session:
        ids = unreviewed_run_ids(session, list(seen), seen)
        if not ids:
            return ReviewReceipt((), (), now, actor.login)
        mine: list[tuple[int, int]] = []
        for chunk in _chunks(ids):
            mine.extend(_mark(session, chunk, now, actor.login))
        per_job = Counter(job_id for _, job_id in mine)
        _audit_jobs(session, actor, "review", {job: {"runs": n} for job, n in per_job.items()})
        run_ids = tuple(sorted(run_id for run_id, _ in mine))
        return ReviewReceipt(run_ids, tuple(sorted(per_job)), now, actor.login)


def _mark(
    session: Session, chunk: Sequence[int], now: datetime, login: str
) -> list[tuple[int, int]]:
    """Mark the still unreviewed runs of `chunk`; (run id, job id) of those this did mark.

    A concurrent reviewer may have taken some runs first; those stay theirs.
    """
    conn = session.connection()  # Core: no ORM bookkeeping for a few thousand rows
    marking = (
        update(RUN)
        .where(RUN.c.id.in_(chunk), RUN.c.reviewed_at.is_(None))
        .values(reviewed_at=now, reviewed_by=login)
    )
    if conn.dialect.update_returning:
        rows = conn.execute(marking.returning(RUN.c.id, RUN.c.job_id))
        return [(int(run_id), int(job_id)) for run_id, job_id in rows]
    conn.execute(marking)  # SQLite before 3.35: read back what this transaction marked
    rows = conn.execute(
        select(RUN.c.id, RUN.c.job_id).where(
            RUN.c.id.in_(chunk), RUN.c.reviewed_at == now, RUN.c.reviewed_by == login
        )
    )
    return [(int(run_id), int(job_id)) for run_id, job_id in rows]


def _audit_jobs(
    session: Session, actor: Actor, action: str, details: Mapping[int, Mapping[str, object]]
) -> None:
    """One audit entry per job (as `audit.record` writes them), in one multi-row INSERT."""
    if not details:
        return
    at = utcnow()
    session.connection().execute(
        insert(AUDIT),
        [
            {
                "at": at,
                "actor": actor.login,
                "action": action,
                "entity": "job",
                "entity_id": job_id,
                "details": json.dumps(details[job_id], default=str, sort_keys=True),
            }
            for job_id in sorted(details)
        ],
    )


def _chunks(ids: Sequence[int], size: int = 5000) -> Iterator[Sequence[int]]:
    """`ids` in bounded slices (databases limit the size of an IN list)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def undo_review(engine: Engine, actor: Actor, receipt: ReviewReceipt) -> int:
    """Put the runs of `receipt` back in the queue (only those still reviewed by it)."""
    require(actor, Action.REVIEW)
    if not receipt.run_ids:
        return 0
    with session_scope(engine) as session:
        count = 0
        for chunk in _chunks(receipt.run_ids):
            result = session.execute(
                update(JobRun)
                .where(
                    col(JobRun.id).in_(chunk),
                    col(JobRun.reviewed_by) == receipt.by,
                    col(JobRun.reviewed_at) == receipt.at,
                )
                .values(reviewed_at=None, reviewed_by="")
            )
            count += int(getattr(result, "rowcount", 0) or 0)
        _audit_jobs(session, actor, "review.undo", {job: {} for job in receipt.job_ids})
        return count


def unmark_job(engine: Engine, actor: Actor, job_id: int) -> int:
    """Admin: put the job's most recently reviewed runs back in the queue."""
    require(actor, Action.UNMARK)
    with session_scope(engine) as session:
        last = session.exec(
            select(JobRun.reviewed_at)
            .where(JobRun.job_id == job_id, col(JobRun.reviewed_at).is_not(None))
            .order_by(col(JobRun.reviewed_at).desc())
            .limit(1)
        ).first()
        if last is None:
            return 0
        result = session.execute(
            update(JobRun)
            .where(col(JobRun.job_id) == job_id, col(JobRun.reviewed_at) == last)
            .values(reviewed_at=None, reviewed_by="")
        )
        count = int(getattr(result, "rowcount", 0) or 0)
        audit.record(session, actor, "review.unmark", "job", job_id, runs=count)
        return count
