"""Missed detection with a frozen clock (explicit `now`): before the deadline, within
grace, after, late reports, paused jobs, the learning period, DST weeks, midnight jobs,
running twice (also at the same time) — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from backupchecks_tui.database import open_database
from backupchecks_tui.services import missed
from backupchecks_tui.views.daily import Kind, Schedule
from store.engine import session_scope
from store.models import AuditEvent, Job, JobRun
from store.queries import QueueFilter, queue

AMS = ZoneInfo("Europe/Amsterdam")
DAILY_22 = Schedule(Kind.DAILY, start=time(22), confidence=1.0)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local Amsterdam moment."""
    return datetime.combine(day, time(hour, minute), tzinfo=AMS)


def days(first: date, last: date, *, skip: Iterable[date] = ()) -> list[date]:
    """Every day from `first` to `last`, without `skip`."""
    skipped = set(skip)
    count = (last - first).days + 1
    return [d for i in range(count) if (d := first + timedelta(days=i)) not in skipped]


def make_job(
    engine: Engine,
    run_days: Iterable[date],
    *,
    schedule: Schedule | None = DAILY_22,
    run_time: time = time(22, 5),
    created: datetime | None = None,
    paused: bool = False,
    active: bool = True,
    grace: int | None = None,
    name: str = "job",
) -> int:
    """A job (manual schedule unless None) with real, reviewed runs at `run_time` on
    `run_days`."""
    run_days = list(run_days)
    with session_scope(engine) as s:
        job = Job(
            product="synthetic",
            name=name,
            sender="s@example.test",
            paused=paused,
            active=active,
            grace_minutes=grace,
            schedule_manual=schedule is not None,
            schedule_kind=schedule.kind.value if schedule else "",
            schedule_json=schedule.to_json() if schedule else "",
            created_at=created or at(min(run_days), 12),
        )
        s.add(job)
        s.flush()
        assert job.id is not None
        for day in run_days:
            run = add_run(s, job.id, at(day, run_time.hour, run_time.minute))
            run.reviewed_at, run.reviewed_by = run.started_at, "olga"  # history, not queue
        return job.id


def add_run(s: Session, job_id: int, started: datetime, status: str = "success") -> JobRun:
    """A real run started at `started` (run day: its local date, as ingest does)."""
    run = JobRun(
        job_id=job_id,
        status=status,
        reported_status=status,
        started_at=started,
        run_day=started.astimezone(AMS).date(),
    )
    s.add(run)
    s.flush()
    return run


def missed_runs(engine: Engine, job_id: int) -> list[JobRun]:
    """The job's synthetic missed runs, by day."""
    with session_scope(engine) as s:
        query = (
            select(JobRun)
            .where(JobRun.job_id == job_id, JobRun.reported_status == "missed")
            .order_by(col(JobRun.run_day))
        )
        return list(s.exec(query).all())


def missed_days(engine: Engine, job_id: int) -> list[date]:
    """The run days of the job's missed runs."""
    return [r.run_day for r in missed_runs(engine, job_id)]


MAY = date(2026, 5, 1)
MAY19 = date(2026, 5, 19)
MAY20 = date(2026, 5, 20)


def test_nothing_before_the_deadline_or_within_grace(engine: Engine) -> None:
    """Before 22:00 and until 22:00 + 120 minutes nothing happens."""
    job_id = make_job(engine, days(MAY, MAY19))
    assert missed.detect(engine, AMS, at(MAY20, 21)) == []
    assert missed.detect(engine, AMS, at(MAY20, 23, 59)) == []
    assert missed_runs(engine, job_id) == []


def test_after_grace_one_missed_run_then_nothing_more(engine: Engine) -> None:
    """Past the deadline: one synthetic run, no mail, clearly marked, in the queue;
    running again (same or later time) creates nothing new."""
    job_id = make_job(engine, days(MAY, MAY19))
    now = at(date(2026, 5, 21), 0, 1)
    created = missed.detect(engine, AMS, now)
    assert len(created) == 1
    (run,) = missed_runs(engine, job_id)
    assert run.id == created[0]
    assert (run.status, run.reported_status, run.mail_id) == ("missed", "missed", None)
    assert run.run_day == MAY20
    assert run.expected_at == at(MAY20, 22)
    assert run.message == "No report by Thu 21 May 00:00 (expected 22:00)"
    assert run.reviewed_at is None and run.resolved_by_run_id is None
    assert missed.detect(engine, AMS, now) == []
    assert missed.detect(engine, AMS, now + timedelta(minutes=30)) == []
    with session_scope(engine) as s:
        (row,) = queue(s, QueueFilter())
        assert (row.job_id, row.worst_status, row.runs) == (job_id, "missed", 1)


def test_several_overdue_days_and_gaps(engine: Engine) -> None:
    """Each overdue slot once, also a gap between real runs; today's slot not yet."""
    job_id = make_job(engine, days(MAY, MAY19, skip=[date(2026, 5, 16)]))
    missed.detect(engine, AMS, at(date(2026, 5, 23), 12))
    assert missed_days(engine, job_id) == [
        date(2026, 5, 16),
        MAY20,
        date(2026, 5, 21),
        date(2026, 5, 22),
    ]


def test_a_long_dead_job_gets_the_last_week_only(engine: Engine) -> None:
    """A job silent for weeks: only the slots of the last seven days."""
    job_id = make_job(engine, days(date(2026, 4, 10), date(2026, 4, 30)))
    missed.detect(engine, AMS, at(MAY20, 12))
    assert missed_days(engine, job_id) == days(date(2026, 5, 13), MAY19)


def test_grace_per_job(engine: Engine) -> None:
    """Grace 0: missed right after 22:00; grace 300: not yet at 02:00."""
    quick = make_job(engine, days(MAY, MAY19), grace=0, name="quick")
    slow = make_job(engine, days(MAY, MAY19), grace=300, name="slow")
    missed.detect(engine, AMS, at(MAY20, 22, 1))
    missed.detect(engine, AMS, at(date(2026, 5, 21), 2))
    assert missed_days(engine, quick) == [MAY20]
    assert missed_days(engine, slow) == []


def test_late_report_resolves_the_missed_run(engine: Engine) -> None:
    """A report that started after midnight (run day the 21st) resolves the 20th's missed
    run: linked, reviewed by the system, the queue shows the real run; the 21st's own slot
    is still judged."""
    job_id = make_job(engine, days(MAY, MAY19))
    missed.detect(engine, AMS, at(date(2026, 5, 21), 1))
    (missed_run,) = missed_runs(engine, job_id)
    resolved_at = at(date(2026, 5, 21), 2)
    with session_scope(engine) as s:
        late = add_run(s, job_id, at(date(2026, 5, 21), 1, 30), status="warning")
        assert late.id is not None
        assert missed.resolve_late(s.connection(), [late.id], now=resolved_at) == 1
    (after,) = missed_runs(engine, job_id)
    assert after.id == missed_run.id
    assert after.resolved_by_run_id == late.id
    assert (after.reviewed_by, after.reviewed_at) == (missed.LATE_REVIEWER, resolved_at)
    with session_scope(engine) as s:
        (row,) = queue(s, QueueFilter())
        assert (row.worst_status, row.runs, row.max_run_id) == ("warning", 1, late.id)
    assert missed.detect(engine, AMS, at(date(2026, 5, 21), 12)) == []
    assert len(missed.detect(engine, AMS, at(date(2026, 5, 22), 0, 30))) == 1
    assert missed_days(engine, job_id) == [MAY20, date(2026, 5, 21)]


def test_delayed_mail_of_an_on_time_run_resolves(engine: Engine) -> None:
    """The backup ran on time but its mail came hours later: same run day, resolved."""
    job_id = make_job(engine, days(MAY, MAY19))
    missed.detect(engine, AMS, at(date(2026, 5, 21), 1))
    with session_scope(engine) as s:
        run = add_run(s, job_id, at(MAY20, 22, 3))
        assert run.id is not None
        assert missed.resolve_late(s.connection(), [run.id]) == 1
        assert missed.resolve_late(s.connection(), [run.id]) == 0


def test_late_report_after_review_keeps_the_reviewer(engine: Engine) -> None:
    """A missed run already reviewed is linked to the late run, its review untouched."""
    job_id = make_job(engine, days(MAY, MAY19))
    missed.detect(engine, AMS, at(date(2026, 5, 21), 1))
    reviewed = at(date(2026, 5, 21), 8)
    with session_scope(engine) as s:
        (m,) = s.exec(select(JobRun).where(JobRun.reported_status == "missed")).all()
        m.reviewed_at, m.reviewed_by = reviewed, "olga"
        s.add(m)
    with session_scope(engine) as s:
        run = add_run(s, job_id, at(MAY20, 23))
        assert run.id is not None
        assert missed.resolve_late(s.connection(), [run.id]) == 1
    (after,) = missed_runs(engine, job_id)
    assert (after.resolved_by_run_id, after.reviewed_by, after.reviewed_at) == (
        run.id,
        "olga",
        reviewed,
    )


def test_resolve_late_ignores_unrelated_runs(engine: Engine) -> None:
    """Runs of other jobs, other days, or missed runs themselves resolve nothing."""
    job_id = make_job(engine, days(MAY, MAY19))
    other = make_job(engine, days(MAY, MAY19), name="other", paused=True)
    missed.detect(engine, AMS, at(date(2026, 5, 21), 1))
    missed_ids = [m.id for m in missed_runs(engine, job_id)]
    assert len(missed_ids) == 1
    with session_scope(engine) as s:
        elsewhere = add_run(s, other, at(MAY20, 22, 10))
        far = add_run(s, job_id, at(date(2026, 5, 25), 22))
        ids = [elsewhere.id, far.id, *missed_ids]
        assert missed.resolve_late(s.connection(), [i for i in ids if i is not None]) == 0
        assert missed.resolve_late(s.connection(), []) == 0


def test_healing_resolves_a_report_that_raced_the_detector(engine: Engine) -> None:
    """A real run stored without resolve_late (it raced detection) is linked next time."""
    job_id = make_job(engine, days(MAY, MAY19))
    missed.detect(engine, AMS, at(date(2026, 5, 21), 1))
    with session_scope(engine) as s:
        run = add_run(s, job_id, at(MAY20, 23, 30))
    assert missed.detect(engine, AMS, at(date(2026, 5, 21), 2)) == []
    (after,) = missed_runs(engine, job_id)
    assert after.resolved_by_run_id == run.id


def test_paused_job_never_goes_missed_and_resume_starts_fresh(engine: Engine) -> None:
    """Paused: nothing. Resumed: only slots after the resume are judged."""
    job_id = make_job(engine, days(MAY, MAY19), paused=True)
    now = at(date(2026, 5, 23), 12)
    assert missed.detect(engine, AMS, now) == []
    with session_scope(engine) as s:
        job = s.get(Job, job_id)
        assert job is not None
        job.paused = False
        s.add(job)
        resumed = at(date(2026, 5, 21), 12)
        s.add(
            AuditEvent(
                actor="olga", action="job.resume", entity="job", entity_id=job_id, at=resumed
            )
        )
    missed.detect(engine, AMS, now)
    assert missed_days(engine, job_id) == [date(2026, 5, 21), date(2026, 5, 22)]


def test_learning_period(engine: Engine) -> None:
    """Fewer than five runs, or less than seven days: nothing; slots before the end of
    the learning period are never judged."""
    young = make_job(engine, days(date(2026, 5, 18), MAY19), name="young")
    busy = make_job(
        engine,
        days(date(2026, 5, 13), MAY19),
        created=at(date(2026, 5, 13), 21),
        name="busy",
    )
    missed.detect(engine, AMS, at(date(2026, 5, 21), 12))
    assert missed_days(engine, busy) == [MAY20]  # learning ended 20 May 21:00
    missed.detect(engine, AMS, at(date(2026, 5, 23), 12))
    assert missed_days(engine, young) == []
    busier = make_job(
        engine,
        days(date(2026, 5, 17), MAY19),
        created=at(date(2026, 5, 17), 21),
        name="busier",
    )
    with session_scope(engine) as s:
        for hour in range(1, 6):
            add_run(s, busier, at(date(2026, 5, 18), hour))
    missed.detect(engine, AMS, at(date(2026, 5, 25), 12))
    assert missed_days(engine, busier) == [date(2026, 5, 24)]  # learning ended 24 May 21:00


def test_learned_schedule_with_relearn(engine: Engine) -> None:
    """Without a manual schedule, detect learns one first and uses it."""
    job_id = make_job(engine, days(date(2026, 4, 20), MAY19), schedule=None)
    assert missed.detect(engine, AMS, at(date(2026, 5, 21), 1), relearn=False) == []
    assert len(missed.detect(engine, AMS, at(date(2026, 5, 21), 1))) == 1
    (run,) = missed_runs(engine, job_id)
    assert run.expected_at == at(MAY20, 22, 5)


def test_unconfident_inactive_and_irregular_jobs_are_skipped(engine: Engine) -> None:
    """Only active jobs with a confident schedule can go missed."""
    weak = Schedule(Kind.DAILY, start=time(22), confidence=0.4)
    ids = [
        make_job(engine, days(MAY, MAY19), schedule=weak, name="weak"),
        make_job(engine, days(MAY, MAY19), active=False, name="inactive"),
        make_job(engine, days(MAY, MAY19), schedule=Schedule(Kind.IRREGULAR), name="irr"),
    ]
    with session_scope(engine) as s:  # a manual schedule set by hand is confident: undo
        for job_id in ids[:1]:
            job = s.get(Job, job_id)
            assert job is not None
            job.schedule_manual = False
            s.add(job)
    assert missed.detect(engine, AMS, at(date(2026, 5, 23), 12), relearn=False) == []


def test_spring_forward_week(engine: Engine) -> None:
    """A 02:30 job (02:30 does not exist on 29 March): one missed run per day, right
    run days, expected at 03:30 summer time on the change day; twice is nothing new."""
    job_id = make_job(
        engine,
        days(date(2026, 3, 10), date(2026, 3, 27)),
        schedule=Schedule(Kind.DAILY, start=time(2, 30), confidence=1.0),
        run_time=time(2, 35),
    )
    now = at(date(2026, 3, 31), 12)
    assert len(missed.detect(engine, AMS, now)) == 4
    runs = missed_runs(engine, job_id)
    assert [r.run_day for r in runs] == days(date(2026, 3, 28), date(2026, 3, 31))
    assert runs[1].expected_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert runs[2].expected_at == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)
    assert missed.detect(engine, AMS, now) == []


def test_fall_back_week(engine: Engine) -> None:
    """Last Sunday of October: 22:00 and 02:30 jobs reporting every day create nothing;
    the one day without a report is the only missed run."""
    week = days(date(2026, 10, 15), date(2026, 10, 31))
    evening = make_job(engine, days(week[0], week[-1], skip=[date(2026, 10, 27)]), name="evening")
    night = make_job(
        engine,
        week,
        schedule=Schedule(Kind.DAILY, start=time(2, 30), confidence=1.0),
        run_time=time(2, 35),
        name="night",
    )
    now = at(date(2026, 11, 1), 1)
    missed.detect(engine, AMS, now)
    assert missed_days(engine, night) == []
    (run,) = missed_runs(engine, evening)
    assert run.run_day == date(2026, 10, 27)
    assert run.expected_at == datetime(2026, 10, 27, 21, 0, tzinfo=UTC)


def test_midnight_job_reporting_after_midnight(engine: Engine) -> None:
    """A 23:55 job whose report once started at 00:07: that day is not missed, and the
    next day's own run still counts for the next day."""
    job_id = make_job(
        engine,
        days(MAY, MAY19, skip=[date(2026, 5, 15)]),
        schedule=Schedule(Kind.DAILY, start=time(23, 55), confidence=1.0),
        run_time=time(23, 58),
    )
    with session_scope(engine) as s:
        add_run(s, job_id, at(date(2026, 5, 16), 0, 7))
    assert missed.detect(engine, AMS, at(MAY20, 12)) == []


def test_two_detectors_at_once_create_one_run_per_slot(db_url: str) -> None:
    """Two app instances detecting concurrently: each slot gets exactly one missed run."""
    setup = open_database(db_url)
    job_ids = [make_job(setup, days(MAY, MAY19), name=f"job-{i}") for i in range(15)]
    setup.dispose()
    engines = [open_database(db_url), open_database(db_url)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)
    now = at(date(2026, 5, 23), 12)

    def work(engine: Engine) -> None:
        """Detect once, after the other thread is ready too."""
        try:
            barrier.wait()
            missed.detect(engine, AMS, now)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    for job_id in job_ids:
        assert missed_days(engines[0], job_id) == days(MAY20, date(2026, 5, 22))
    for e in engines:
        e.dispose()
