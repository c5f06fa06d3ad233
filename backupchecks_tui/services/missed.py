"""Missed detection: a synthetic *Missed* run for every expected slot that got no report.

`detect` is idempotent: at most one missed run per job per run day, checked inside the
writing transaction (with the job row locked on PostgreSQL; SQLite writers are serialised
by BEGIN IMMEDIATE). It judges each active, unpaused job that is past its learning period
and has a confident schedule, over the slots of the last LOOKBACK (not before the job's
learning period ended or it was last resumed): a slot is missed when its expected time
plus grace has passed and no real run belongs to it (see `schedules.slot_day`).

`resolve_late` is the ingest hook: a real run arriving for a slot that was declared
missed resolves it (the missed row stays, for history, linked to the real run, and
leaves the queue as reviewed by "system (late report)").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlmodel import Session, col

from backupchecks_tui.domain import RunStatus
from backupchecks_tui.services import schedules
from backupchecks_tui.services.schedules import Schedule
from store.engine import read_scope, session_scope
from store.models import AuditEvent, Job, JobRun
from store.types import utcnow

RUN = JobRun.__table__  # type: ignore[attr-defined]

LOOKBACK = timedelta(days=7)
"""How far back slots are judged (no flood of missed runs for a long-dead job)."""
LATE_REVIEWER = "system (late report)"
"""`reviewed_by` of a missed run resolved by a late report."""
_MATCH_WINDOW = timedelta(hours=12)
_CHUNK = 500


@dataclass(frozen=True)
class Slot:
    """One expected run of a job: its day and expected start (aware, UTC)."""

    day: date
    expected_at: datetime


@dataclass
class _JobState:
    """What detection knows about one job."""

    job_id: int
    schedule: Schedule
    grace: timedelta
    created_at: datetime
    covered: set[date] = field(default_factory=set)
    missed_days: dict[date, tuple[int, bool]] = field(default_factory=dict)
    real_runs: dict[date, list[int]] = field(default_factory=dict)


def detect(engine: Engine, zone: tzinfo, now: datetime, *, relearn: bool = True) -> list[int]:
    """Create the missed runs due at `now`; returns their ids (none on a second call).

    With `relearn`, schedules learned more than RELEARN_AFTER ago are learned again first.
    Missed runs whose slot got a real run meanwhile are resolved on the way.
    """
    if relearn:
        schedules.learn_all(engine, zone, now, stale_after=schedules.RELEARN_AFTER)
    with read_scope(engine) as session:
        states = _load(session, zone, now)
        plans = [(s, due) for s in states if (due := _due_slots(session, s, zone, now))]
        healing = [run_id for s in states for run_id in _healing_runs(s)]
    if not plans and not healing:
        return []
    with session_scope(engine) as session:
        created = [
            run_id
            for state, slots in plans
            for run_id in _insert_missed(session, state, slots, zone, now)
        ]
        resolve_late(session.connection(), healing, now=now)
    return created


def _load(session: Session, zone: tzinfo, now: datetime) -> list[_JobState]:
    """The jobs detection may judge, with their runs of the lookback window."""
    rows = session.execute(
        select(
            col(Job.id), col(Job.schedule_json), col(Job.grace_minutes), col(Job.created_at)
        ).where(col(Job.active).is_(True), col(Job.paused).is_(False), col(Job.schedule_json) != "")
    ).all()
    states: dict[int, _JobState] = {}
    for job_id, text, grace_minutes, created_at in rows:
        schedule = Schedule.from_json(text)
        if schedule is not None and schedule.confident:
            states[int(job_id)] = _JobState(
                int(job_id), schedule, schedules.grace(grace_minutes), created_at
            )
    if states:
        _load_runs(session, states, zone, now)
    return list(states.values())


def _load_runs(session: Session, states: dict[int, _JobState], zone: tzinfo, now: datetime) -> None:
    """Fill each state's covered slot days, missed days and real runs per slot day."""
    since = (now - LOOKBACK).astimezone(zone).date() - timedelta(days=2)
    query = select(
        col(JobRun.id),
        col(JobRun.job_id),
        col(JobRun.run_day),
        col(JobRun.reported_status),
        func.coalesce(col(JobRun.started_at), col(JobRun.ended_at)),
        col(JobRun.resolved_by_run_id),
    ).where(col(JobRun.run_day) >= since)
    for run_id, job_id, day, reported, moment, resolved_by in session.execute(query).all():
        state = states.get(int(job_id))
        if state is None:
            continue
        if reported == RunStatus.MISSED:
            state.missed_days[day] = (int(run_id), resolved_by is not None)
            continue
        slot = state.schedule.slot_day(moment, zone) if moment is not None else day
        state.covered.add(slot)
        state.real_runs.setdefault(slot, []).append(int(run_id))


def _due_slots(session: Session, state: _JobState, zone: tzinfo, now: datetime) -> list[Slot]:
    """The slots of `state`'s job that are overdue at `now` and have no run at all."""
    candidates = [
        slot
        for slot in expected_slots(state.schedule, zone, now - LOOKBACK, now)
        if slot.expected_at + state.grace < now
        and slot.day not in state.covered
        and slot.day not in state.missed_days
    ]
    if not candidates:
        return []
    learned = _learning_end(session, state)
    if learned is None:
        return []
    resumed = _resumed_at(session, state.job_id)
    start = max(learned, resumed) if resumed is not None else learned
    return [slot for slot in candidates if slot.expected_at >= start]


def expected_slots(
    schedule: Schedule, zone: tzinfo, start: datetime, end: datetime
) -> Iterator[Slot]:
    """The slots of `schedule` expected in [start, end]."""
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        at = schedule.expected_at(day, zone)
        if at is not None and start <= at <= end:
            yield Slot(day, at)
        day += timedelta(days=1)


def _resumed_at(session: Session, job_id: int) -> datetime | None:
    """When the job was last resumed after a pause (from the audit trail)."""
    return session.execute(
        select(func.max(col(AuditEvent.at))).where(
            col(AuditEvent.action) == "job.resume",
            col(AuditEvent.entity) == "job",
            col(AuditEvent.entity_id) == job_id,
        )
    ).scalar()


def _learning_end(session: Session, state: _JobState) -> datetime | None:
    """When the job's learning period ended (None: still learning)."""
    moment = func.coalesce(col(JobRun.started_at), col(JobRun.ended_at), col(JobRun.created_at))
    firsts = (
        session.execute(
            select(moment)
            .where(
                col(JobRun.job_id) == state.job_id, col(JobRun.reported_status) != RunStatus.MISSED
            )
            .order_by(col(JobRun.run_day), moment)
            .limit(schedules.LEARNING_RUNS)
        )
        .scalars()
        .all()
    )
    return schedules.learning_ends(state.created_at, [m for m in firsts if m is not None])


def _healing_runs(state: _JobState) -> list[int]:
    """Real runs of slots that carry an unresolved missed run (a late report not yet linked)."""
    return [
        run_id
        for day, (_missed_id, resolved) in state.missed_days.items()
        if not resolved
        for run_id in state.real_runs.get(day, [])
    ]


def _insert_missed(
    session: Session, state: _JobState, slots: Sequence[Slot], zone: tzinfo, now: datetime
) -> list[int]:
    """Insert one missed run per slot still without any run, under the job's row lock.

    The runs are read again after taking the lock: another detector or an ingest may
    have written some since the plan was made.
    """
    session.execute(select(col(Job.id)).where(col(Job.id) == state.job_id).with_for_update())
    first = min(s.day for s in slots) - timedelta(days=1)
    last = max(s.day for s in slots) + timedelta(days=1)
    rows = session.execute(
        select(
            col(JobRun.run_day),
            col(JobRun.reported_status),
            func.coalesce(col(JobRun.started_at), col(JobRun.ended_at)),
        ).where(col(JobRun.job_id) == state.job_id, col(JobRun.run_day).between(first, last))
    ).all()
    taken = {
        day
        if reported == RunStatus.MISSED or moment is None
        else state.schedule.slot_day(moment, zone)
        for day, reported, moment in rows
    }
    created = []
    for slot in slots:
        if slot.day in taken:
            continue
        values = _missed_values(state.job_id, slot, slot.expected_at + state.grace, zone, now)
        created.append(int(session.execute(insert(RUN).returning(RUN.c.id), values).scalar_one()))
    return created


def _missed_values(
    job_id: int, slot: Slot, deadline: datetime, zone: tzinfo, now: datetime
) -> dict[str, object]:
    """Column values of the synthetic missed run for `slot`."""
    return {
        "job_id": job_id,
        "mail_id": None,
        "report_index": None,
        "status": RunStatus.MISSED,
        "reported_status": RunStatus.MISSED,
        "override_id": None,
        "override_reason": "",
        "run_day": slot.day,
        "expected_at": slot.expected_at,
        "message": missed_message(slot, deadline, zone),
        "object_count": 0,
        "problem_count": 0,
        "reviewed_by": "",
        "marked_success_by": "",
        "created_at": now,
    }


def missed_message(slot: Slot, deadline: datetime, zone: tzinfo) -> str:
    """The missed run's message: "No report by 00:30 (expected 22:30)".

    The deadline carries its date when it falls on a later day than the slot.
    """
    local_deadline = deadline.astimezone(zone)
    expected = slot.expected_at.astimezone(zone)
    when = f"{local_deadline:%H:%M}"
    if local_deadline.date() != slot.day:
        when = f"{local_deadline:%a %d %b} {when}"
    return f"No report by {when} (expected {expected:%H:%M})"


# --- late reports ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Pending:
    """An unresolved missed run that a late report may resolve."""

    id: int
    job_id: int
    day: date
    expected_at: datetime | None


def resolve_late(conn: Connection, run_ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Resolve missed runs by the real runs `run_ids` (just written); returns how many.

    A real run resolves its job's unresolved missed run of the same run day, or the one
    whose expected time is nearest within 12 hours (a report of a 23:55 slot started
    after midnight). The missed run is linked (`resolved_by_run_id`) and, if still
    unreviewed, marked reviewed by LATE_REVIEWER so the queue shows the real run instead.
    Runs in the caller's transaction (SQLAlchemy Core).
    """
    return resolve_late_runs(conn, _real_runs(conn, run_ids), now=now)


def resolve_late_runs(
    conn: Connection,
    runs: Sequence[tuple[int, int, date, datetime | None]],
    *,
    now: datetime | None = None,
) -> int:
    """`resolve_late` for real runs whose (id, job id, run day, start moment) the caller
    knows already (ingest has just written them): saves reading them back."""
    if not runs:
        return 0
    pending = _pending_missed(conn, runs)
    if not pending:
        return 0
    at = now or utcnow()
    resolved = 0
    for run_id, job_id, day, moment in sorted(runs):
        match = _best_match(pending.get(job_id, []), day, moment)
        if match is None:
            continue
        pending[job_id].remove(match)
        resolved += _link(conn, match.id, run_id, at)
    return resolved


# Built once with parameters, so the compiled SQL is reused (resolve_late runs per mail).
_REAL_RUNS = select(
    RUN.c.id, RUN.c.job_id, RUN.c.run_day, func.coalesce(RUN.c.started_at, RUN.c.ended_at)
).where(RUN.c.id.in_(bindparam("b_ids", expanding=True)), RUN.c.reported_status != RunStatus.MISSED)
_PENDING_COLUMNS = (RUN.c.id, RUN.c.job_id, RUN.c.run_day, RUN.c.expected_at)
_PENDING_WHERE = (
    RUN.c.reported_status == RunStatus.MISSED,
    RUN.c.resolved_by_run_id.is_(None),
    RUN.c.run_day.between(bindparam("b_first"), bindparam("b_last")),
)
_PROBED = RUN.alias("probed_missed_run")
_PROBE_WHERE = (
    _PROBED.c.reported_status == RunStatus.MISSED,
    _PROBED.c.resolved_by_run_id.is_(None),
    _PROBED.c.run_day.between(bindparam("b_first"), bindparam("b_last")),
)
PENDING_PROBE = (
    select(_PROBED.c.id)
    .where(_PROBED.c.job_id.in_(bindparam("b_jobs", expanding=True)), *_PROBE_WHERE)
    .exists()
    .label("pending_missed")
)
"""Whether a job of `b_jobs` has an unresolved missed run in [b_first, b_last]: the
conditions of `_pending_missed` as one column, so ingest can ask along with the mail
insert (RETURNING) and skip `resolve_late_runs` when no run of the mail could resolve one.
(Asked there, not with the run insert: SQLite evaluates a subquery on the very table
being inserted into many times slower.)"""
PENDING_PROBE_ONE = (
    select(_PROBED.c.id)
    .where(_PROBED.c.job_id == bindparam("b_job"), *_PROBE_WHERE)
    .exists()
    .label("pending_missed")
)
"""`PENDING_PROBE` for the one job `b_job` (no list to expand on every execution)."""
_PENDING_ONE = select(*_PENDING_COLUMNS).where(RUN.c.job_id == bindparam("b_job"), *_PENDING_WHERE)
_PENDING_MANY = select(*_PENDING_COLUMNS).where(
    RUN.c.job_id.in_(bindparam("b_jobs", expanding=True)), *_PENDING_WHERE
)
_LINK = (
    update(RUN)
    .where(RUN.c.id == bindparam("b_id"), RUN.c.resolved_by_run_id.is_(None))
    .values(resolved_by_run_id=bindparam("b_run"))
)
_REVIEW = (
    update(RUN)
    .where(RUN.c.id == bindparam("b_id"), RUN.c.reviewed_at.is_(None))
    .values(reviewed_at=bindparam("b_at"), reviewed_by=LATE_REVIEWER)
)


def _real_runs(
    conn: Connection, run_ids: Sequence[int]
) -> list[tuple[int, int, date, datetime | None]]:
    """(id, job id, run day, start moment) of the real runs among `run_ids`."""
    found: list[tuple[int, int, date, datetime | None]] = []
    ids = sorted(set(run_ids))
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(_REAL_RUNS, {"b_ids": ids[start : start + _CHUNK]}).all()
        found.extend((int(r[0]), int(r[1]), r[2], r[3]) for r in rows)
    return found


def _pending_missed(
    conn: Connection, runs: Sequence[tuple[int, int, date, datetime | None]]
) -> dict[int, list[_Pending]]:
    """Unresolved missed runs near the days of `runs`, per job (jobs without: absent)."""
    job_ids = sorted({r[1] for r in runs})
    days = {
        "b_first": min(r[2] for r in runs) - timedelta(days=1),
        "b_last": max(r[2] for r in runs) + timedelta(days=1),
    }
    pending: dict[int, list[_Pending]] = defaultdict(list)
    for start in range(0, len(job_ids), _CHUNK):
        chunk = job_ids[start : start + _CHUNK]
        if len(chunk) == 1:
            rows = conn.execute(_PENDING_ONE, {"b_job": chunk[0], **days}).all()
        else:
            rows = conn.execute(_PENDING_MANY, {"b_jobs": chunk, **days}).all()
        for r in rows:
            pending[int(r[1])].append(_Pending(int(r[0]), int(r[1]), r[2], r[3]))
    return pending


def _best_match(
    candidates: Sequence[_Pending], day: date, moment: datetime | None
) -> _Pending | None:
    """The missed run a real run of `day` started at `moment` resolves, if any."""

    def distance(p: _Pending) -> timedelta | None:
        """How far `p` is from the run: by time within 12 hours, else same day, else None."""
        if moment is not None and p.expected_at is not None:
            gap = abs(p.expected_at - moment)
            if gap <= _MATCH_WINDOW:
                return gap
        return _MATCH_WINDOW * 2 if p.day == day else None

    scored = [(d, p.id, p) for p in candidates if (d := distance(p)) is not None]
    return min(scored, key=lambda item: (item[0], item[1]))[2] if scored else None


def _link(conn: Connection, missed_id: int, run_id: int, at: datetime) -> int:
    """Link missed run `missed_id` to `run_id`; review it if nobody did. 1 if linked."""
    result = conn.execute(_LINK, {"b_id": missed_id, "b_run": run_id})
    if not getattr(result, "rowcount", 0):
        return 0
    conn.execute(_REVIEW, {"b_id": missed_id, "b_at": at})
    return 1
