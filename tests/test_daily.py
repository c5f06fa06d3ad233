"""Daily Jobs as a service: the day grid (statuses, roll-up rules, filters, late reports,
midnight jobs), a job's paged history and its 30-day status strip — on both databases."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from backupchecks_tui.services import daily
from backupchecks_tui.services.daily import DayAggregate, day_grid, day_status
from backupchecks_tui.views.daily import Kind, Schedule
from store.engine import session_scope
from store.models import Customer, Job, JobRun, Override

AMS = ZoneInfo("Europe/Amsterdam")
DAY = date(2026, 5, 20)  # a Wednesday
NOW = datetime(2026, 5, 20, 23, 0, tzinfo=AMS)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local Amsterdam moment."""
    return datetime.combine(day, time(hour, minute), tzinfo=AMS)


def daily_at(hour: int, minute: int = 0) -> Schedule:
    """A confident daily schedule."""
    return Schedule(Kind.DAILY, start=time(hour, minute), confidence=1.0)


class World:
    """Builds jobs and runs in one session."""

    def __init__(self, session: Session) -> None:
        """Build in `session`."""
        self.s = session
        self.customers: dict[str, int] = {}

    def job(
        self,
        name: str,
        schedule: Schedule | None = None,
        *,
        customer: str = "",
        paused: bool = False,
        active: bool = True,
    ) -> int:
        """A job; returns its id."""
        if customer and customer not in self.customers:
            c = Customer(name=customer)
            self.s.add(c)
            self.s.flush()
            assert c.id is not None
            self.customers[customer] = c.id
        job = Job(
            product="veeam" if "vm" in name else "synology",
            name=name,
            sender=f"{name}@example.test",
            customer_id=self.customers.get(customer),
            paused=paused,
            active=active,
            schedule_json=schedule.to_json() if schedule else "",
            schedule_kind=schedule.kind.value if schedule else "",
        )
        self.s.add(job)
        self.s.flush()
        assert job.id is not None
        return job.id

    def run(
        self,
        job_id: int,
        started: datetime | None,
        status: str = "success",
        *,
        day: date | None = None,
        **extra: object,
    ) -> int:
        """A run (real unless status is missed); returns its id."""
        run = JobRun(
            job_id=job_id,
            status=status,
            reported_status=status,
            started_at=started,
            run_day=day or (started.astimezone(AMS).date() if started else DAY),
            **extra,  # type: ignore[arg-type]
        )
        self.s.add(run)
        self.s.flush()
        assert run.id is not None
        return run.id


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    """One day's worth of cases; returns job ids by name."""
    with session_scope(engine) as s:
        w = World(s)
        ids = {
            "mixed": w.job("mixed", daily_at(2), customer="Acme"),
            "warned": w.job("warned", daily_at(2), customer="Acme"),
            "failing": w.job("failing", daily_at(2), customer="Bolt"),
            "due-later": w.job("due-later", daily_at(22), customer="Bolt"),
            "overdue": w.job("overdue", daily_at(20), customer="Bolt"),
            "missed": w.job("missed", daily_at(20), customer="Cask"),
            "resolved": w.job("resolved", daily_at(20), customer="Cask"),
            "weekly": w.job(
                "weekly",
                Schedule(Kind.WEEKLY, start=time(3), weekdays=frozenset({0}), confidence=1.0),
            ),
            "unknown": w.job("unknown"),
            "adhoc": w.job("adhoc"),
            "paused": w.job("paused", daily_at(1), paused=True),
            "vm-overridden": w.job("vm-overridden", daily_at(2), customer="Acme"),
            "unsure": w.job("unsure", Schedule(Kind.DAILY, start=time(1), confidence=0.3)),
        }
        w.job("inactive", daily_at(1), active=False)
        w.run(ids["mixed"], at(DAY, 2), "failed")
        w.run(ids["mixed"], at(DAY, 9), "success")
        w.run(ids["warned"], at(DAY, 2), "warning")
        w.run(ids["failing"], at(DAY, 2), "failed")
        w.run(ids["failing"], at(DAY, 3), "failed")
        w.run(ids["missed"], None, "missed", expected_at=at(DAY, 20))
        late = w.run(ids["resolved"], at(DAY, 21, 30), "success")
        w.run(ids["resolved"], None, "missed", expected_at=at(DAY, 20), resolved_by_run_id=late)
        w.run(ids["adhoc"], at(DAY, 14), "success")
        rule = Override(scope="job", job_id=ids["vm-overridden"], created_by="olga")
        s.add(rule)
        s.flush()
        w.run(ids["vm-overridden"], at(DAY, 2), "success", override_id=rule.id)
    return ids


def grid_by_name(engine: Engine, **kwargs: object) -> dict[str, daily.DayRow]:
    """The day grid keyed by job name."""
    rows = day_grid(engine, DAY, AMS, NOW, **kwargs)  # type: ignore[arg-type]
    return {r.job_name: r for r in rows}


# --- roll-up rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ranks_in_order", "worst", "last", "mixed"),
    [
        ([0], "success", "success", "success"),
        ([2, 0], "failed", "success", "warning"),
        ([0, 2], "failed", "failed", "warning"),
        ([1, 1], "warning", "warning", "warning"),
        ([2, 2], "failed", "failed", "failed"),
        ([2, 1], "failed", "warning", "failed"),
        ([3, 0], "missed", "success", "warning"),
        ([3], "missed", "missed", "missed"),
    ],
)
def test_roll_up_rules(ranks_in_order: list[int], worst: str, last: str, mixed: str) -> None:
    """Worst run; last run; warning when successes and problems mix, else worst."""
    ok = ranks_in_order.count(0)
    agg = DayAggregate(max(ranks_in_order), ranks_in_order[-1], ok, len(ranks_in_order) - ok, 1, 0)
    assert day_status(agg) == worst
    assert day_status(agg, "worst") == worst
    assert day_status(agg, "last") == last
    assert day_status(agg, "warning_if_mixed") == mixed


# --- the grid -------------------------------------------------------------------------


@pytest.mark.usefixtures("world")
def test_day_statuses(engine: Engine) -> None:
    """Each case gets its status, run count and override flag; inactive jobs are absent."""
    grid = grid_by_name(engine)
    got = {name: (r.status, r.runs, r.overridden) for name, r in grid.items()}
    assert got == {
        "mixed": ("failed", 2, False),
        "warned": ("warning", 1, False),
        "failing": ("failed", 2, False),
        "due-later": ("expected", 0, False),
        "overdue": ("missed", 0, False),
        "missed": ("missed", 1, False),
        "resolved": ("success", 1, False),
        "weekly": ("not_scheduled", 0, False),
        "unknown": ("not_scheduled", 0, False),
        "adhoc": ("success", 1, False),
        "paused": ("not_scheduled", 0, False),
        "vm-overridden": ("success", 1, True),
        "unsure": ("not_scheduled", 0, False),
    }
    assert grid["paused"].paused and not grid["mixed"].paused
    assert grid["due-later"].expected_at == at(DAY, 22)
    assert grid["weekly"].expected_at is None
    assert grid["weekly"].schedule == "weekly Mon 03:00"
    assert grid["unknown"].schedule == ""
    assert grid["mixed"].customer == "Acme" and grid["unknown"].customer == ""
    assert grid["mixed"].product == "synology"


@pytest.mark.usefixtures("world")
def test_roll_up_modes_in_sql(engine: Engine) -> None:
    """`last` takes the latest run of the day; `warning_if_mixed` softens mixed days."""
    last = grid_by_name(engine, roll_up="last")
    assert (last["mixed"].status, last["failing"].status, last["resolved"].status) == (
        "success",
        "failed",
        "success",
    )
    mixed = grid_by_name(engine, roll_up="warning_if_mixed")
    assert (mixed["mixed"].status, mixed["failing"].status, mixed["warned"].status) == (
        "warning",
        "failed",
        "warning",
    )


@pytest.mark.usefixtures("world")
def test_sorted_by_customer_then_job(engine: Engine) -> None:
    """Jobs without a customer first, then by customer and job name."""
    names = [r.job_name for r in day_grid(engine, DAY, AMS, NOW)]
    assert names[:5] == ["adhoc", "paused", "unknown", "unsure", "weekly"]
    assert names[5:] == [
        "mixed",
        "vm-overridden",
        "warned",
        "due-later",
        "failing",
        "overdue",
        "missed",
        "resolved",
    ]


@pytest.mark.usefixtures("world")
def test_filters(engine: Engine) -> None:
    """Text matches job, customer, product and sender; statuses keep those day statuses."""
    assert set(grid_by_name(engine, text="CASK")) == {"missed", "resolved"}
    assert set(grid_by_name(engine, text="veeam")) == {"vm-overridden"}
    assert set(grid_by_name(engine, text="adhoc@")) == {"adhoc"}
    problems = grid_by_name(engine, statuses=frozenset({"failed", "missed"}))
    assert set(problems) == {"mixed", "failing", "overdue", "missed"}
    assert set(grid_by_name(engine, text="bolt", statuses=frozenset({"expected"}))) == {"due-later"}


@pytest.mark.usefixtures("world")
def test_other_days(engine: Engine) -> None:
    """Tomorrow: daily jobs expected, the Monday job not scheduled; a past Monday
    without a run is missed for the weekly job."""
    tomorrow = {r.job_name: r.status for r in day_grid(engine, DAY + timedelta(1), AMS, NOW)}
    assert tomorrow["mixed"] == tomorrow["overdue"] == "expected"
    assert tomorrow["weekly"] == "not_scheduled"
    monday = {r.job_name: r.status for r in day_grid(engine, date(2026, 5, 18), AMS, NOW)}
    assert monday["weekly"] == "missed"


def test_midnight_job_takes_the_run_after_midnight(engine: Engine) -> None:
    """A 23:55 job that reported at 00:07: the day shows that run, not missed."""
    with session_scope(engine) as s:
        w = World(s)
        job_id = w.job("late-night", daily_at(23, 55))
        w.run(job_id, at(DAY + timedelta(1), 0, 7), "warning")
        other = w.job("other-night", daily_at(23, 55))
        w.run(other, at(DAY + timedelta(1), 20, 0), "success")  # not this slot's run
    now = at(DAY + timedelta(1), 12)
    rows = {r.job_name: r for r in day_grid(engine, DAY, AMS, now)}
    assert (rows["late-night"].status, rows["late-night"].runs) == ("warning", 1)
    assert rows["other-night"].status == "missed"


# --- history and strip ----------------------------------------------------------------


def test_job_history_is_paged_newest_first(engine: Engine) -> None:
    """All runs of the job, newest first, with sizes and counts; count for paging."""
    with session_scope(engine) as s:
        w = World(s)
        job_id = w.job("hist", daily_at(22))
        for i in range(12):
            w.run(
                job_id,
                at(date(2026, 5, 1) + timedelta(i), 22),
                "warning" if i % 3 == 0 else "success",
                size_bytes=1000 * i,
                object_count=i,
                problem_count=1 if i % 3 == 0 else 0,
            )
        missed_id = w.run(
            job_id, None, "missed", day=date(2026, 5, 13), expected_at=at(date(2026, 5, 13), 22)
        )
        w.run(w.job("noise"), at(date(2026, 5, 5), 1))
    first = daily.job_history(engine, job_id, limit=5)
    assert first[0].run_id == missed_id and first[0].missed
    assert [r.run_day for r in first[1:]] == [date(2026, 5, 12 - i) for i in range(4)]
    assert first[1].size_bytes == 11000 and first[1].object_count == 11
    rest = daily.job_history(engine, job_id, limit=5, offset=10)
    assert [r.run_day for r in rest] == [date(2026, 5, 3), date(2026, 5, 2), date(2026, 5, 1)]
    assert rest[-1].status == "warning" and rest[-1].problem_count == 1
    assert daily.history_count(engine, job_id) == 13
    assert daily.job_history(engine, job_id + 99) == []


def test_status_strip(engine: Engine) -> None:
    """30 days, oldest first; days without runs are 'none'; the roll-up applies."""
    with session_scope(engine) as s:
        w = World(s)
        job_id = w.job("strip", daily_at(22))
        w.run(job_id, at(DAY, 1), "failed")
        w.run(job_id, at(DAY, 5), "success")
        w.run(job_id, at(DAY - timedelta(1), 22), "warning")
        w.run(
            job_id, None, "missed", day=DAY - timedelta(2), expected_at=at(DAY - timedelta(2), 22)
        )
        w.run(job_id, at(DAY - timedelta(40), 22), "failed")  # outside the strip
    strip = daily.status_strip(engine, job_id, DAY)
    assert len(strip) == 30
    assert strip[0] == (DAY - timedelta(29), "none")
    assert strip[-3:] == [
        (DAY - timedelta(2), "missed"),
        (DAY - timedelta(1), "warning"),
        (DAY, "failed"),
    ]
    assert daily.status_strip(engine, job_id, DAY, days=1, roll_up="last") == [(DAY, "success")]
    assert {status for _, status in strip[:-3]} == {"none"}
