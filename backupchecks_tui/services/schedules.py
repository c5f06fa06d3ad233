"""Job schedules: reading a job's settings, learning and storing schedules, editing them.

A schedule is learned from the job's recent runs unless an operator set one by hand
(`Job.schedule_manual` wins). It is stored on the job as JSON (`Job.schedule_json`), its
kind also in `Job.schedule_kind`. The model (`Schedule`, `Kind`, slots, `JobSchedule`) is
in `views.daily`, the learning in `services.schedule_learning`; both are re-exported here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import Engine, bindparam, func, select, update
from sqlmodel import Session, col

from backupchecks_tui.domain import RunStatus
from backupchecks_tui.errors import BackupChecksError, NotFound
from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.services import audit
from backupchecks_tui.services.schedule_learning import (
    LEARNING_DAYS,
    LEARNING_RUNS,
    best_rhythm,
    learn,
    learning_ends,
    usual_minute,
)
from backupchecks_tui.views.daily import (
    DEFAULT_GRACE_MINUTES,
    LAST,
    MIN_CONFIDENCE,
    WEEKDAY_NAMES,
    JobSchedule,
    Kind,
    Schedule,
    grace,
    nth_of,
    schedule_for_weekdays,
    slot_day,
)
from store.engine import read_scope, session_scope
from store.models import Job, JobRun, MailMessage

__all__ = [
    "DEFAULT_GRACE_MINUTES",
    "LAST",
    "LEARNING_DAYS",
    "LEARNING_RUNS",
    "LEARN_WINDOW_DAYS",
    "MAX_GRACE_MINUTES",
    "MIN_CONFIDENCE",
    "RELEARN_AFTER",
    "WEEKDAY_NAMES",
    "JobSchedule",
    "Kind",
    "Schedule",
    "best_rhythm",
    "grace",
    "job_schedule",
    "learn",
    "learn_all",
    "learning_ends",
    "nth_of",
    "schedule_for_weekdays",
    "set_grace",
    "set_paused",
    "set_schedule",
    "slot_day",
    "usual_minute",
]

MAX_GRACE_MINUTES = 7 * 24 * 60
LEARN_WINDOW_DAYS = 90
"""How far back the history used for learning reaches."""
RELEARN_AFTER = timedelta(days=1)
"""A learned schedule older than this is learned again by `learn_all(stale_after=…)`."""


def job_schedule(engine: Engine, job_id: int) -> JobSchedule:
    """The schedule settings of job `job_id` (NotFound when it does not exist)."""
    with read_scope(engine) as session:
        job = _job(session, job_id)
        return JobSchedule(
            job_id,
            Schedule.from_json(job.schedule_json),
            job.schedule_manual,
            job.paused,
            job.grace_minutes,
        )


def learn_all(
    engine: Engine,
    zone: tzinfo,
    now: datetime,
    *,
    job_ids: Sequence[int] | None = None,
    stale_after: timedelta | None = None,
) -> int:
    """Learn and store the schedule of every job without a manual one; returns how many.

    `job_ids` limits it to those jobs; `stale_after` skips schedules learned more
    recently than that. Uses the real runs of the last LEARN_WINDOW_DAYS up to `now`.
    """
    with read_scope(engine) as session:
        todo = _jobs_to_learn(session, now, job_ids, stale_after)
        if not todo:
            return 0
        moments = _real_run_moments(session, now, set(todo) if job_ids is not None else None)
    learned = {job_id: learn(moments.get(job_id, []), zone, learned_at=now) for job_id in todo}
    with session_scope(engine) as session:
        session.connection().execute(
            _STORE_LEARNED,
            [
                {"b_id": job_id, "b_kind": schedule.kind.value, "b_json": schedule.to_json()}
                for job_id, schedule in learned.items()
            ],
        )
    return len(learned)


_JOB = Job.__table__  # type: ignore[attr-defined]
_STORE_LEARNED = (
    update(_JOB)
    .where(_JOB.c.id == bindparam("b_id"), _JOB.c.schedule_manual.is_(False))
    .values(schedule_kind=bindparam("b_kind"), schedule_json=bindparam("b_json"))
)
"""Store one learned schedule (run with many parameter sets: one statement for all jobs)."""


def _jobs_to_learn(
    session: Session, now: datetime, job_ids: Sequence[int] | None, stale_after: timedelta | None
) -> list[int]:
    """Ids of jobs whose schedule should be learned now."""
    query = select(col(Job.id), col(Job.schedule_json)).where(col(Job.schedule_manual).is_(False))
    if job_ids is not None:
        query = query.where(col(Job.id).in_(list(job_ids)))
    todo = []
    for job_id, text in session.execute(query).all():
        current = Schedule.from_json(text)
        fresh = (
            stale_after is not None
            and current is not None
            and current.learned_at is not None
            and now - current.learned_at < stale_after
        )
        if not fresh:
            todo.append(int(job_id))
    return todo


def _real_run_moments(
    session: Session, now: datetime, job_ids: set[int] | None
) -> dict[int, list[datetime]]:
    """Start moments of the real runs of the learning window, per job.

    A run without start or end time counts at its mail's sent (else received) time.
    """
    since = (now - timedelta(days=LEARN_WINDOW_DAYS + 1)).date()
    moment = func.coalesce(
        col(JobRun.started_at),
        col(JobRun.ended_at),
        col(MailMessage.sent_at),
        col(MailMessage.received_at),
    )
    query = (
        select(col(JobRun.job_id), moment)
        .select_from(JobRun)
        .outerjoin(MailMessage, col(MailMessage.id) == col(JobRun.mail_id))
        .where(col(JobRun.reported_status) != RunStatus.MISSED, col(JobRun.run_day) >= since)
    )
    found: dict[int, list[datetime]] = defaultdict(list)
    for job_id, at in session.execute(query).all():
        if at is not None and at <= now and (job_ids is None or job_id in job_ids):
            found[int(job_id)].append(at)
    return found


def set_schedule(engine: Engine, actor: Actor, job_id: int, schedule: Schedule | None) -> None:
    """Set a job's schedule by hand (it then wins over learning); None goes back to learned.

    After None the job has no schedule until `learn_all` runs for it.
    """
    require(actor, Action.MANAGE_SCHEDULES)
    with session_scope(engine) as session:
        job = _job(session, job_id)
        before = job.schedule_json
        if schedule is None:
            job.schedule_manual, job.schedule_kind, job.schedule_json = False, "", ""
        else:
            manual = replace(schedule, confidence=1.0, learned_at=None)
            job.schedule_manual = True
            job.schedule_kind, job.schedule_json = manual.kind.value, manual.to_json()
        session.add(job)
        action = "schedule.set" if schedule is not None else "schedule.clear"
        audit.record(session, actor, action, "job", job_id, before=before, after=job.schedule_json)


def set_paused(engine: Engine, actor: Actor, job_id: int, paused: bool) -> None:
    """Pause a job (it never goes missed) or resume it (slots before now stay unjudged)."""
    require(actor, Action.MANAGE_SCHEDULES)
    with session_scope(engine) as session:
        job = _job(session, job_id)
        if job.paused == paused:
            return
        job.paused = paused
        session.add(job)
        audit.record(session, actor, "job.pause" if paused else "job.resume", "job", job_id)


def set_grace(engine: Engine, actor: Actor, job_id: int, minutes: int | None) -> None:
    """Set a job's grace period in minutes; None goes back to DEFAULT_GRACE_MINUTES."""
    require(actor, Action.MANAGE_SCHEDULES)
    if minutes is not None and not 0 <= minutes <= MAX_GRACE_MINUTES:
        raise BackupChecksError(
            f"A grace period of {minutes} minutes is out of range.",
            fix=f"Fix: use 0 to {MAX_GRACE_MINUTES} minutes, or clear it for the default.",
        )
    with session_scope(engine) as session:
        job = _job(session, job_id)
        before = job.grace_minutes
        job.grace_minutes = minutes
        session.add(job)
        audit.record(session, actor, "job.grace", "job", job_id, before=before, after=minutes)


def _job(session: Session, job_id: int) -> Job:
    """The job with id `job_id`, or NotFound."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"There is no job with id {job_id}.")
    return job
