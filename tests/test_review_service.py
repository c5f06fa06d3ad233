"""Reviewing through the service: per job, capped at what was seen, undo, unmark, roles,
and two reviewers at once on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import col, func, select

from backupchecks_tui.database import open_database
from backupchecks_tui.domain import RunStatus
from backupchecks_tui.errors import PermissionDenied
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import review
from store.engine import session_scope
from store.models import AuditEvent, Job, JobRun
from store.queries import QueueFilter, queue, queue_totals

RANKS = RunStatus.ranks()

ADMIN = Actor("alice", Role.ADMIN)
OPERATOR = Actor("olga", Role.OPERATOR)
VIEWER = Actor("victor", Role.VIEWER)


def seed(
    engine: Engine, jobs: int, runs_per_job: int, status: str = "warning", prefix: str = "job"
) -> list[int]:
    """Jobs with unreviewed runs; returns the job ids."""
    ids = []
    with session_scope(engine) as s:
        for j in range(jobs):
            job = Job(product="synthetic", name=f"{prefix}-{j:03d}", sender="s@example.test")
            s.add(job)
            s.flush()
            assert job.id is not None
            ids.append(job.id)
            for r in range(runs_per_job):
                s.add(
                    JobRun(
                        job_id=job.id,
                        status=status,
                        reported_status=status,
                        run_day=date(2026, 11, 10 + r),
                        started_at=datetime(2026, 11, 10 + r, 1, tzinfo=UTC),
                    )
                )
    return ids


def unreviewed(engine: Engine) -> int:
    """Runs still in the queue."""
    with session_scope(engine) as s:
        return s.exec(
            select(func.count()).select_from(JobRun).where(col(JobRun.reviewed_at).is_(None))
        ).one()


def test_review_marks_all_runs_of_the_job_seen(engine: Engine) -> None:
    """A job review marks its unreviewed runs; the queue shrinks; one audit row per job."""
    job_ids = seed(engine, 3, 4)
    with session_scope(engine) as s:
        rows = queue(s, QueueFilter(), RANKS)
        assert queue_totals(s, QueueFilter()) == (3, 12)
    seen = {rows[0].job_id: rows[0].max_run_id}
    receipt = review.review_jobs(engine, OPERATOR, seen)
    assert len(receipt.run_ids) == 4
    assert unreviewed(engine) == 8
    with session_scope(engine) as s:
        assert queue_totals(s, QueueFilter()) == (2, 8)
        audits = s.exec(select(AuditEvent).where(AuditEvent.action == "review")).all()
        assert [a.entity_id for a in audits] == [rows[0].job_id]
    assert set(job_ids) >= set(receipt.job_ids)


def test_a_run_that_arrived_after_drawing_is_not_reviewed(engine: Engine) -> None:
    """Runs newer than the newest run the operator saw stay in the queue."""
    (job_id,) = seed(engine, 1, 2)
    with session_scope(engine) as s:
        (row,) = queue(s, QueueFilter(), RANKS)
        s.add(
            JobRun(
                job_id=job_id, status="failed", reported_status="failed", run_day=date(2026, 11, 20)
            )
        )
    review.review_jobs(engine, OPERATOR, {row.job_id: row.max_run_id})
    with session_scope(engine) as s:
        (left,) = queue(s, QueueFilter(), RANKS)
        assert (left.runs, RunStatus.by_rank(left.worst_rank)) == (1, RunStatus.FAILED)


def test_undo_and_unmark(engine: Engine) -> None:
    """Undo puts the last review back; an Admin can unmark, an Operator cannot."""
    (job_id,) = seed(engine, 1, 3)
    receipt = review.review_jobs(engine, OPERATOR, {job_id: 10**9})
    assert unreviewed(engine) == 0
    assert review.undo_review(engine, OPERATOR, receipt) == 3
    assert unreviewed(engine) == 3
    review.review_jobs(engine, OPERATOR, {job_id: 10**9})
    with pytest.raises(PermissionDenied):
        review.unmark_job(engine, OPERATOR, job_id)
    assert review.unmark_job(engine, ADMIN, job_id) == 3
    assert unreviewed(engine) == 3


def test_viewer_cannot_review(engine: Engine) -> None:
    """Viewers are refused by the service itself, not only by the UI."""
    (job_id,) = seed(engine, 1, 1)
    with pytest.raises(PermissionDenied, match="may not review runs"):
        review.review_jobs(engine, VIEWER, {job_id: 10**9})
    assert unreviewed(engine) == 1


def test_queue_sort_filter_and_include_reviewed(engine: Engine) -> None:
    """Failed jobs sort first; text and status filters apply; Admin view includes reviewed."""
    seed(engine, 2, 1, "success")
    (failed,) = seed(engine, 1, 1, "failed", prefix="bad")
    with session_scope(engine) as s:
        rows = queue(s, QueueFilter(), RANKS)
        assert rows[0].job_id == failed
        assert len(queue(s, QueueFilter(statuses=frozenset({"success"})), RANKS)) == 2
        assert len(queue(s, QueueFilter(text="JOB-000"), RANKS)) == 1
    review.review_jobs(engine, OPERATOR, {failed: 10**9})
    with session_scope(engine) as s:
        assert len(queue(s, QueueFilter(), RANKS)) == 2
        assert len(queue(s, QueueFilter(include_reviewed=True), RANKS)) == 3


def test_two_reviewers_at_once_neither_fail_nor_lose(db_url: str) -> None:
    """Two instances (own engines) review overlapping jobs concurrently: no error, each run
    reviewed exactly once, audits add up."""
    setup = open_database(db_url)
    job_ids = seed(setup, 40, 5)
    setup.dispose()
    engines = [open_database(db_url), open_database(db_url)]
    errors: list[BaseException] = []
    receipts: list[review.ReviewReceipt] = []
    barrier = threading.Barrier(2)

    def work(engine: Engine, actor: Actor, order: list[int]) -> None:
        try:
            barrier.wait()
            for job_id in order:
                receipts.append(review.review_jobs(engine, actor, {job_id: 10**9}))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(engines[0], OPERATOR, job_ids)),
        threading.Thread(target=work, args=(engines[1], ADMIN, list(reversed(job_ids)))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert unreviewed(engines[0]) == 0
    marked = [run_id for r in receipts for run_id in r.run_ids]
    assert len(marked) == len(set(marked)) == 200
    with session_scope(engines[0]) as s:
        audited = s.exec(select(AuditEvent).where(AuditEvent.action == "review")).all()
        assert sum(int(a.details.split(":")[1].strip(" }")) for a in audited) == 200
    for e in engines:
        e.dispose()
