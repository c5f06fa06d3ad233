"""Schedules: learning each rhythm from generated histories (noise, gaps, midnight, DST),
the Schedule model itself, and the editing services (manual wins, pause, grace, roles)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from backupchecks_tui.errors import BackupChecksError, NotFound, PermissionDenied
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import schedules
from backupchecks_tui.services.schedules import LAST, Kind, Schedule, learn
from store.engine import session_scope
from store.models import AuditEvent, Job, JobRun

AMS = ZoneInfo("Europe/Amsterdam")
OPERATOR = Actor("olga", Role.OPERATOR)
VIEWER = Actor("victor", Role.VIEWER)
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def history(
    first: date,
    days: int,
    runs_on: Callable[[date], bool],
    at: time = time(22, 0),
    *,
    noise: int = 0,
    skip: Iterable[date] = (),
    zone: ZoneInfo = AMS,
    seed: int = 1,
) -> list[datetime]:
    """Run starts (aware, UTC) on the days `runs_on` accepts, at local `at` ± `noise` min."""
    rng = random.Random(seed)
    skipped = set(skip)
    starts = []
    for i in range(days):
        day = first + timedelta(days=i)
        if runs_on(day) and day not in skipped:
            local = datetime.combine(day, at, tzinfo=zone)
            jitter = timedelta(minutes=rng.randint(-noise, noise))
            starts.append((local + jitter).astimezone(UTC))
    return starts


def every_day(_day: date) -> bool:
    """Runs every day."""
    return True


def near(actual: time | None, expected: time, minutes: int = 10) -> bool:
    """Whether `actual` is within `minutes` of `expected` (circularly)."""
    assert actual is not None
    a = actual.hour * 60 + actual.minute
    b = expected.hour * 60 + expected.minute
    return min((a - b) % 1440, (b - a) % 1440) <= minutes


# --- learning -------------------------------------------------------------------------


def test_daily_with_noisy_start_times() -> None:
    """±40 minutes of noise: still daily, usual time near 22:00, confident."""
    s = learn(history(date(2026, 5, 1), 45, every_day, noise=40), AMS)
    assert s.kind is Kind.DAILY
    assert near(s.start, time(22, 0), 15)
    assert s.confident and s.confidence >= 0.9


def test_a_few_missing_days_do_not_make_daily_irregular() -> None:
    """Two gaps of one and two days in a month: daily, confidence a bit lower."""
    gaps = [date(2026, 5, 9), date(2026, 5, 17), date(2026, 5, 18)]
    s = learn(history(date(2026, 5, 1), 30, every_day, skip=gaps), AMS)
    assert s.kind is Kind.DAILY
    assert 0.8 <= s.confidence < 1.0
    assert s.confident


def test_outlier_runs_do_not_move_the_usual_time() -> None:
    """A few manual runs at midday do not drag a 03:00 job's time."""
    starts = history(date(2026, 5, 1), 30, every_day, at=time(3, 0), noise=5)
    starts += history(date(2026, 5, 3), 3, every_day, at=time(13, 30))
    s = learn(starts, AMS)
    assert s.kind is Kind.DAILY
    assert near(s.start, time(3, 0), 5)


def test_weekdays() -> None:
    """Monday to Friday."""
    s = learn(history(date(2026, 5, 1), 42, lambda d: d.weekday() < 5, noise=10), AMS)
    assert s.kind is Kind.WEEKDAYS
    assert s.confidence >= 0.9
    assert s.describe().startswith("Mon–Fri ")


def test_given_weekdays() -> None:
    """Monday, Wednesday and Friday."""
    s = learn(history(date(2026, 5, 1), 42, lambda d: d.weekday() in (0, 2, 4)), AMS)
    assert (s.kind, s.weekdays) == (Kind.DAYS, frozenset({0, 2, 4}))
    assert s.describe() == "Mon Wed Fri 22:00"


def test_weekly_with_a_missing_week() -> None:
    """Sundays at 04:00, one Sunday skipped."""
    s = learn(
        history(
            date(2026, 3, 1),
            84,
            lambda d: d.weekday() == 6,
            at=time(4, 0),
            skip=[date(2026, 4, 12)],
        ),
        AMS,
    )
    assert (s.kind, s.weekdays) == (Kind.WEEKLY, frozenset({6}))
    assert s.start == time(4, 0)
    assert s.confident


def test_monthly_on_a_day() -> None:
    """The 1st of every month."""
    s = learn(history(date(2026, 1, 1), 181, lambda d: d.day == 1, at=time(2, 0)), AMS)
    assert (s.kind, s.month_day) == (Kind.MONTHLY_DAY, 1)
    assert s.describe() == "monthly, day 1 02:00"
    assert s.confident


def test_monthly_on_the_last_day() -> None:
    """The last day of every month (28th, 30th, 31st) learns as day 31, clipped."""
    last = lambda d: (d + timedelta(days=1)).day == 1  # noqa: E731
    s = learn(history(date(2026, 1, 1), 181, last, at=time(23, 0)), AMS)
    assert (s.kind, s.month_day) == (Kind.MONTHLY_DAY, 31)
    assert s.occurs_on(date(2026, 2, 28)) and not s.occurs_on(date(2026, 3, 30))


def test_second_tuesday_of_the_month() -> None:
    """Patch Tuesday style: the second Tuesday."""
    second_tue = lambda d: d.weekday() == 1 and 8 <= d.day <= 14  # noqa: E731
    s = learn(history(date(2026, 1, 1), 200, second_tue, at=time(1, 0)), AMS)
    assert (s.kind, s.nth, s.weekdays) == (Kind.MONTHLY_NTH, 2, frozenset({1}))
    assert s.describe() == "monthly, 2nd Tue 01:00"


def test_last_friday_of_the_month() -> None:
    """The last Friday: sometimes the 4th, sometimes the 5th."""
    runs = history(
        date(2026, 1, 1),
        210,
        lambda d: d.weekday() == 4 and LAST in schedules.nth_of(d),
        at=time(20, 0),
    )
    assert len(runs) == 6
    s = learn(runs, AMS)
    assert (s.kind, s.nth, s.weekdays) == (Kind.MONTHLY_NTH, LAST, frozenset({4}))


def test_random_days_are_irregular() -> None:
    """Runs on random days at random times: irregular, never confident."""
    rng = random.Random(7)
    starts = [
        datetime(2026, 5, 1, tzinfo=UTC)
        + timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1439))
        for _ in range(15)
    ]
    s = learn(starts, AMS)
    assert not s.confident
    assert s.kind is Kind.IRREGULAR or s.confidence < schedules.MIN_CONFIDENCE


def test_too_little_history_is_irregular() -> None:
    """Two runs say nothing."""
    s = learn(history(date(2026, 5, 1), 2, every_day), AMS)
    assert (s.kind, s.confidence) == (Kind.IRREGULAR, 0.0)
    assert learn([], AMS).kind is Kind.IRREGULAR


def test_runs_either_side_of_midnight_count_once_per_day() -> None:
    """A 23:55 job that sometimes starts just after midnight is daily at ~23:55."""
    s = learn(history(date(2026, 5, 1), 30, every_day, at=time(23, 55), noise=12), AMS)
    assert s.kind is Kind.DAILY
    assert near(s.start, time(23, 55), 10)
    assert s.confidence >= 0.9


def test_several_runs_a_day_use_the_first() -> None:
    """An hourly job is daily, expected at its first run of the day."""
    starts = [
        datetime.combine(date(2026, 5, 1) + timedelta(days=d), time(h, 5), tzinfo=AMS)
        for d in range(20)
        for h in range(24)
    ]
    s = learn(starts, AMS)
    assert s.kind is Kind.DAILY
    assert s.start == time(0, 5)


def test_dst_change_keeps_local_time() -> None:
    """22:00 local across the end of March: daily 22:00 (UTC times shift by an hour)."""
    starts = history(date(2026, 3, 15), 30, every_day, at=time(22, 0))
    assert {t.hour for t in starts} == {20, 21}
    s = learn(starts, AMS)
    assert (s.kind, s.start) == (Kind.DAILY, time(22, 0))
    assert s.confidence == 1.0


def test_a_job_on_utc_time_stays_daily_across_dst() -> None:
    """A server on UTC (21:00 UTC = 22:00 then 23:00 local): still daily and confident."""
    starts = [
        datetime.combine(date(2026, 3, 15) + timedelta(days=d), time(21, 0), tzinfo=UTC)
        for d in range(30)
    ]
    s = learn(starts, AMS)
    assert s.kind is Kind.DAILY
    assert s.start == time(23, 0)
    assert s.confident


# --- the model ------------------------------------------------------------------------


def test_json_round_trip_and_garbage() -> None:
    """to_json / from_json round-trip; empty or broken JSON reads as no schedule."""
    s = Schedule(
        Kind.MONTHLY_NTH,
        start=time(1, 30),
        weekdays=frozenset({1}),
        nth=2,
        confidence=0.87,
        learned_at=NOW,
    )
    assert Schedule.from_json(s.to_json()) == s
    assert Schedule.from_json("") is None
    assert Schedule.from_json("{not json") is None
    assert Schedule.from_json('{"kind": "fortnightly"}') is None
    assert Schedule.from_json('{"kind": "daily"}') is None  # no start time


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": Kind.DAILY}, "needs a start time"),
        ({"kind": Kind.DAYS, "start": time(1)}, "at least one weekday"),
        ({"kind": Kind.WEEKLY, "start": time(1), "weekdays": frozenset({1, 2})}, "exactly one"),
        ({"kind": Kind.MONTHLY_DAY, "start": time(1), "month_day": 32}, "1 to 31"),
        (
            {"kind": Kind.MONTHLY_NTH, "start": time(1), "weekdays": frozenset({1}), "nth": 5},
            "1 to 4",
        ),
        ({"kind": Kind.DAILY, "start": time(1), "confidence": 1.5}, "between 0 and 1"),
        ({"kind": Kind.DAYS, "start": time(1), "weekdays": frozenset({7})}, "Monday"),
    ],
)
def test_inconsistent_schedules_are_refused(kwargs: dict[str, object], message: str) -> None:
    """Validation messages fit for the edit dialog."""
    with pytest.raises(ValueError, match=message):
        Schedule(**kwargs)  # type: ignore[arg-type]


def test_expected_time_on_dst_days() -> None:
    """A 02:30 start on the spring-forward day reads as 03:30 summer time; on the
    fall-back day as the first 02:30 (summer time)."""
    s = Schedule(Kind.DAILY, start=time(2, 30), confidence=1.0)
    assert s.expected_at(date(2026, 3, 29), AMS) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert s.expected_at(date(2026, 10, 25), AMS) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert s.expected_at(date(2026, 3, 28), AMS) == datetime(2026, 3, 28, 1, 30, tzinfo=UTC)
    weekly = Schedule(Kind.WEEKLY, start=time(1), weekdays=frozenset({6}), confidence=1.0)
    assert weekly.expected_at(date(2026, 3, 28), AMS) is None


def test_slot_day_takes_the_nearest_expected_time() -> None:
    """A 23:55 job's run at 00:07 belongs to the day before; a 02:00 job's run at 23:50
    belongs to the next day."""
    late = datetime(2026, 5, 6, 0, 7, tzinfo=AMS)
    assert schedules.slot_day(late, time(23, 55), AMS) == date(2026, 5, 5)
    early = datetime(2026, 5, 5, 23, 50, tzinfo=AMS)
    assert schedules.slot_day(early, time(2, 0), AMS) == date(2026, 5, 6)
    assert schedules.slot_day(early, None, AMS) == date(2026, 5, 5)


def test_describe_texts() -> None:
    """Short texts for the grid."""
    assert Schedule(Kind.DAILY, start=time(22)).describe() == "daily 22:00"
    assert Schedule(Kind.IRREGULAR).describe() == "irregular"
    weekly = Schedule(Kind.WEEKLY, start=time(4), weekdays=frozenset({6}))
    assert weekly.describe() == "weekly Sun 04:00"
    assert Schedule(Kind.MONTHLY_DAY, start=time(2), month_day=31).describe() == (
        "monthly, last day 02:00"
    )


def test_learning_period_is_the_later_of_days_and_runs() -> None:
    """7 days after first seen, or the 5th run, whichever is later."""
    first = datetime(2026, 5, 1, tzinfo=UTC)
    hourly = [first + timedelta(hours=h) for h in range(10)]
    assert schedules.learning_ends(first, hourly) == first + timedelta(days=7)
    weekly = [first + timedelta(weeks=w) for w in range(5)]
    assert schedules.learning_ends(first, weekly) == first + timedelta(weeks=4)
    assert schedules.learning_ends(first, weekly[:4]) is None
    assert schedules.grace(None) == timedelta(minutes=schedules.DEFAULT_GRACE_MINUTES)
    assert schedules.grace(0) == timedelta(0)


# --- services -------------------------------------------------------------------------


def add_job(engine: Engine, name: str, starts: Iterable[datetime]) -> int:
    """A job with real runs at `starts`; returns its id."""
    with session_scope(engine) as s:
        job = Job(product="synthetic", name=name, sender="s@example.test")
        s.add(job)
        s.flush()
        assert job.id is not None
        for at in starts:
            s.add(
                JobRun(
                    job_id=job.id,
                    status="success",
                    reported_status="success",
                    started_at=at,
                    run_day=at.astimezone(AMS).date(),
                )
            )
        return job.id


def stored(engine: Engine, job_id: int) -> schedules.JobSchedule:
    """The job's schedule settings as stored."""
    return schedules.job_schedule(engine, job_id)


def test_learn_all_stores_schedules_and_manual_wins(engine: Engine) -> None:
    """learn_all fills learned schedules; a manual one is left alone; clearing it brings
    learning back."""
    daily = add_job(engine, "daily", history(date(2026, 6, 1), 29, every_day))
    manual = add_job(engine, "manual", history(date(2026, 6, 1), 29, every_day))
    sunday = Schedule(Kind.WEEKLY, start=time(9), weekdays=frozenset({6}), confidence=0.2)
    schedules.set_schedule(engine, OPERATOR, manual, sunday)
    assert schedules.learn_all(engine, AMS, NOW) == 1
    got = stored(engine, daily)
    assert got.schedule is not None and got.schedule.kind is Kind.DAILY
    assert got.schedule.learned_at == NOW and not got.manual
    kept = stored(engine, manual)
    assert kept.manual and kept.schedule is not None
    assert (kept.schedule.kind, kept.schedule.confidence) == (Kind.WEEKLY, 1.0)
    assert kept.schedule.learned_at is None
    with session_scope(engine) as s:
        job = s.get(Job, manual)
        assert job is not None and job.schedule_kind == "weekly"

    schedules.set_schedule(engine, OPERATOR, manual, None)
    assert stored(engine, manual).schedule is None
    assert schedules.learn_all(engine, AMS, NOW, job_ids=[manual]) == 1
    back = stored(engine, manual)
    assert back.schedule is not None and back.schedule.kind is Kind.DAILY and not back.manual


def test_learn_all_skips_fresh_schedules(engine: Engine) -> None:
    """With stale_after, schedules learned recently are not learned again."""
    add_job(engine, "daily", history(date(2026, 6, 1), 29, every_day))
    assert schedules.learn_all(engine, AMS, NOW) == 1
    later = NOW + timedelta(hours=3)
    assert schedules.learn_all(engine, AMS, later, stale_after=timedelta(days=1)) == 0
    assert (
        schedules.learn_all(engine, AMS, NOW + timedelta(days=2), stale_after=timedelta(days=1))
        == 1
    )


def test_learn_all_ignores_missed_runs_and_the_future(engine: Engine) -> None:
    """Synthetic missed runs and runs after `now` are not learned from."""
    job_id = add_job(engine, "few", history(date(2026, 6, 27), 2, every_day))
    with session_scope(engine) as s:
        for d in range(10):
            day = date(2026, 6, 10) + timedelta(days=d)
            s.add(JobRun(job_id=job_id, status="missed", reported_status="missed", run_day=day))
    add_job(engine, "future", history(date(2026, 7, 1), 10, every_day))
    schedules.learn_all(engine, AMS, NOW)
    got = stored(engine, job_id).schedule
    assert got is not None and got.kind is Kind.IRREGULAR


def test_pause_and_grace_are_audited(engine: Engine) -> None:
    """Pause, resume and grace changes are stored and audited; no-op pause writes nothing."""
    job_id = add_job(engine, "laptop", [])
    schedules.set_paused(engine, OPERATOR, job_id, True)
    schedules.set_paused(engine, OPERATOR, job_id, True)
    assert stored(engine, job_id).paused
    schedules.set_paused(engine, OPERATOR, job_id, False)
    schedules.set_grace(engine, OPERATOR, job_id, 30)
    assert stored(engine, job_id).grace == timedelta(minutes=30)
    schedules.set_grace(engine, OPERATOR, job_id, None)
    assert stored(engine, job_id).grace == timedelta(minutes=120)
    with session_scope(engine) as s:
        actions = s.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert actions == ["job.pause", "job.resume", "job.grace", "job.grace"]


def test_refusals(engine: Engine) -> None:
    """Viewers may not edit; unknown jobs and silly grace periods are refused."""
    job_id = add_job(engine, "job", [])
    daily = Schedule(Kind.DAILY, start=time(22))
    with pytest.raises(PermissionDenied):
        schedules.set_schedule(engine, VIEWER, job_id, daily)
    with pytest.raises(PermissionDenied):
        schedules.set_paused(engine, VIEWER, job_id, True)
    with pytest.raises(NotFound):
        schedules.set_schedule(engine, OPERATOR, job_id + 99, daily)
    with pytest.raises(NotFound):
        schedules.job_schedule(engine, job_id + 99)
    with pytest.raises(BackupChecksError, match="out of range"):
        schedules.set_grace(engine, OPERATOR, job_id, -5)
