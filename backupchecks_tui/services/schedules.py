"""Job schedules: the `Schedule` model, learning it from run history, editing it by hand.

A schedule says on which days a job runs and at what local time (wall clock in the
operator's zone, so a 22:00 job stays 22:00 across DST changes). It is learned from the
job's recent runs unless an operator set one by hand (`Job.schedule_manual` wins). It is
stored on the job as JSON (`Job.schedule_json`), its kind also in `Job.schedule_kind`.

A run belongs to the *slot* of the day whose expected time is nearest (within 12 hours):
a 23:55 job's report started at 00:07 is that day's run, late, not the next day's.
"""

from __future__ import annotations

import calendar
import enum
import functools
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import Engine, bindparam, func, select, update
from sqlmodel import Session, col

from backupchecks_tui.errors import BackupChecksError, NotFound
from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.services import audit
from store.engine import read_scope, session_scope
from store.models import Job, JobRun, MailMessage

DEFAULT_GRACE_MINUTES = 120
"""Minutes after the expected time before a run counts as missed (per job: grace_minutes)."""
MAX_GRACE_MINUTES = 7 * 24 * 60
LEARNING_DAYS = 7
"""A new job can go missed only after this many days since it was first seen…"""
LEARNING_RUNS = 5
"""…and after this many real runs, whichever comes later."""
MIN_CONFIDENCE = 0.6
"""Schedules less confident than this never produce missed runs."""
LEARN_WINDOW_DAYS = 90
"""How far back the history used for learning reaches."""
RELEARN_AFTER = timedelta(days=1)
"""A learned schedule older than this is learned again by `learn_all(stale_after=…)`."""
MISSED = "missed"
"""`reported_status` of synthetic missed runs (no product reports it)."""

LAST = -1
"""`Schedule.nth` for "the last <weekday> of the month"."""
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WORKDAYS = frozenset(range(5))
_NTHS = (1, 2, 3, 4, LAST)
_MINUTES_PER_DAY = 24 * 60
_HALF_DAY = timedelta(hours=12)
_MIN_LEARN_DAYS = 3
_MIN_SPAN_DAYS = 7
_SHORT_SPAN_CONFIDENCE = 0.5
_FULL_EVIDENCE_HITS = 4
_IRREGULAR_BELOW = 0.5
_WEEKDAY_HIT_RATIO = 0.5


class Kind(enum.StrEnum):
    """The rhythm of a schedule."""

    DAILY = "daily"
    WEEKDAYS = "weekdays"
    DAYS = "days"
    WEEKLY = "weekly"
    MONTHLY_DAY = "monthly_day"
    MONTHLY_NTH = "monthly_nth"
    IRREGULAR = "irregular"


@dataclass(frozen=True)
class Schedule:
    """When a job runs: kind, days, local start time, confidence, when it was learned.

    `weekdays` (0 = Monday) holds the days of `days`, the one day of `weekly` and the
    weekday of `monthly_nth`; `month_day` (1..31, clipped to the month's last day) is for
    `monthly_day`; `nth` (1..4, or LAST) for `monthly_nth`. `start` is None only for
    irregular schedules. `confidence` (0..1) says how well the history fits (1 for
    schedules set by hand); `learned_at` is None for schedules set by hand.
    """

    kind: Kind
    start: time | None = None
    weekdays: frozenset[int] = frozenset()
    month_day: int = 0
    nth: int = 0
    confidence: float = 0.0
    learned_at: datetime | None = None

    def __post_init__(self) -> None:
        """Refuse inconsistent schedules (a clear message for the edit dialog)."""
        problem = _schedule_problem(self)
        if problem:
            raise ValueError(problem)

    @property
    def confident(self) -> bool:
        """Whether the schedule is sure enough to declare runs missed."""
        return (
            self.kind is not Kind.IRREGULAR
            and self.start is not None
            and self.confidence >= MIN_CONFIDENCE
        )

    def occurs_on(self, day: date) -> bool:
        """Whether the job is expected to run on `day`."""
        return _occurs(self, day)

    def expected_at(self, day: date, zone: tzinfo) -> datetime | None:
        """The expected start on `day` (aware, UTC), or None when not expected that day.

        A start time that does not exist on a spring-forward day is read with the offset
        before the change (02:30 becomes 03:30 summer time).
        """
        if self.start is None or not self.occurs_on(day):
            return None
        return datetime.combine(day, self.start, tzinfo=zone).astimezone(UTC)

    def slot_day(self, moment: datetime, zone: tzinfo) -> date:
        """The day whose slot a run started at `moment` belongs to (nearest expected time)."""
        return slot_day(moment, self.start, zone)

    def describe(self) -> str:
        """Short text for tables: "Mon–Fri 22:00", "2nd Tue monthly 02:00", "irregular"."""
        at = f" {self.start:%H:%M}" if self.start is not None else ""
        return _rhythm_text(self) + at

    def to_json(self) -> str:
        """The schedule as stored in `Job.schedule_json`."""
        return json.dumps(
            {
                "v": 1,
                "kind": self.kind.value,
                "start": f"{self.start:%H:%M}" if self.start is not None else None,
                "weekdays": sorted(self.weekdays),
                "month_day": self.month_day,
                "nth": self.nth,
                "confidence": round(self.confidence, 3),
                "learned_at": self.learned_at.isoformat() if self.learned_at else None,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Schedule | None:
        """The schedule stored in `text`; None when empty or unreadable."""
        if not text.strip():
            return None
        try:
            data = json.loads(text)
            return cls(
                kind=Kind(data["kind"]),
                start=time.fromisoformat(data["start"]) if data.get("start") else None,
                weekdays=frozenset(int(d) for d in data.get("weekdays", ())),
                month_day=int(data.get("month_day", 0)),
                nth=int(data.get("nth", 0)),
                confidence=float(data.get("confidence", 0.0)),
                learned_at=_parse_aware(data.get("learned_at")),
            )
        except (ValueError, KeyError, TypeError):
            return None


def _parse_aware(text: str | None) -> datetime | None:
    """An ISO timestamp as an aware datetime (UTC assumed when it carries no zone)."""
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _schedule_problem(s: Schedule) -> str:
    """What is wrong with `s`, or "" when it is consistent."""
    if not 0.0 <= s.confidence <= 1.0:
        return "confidence must be between 0 and 1"
    if s.learned_at is not None and s.learned_at.tzinfo is None:
        return "learned_at must be timezone-aware"
    if s.kind is not Kind.IRREGULAR and s.start is None:
        return f"a {s.kind.value} schedule needs a start time"
    if not s.weekdays <= frozenset(range(7)):
        return "weekdays are 0 (Monday) to 6 (Sunday)"
    return _rhythm_problem(s)


def _rhythm_problem(s: Schedule) -> str:
    """What is wrong with the days of `s`, or "".

    Plain checks, each message built only when needed: learning builds thousands of
    candidate schedules.
    """
    if s.kind is Kind.DAYS and not s.weekdays:
        return "pick at least one weekday"
    if s.kind in (Kind.WEEKLY, Kind.MONTHLY_NTH) and len(s.weekdays) != 1:
        return f"a {s.kind.value} schedule needs exactly one weekday"
    if s.kind is Kind.MONTHLY_DAY and not 1 <= s.month_day <= 31:
        return "the day of the month is 1 to 31"
    if s.kind is Kind.MONTHLY_NTH and s.nth not in _NTHS:
        return "the week of the month is 1 to 4, or last"
    return ""


def _occurs(s: Schedule, day: date) -> bool:
    """Whether schedule `s` expects a run on `day`."""
    weekday = day.weekday()
    if s.kind is Kind.DAILY:
        return True
    if s.kind is Kind.WEEKDAYS:
        return weekday in _WORKDAYS
    if s.kind in (Kind.DAYS, Kind.WEEKLY):
        return weekday in s.weekdays
    if s.kind is Kind.MONTHLY_DAY:
        return day.day == min(s.month_day, _month_length(day))
    if s.kind is Kind.MONTHLY_NTH:
        return weekday in s.weekdays and s.nth in nth_of(day)
    return False


def _month_length(day: date) -> int:
    """Days in the month of `day`."""
    return _days_in_month(day.year, day.month)


@functools.cache
def _days_in_month(year: int, month: int) -> int:
    """Days in `month` of `year` (cached: learning asks for every day of its window)."""
    return calendar.monthrange(year, month)[1]


def nth_of(day: date) -> tuple[int, ...]:
    """Which occurrence of its weekday `day` is in its month: (n,) or (n, LAST)."""
    n = (day.day - 1) // 7 + 1
    last = day.day + 7 > _month_length(day)
    return (n, LAST) if last else (n,)


def _rhythm_text(s: Schedule) -> str:
    """The day part of `describe`."""
    days = " ".join(WEEKDAY_NAMES[d] for d in sorted(s.weekdays))
    if s.kind is Kind.MONTHLY_DAY:
        return "monthly, last day" if s.month_day == 31 else f"monthly, day {s.month_day}"
    if s.kind is Kind.MONTHLY_NTH:
        nth = "last" if s.nth == LAST else f"{s.nth}{_ORDINAL_SUFFIX[s.nth]}"
        return f"monthly, {nth} {days}"
    texts = {
        Kind.DAILY: "daily",
        Kind.WEEKDAYS: "Mon–Fri",
        Kind.DAYS: days,
        Kind.WEEKLY: f"weekly {days}",
        Kind.IRREGULAR: "irregular",
    }
    return texts[s.kind]


_ORDINAL_SUFFIX = {1: "st", 2: "nd", 3: "rd", 4: "th"}


def slot_day(moment: datetime, start: time | None, zone: tzinfo) -> date:
    """The day whose expected time (`start`, local) is nearest to `moment` (±12 hours).

    Without a start time this is simply the local day of `moment`.
    """
    local = moment.astimezone(zone).replace(tzinfo=None)
    if start is None:
        return local.date()
    shift = timedelta(minutes=start.hour * 60 + start.minute) - _HALF_DAY
    return (local - shift).date()


# --- learning -------------------------------------------------------------------------


def learn(
    run_starts: Sequence[datetime], zone: tzinfo, *, learned_at: datetime | None = None
) -> Schedule:
    """The schedule that best explains `run_starts` (aware moments of real runs). Pure.

    The usual time is the circular median of each day's first start (robust to noisy
    times and to runs either side of midnight); each run is then given to its slot day;
    the rhythm whose expected days best match those days wins (a few missing days lower
    the confidence, they do not make a daily job irregular). Less than a week of
    history never gives a confident schedule.
    """
    local = sorted(t.astimezone(zone) for t in run_starts)
    if len({t.date() for t in local}) < _MIN_LEARN_DAYS:
        return Schedule(Kind.IRREGULAR, learned_at=learned_at)
    minute, spread = usual_minute(local)
    start = time(minute // 60, minute % 60)
    days = sorted({slot_day(t, start, zone) for t in local})
    rhythm, score, hits = best_rhythm(days)
    if rhythm is None or score < _IRREGULAR_BELOW:
        return Schedule(Kind.IRREGULAR, start=start, learned_at=learned_at)
    evidence = min(1.0, hits / _FULL_EVIDENCE_HITS)
    confidence = round(score * evidence * _time_factor(spread), 2)
    if (days[-1] - days[0]).days < _MIN_SPAN_DAYS - 1:  # less than a week: unknowable
        confidence = min(confidence, _SHORT_SPAN_CONFIDENCE)
    return replace(rhythm, start=start, confidence=confidence, learned_at=learned_at)


def usual_minute(local_starts: Sequence[datetime]) -> tuple[int, float]:
    """(usual minute of the day, spread in minutes) of each local day's first start.

    A circular mean gives the centre (23:50 and 00:10 average to 00:00, not noon), the
    median of the deviations from it makes it robust; the spread is their median
    absolute deviation.
    """
    first: dict[date, datetime] = {}
    for t in local_starts:
        first.setdefault(t.date(), t)
    minutes = [t.hour * 60 + t.minute for t in first.values()]
    angles = [2 * math.pi * m / _MINUTES_PER_DAY for m in minutes]
    mean_angle = math.atan2(sum(map(math.sin, angles)), sum(map(math.cos, angles)))
    mean = mean_angle * _MINUTES_PER_DAY / (2 * math.pi)
    deviations = [_wrap(m - mean) for m in minutes]
    centre = statistics.median(deviations)
    spread = statistics.median(abs(d - centre) for d in deviations)
    return round(mean + centre) % _MINUTES_PER_DAY, spread


def _wrap(minutes: float) -> float:
    """`minutes` folded into [-720, 720)."""
    return (minutes + _MINUTES_PER_DAY / 2) % _MINUTES_PER_DAY - _MINUTES_PER_DAY / 2


def _time_factor(spread: float) -> float:
    """How much start-time scatter lowers confidence: none up to 30 minutes."""
    return max(0.3, min(1.0, 1.0 - (spread - 30) / 300))


def best_rhythm(days: Sequence[date]) -> tuple[Schedule | None, float, int]:
    """(rhythm without start time, score 0..1, matched days) that best fits `days`.

    The score is recall × precision over the observed span: the share of expected days
    that had a run times the share of run days that were expected.
    """
    span = _span(days)
    observed = frozenset(days)
    tally = _Tally(span, observed)
    best: tuple[Schedule | None, float, int] = (None, 0.0, 0)
    for candidate in _candidates(span, observed):
        score, hits = tally.fit(candidate)
        if score > best[1]:
            best = (candidate, score, hits)
    return best


def _span(days: Sequence[date]) -> list[date]:
    """Every day from the first to the last of `days` (sorted)."""
    first, last = days[0], days[-1]
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


class _Tally:
    """Expected and hit days of every candidate rhythm, counted in one pass over the span.

    `fit` then scores a candidate without walking the span again (learning scores some
    seventy candidates per job; the span is up to LEARN_WINDOW_DAYS long).
    """

    def __init__(self, span: Sequence[date], observed: frozenset[date]) -> None:
        self.observed = len(observed)
        self.weekday: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        self.month_day: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        self.nth: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
        for d in span:
            hit = d in observed
            weekday = d.weekday()
            length = _month_length(d)
            # A monthly_day rhythm of day m expects min(m, length): the last day of a
            # month stands for every m from that day to 31.
            for m in range(d.day, 32) if d.day == length else (d.day,):
                _count(self.month_day[m], hit)
            _count(self.weekday[weekday], hit)
            n = (d.day - 1) // 7 + 1
            for nth in (n, LAST) if d.day + 7 > length else (n,):
                _count(self.nth[(nth, weekday)], hit)

    def fit(self, candidate: Schedule) -> tuple[float, int]:
        """(recall × precision, hits) of `candidate` against the observed run days."""
        expected, hits = self._counts(candidate)
        if not expected:
            return 0.0, 0
        return (hits / expected) * (hits / self.observed), hits

    def _counts(self, s: Schedule) -> tuple[int, int]:
        """(expected days, of which had a run) of `s` over the span."""
        if s.kind is Kind.MONTHLY_DAY:
            expected, hits = self.month_day.get(s.month_day, (0, 0))
            return expected, hits
        if s.kind is Kind.MONTHLY_NTH:
            expected = hits = 0
            for weekday in s.weekdays:
                e, h = self.nth.get((s.nth, weekday), (0, 0))
                expected, hits = expected + e, hits + h
            return expected, hits
        weekdays = {
            Kind.DAILY: range(7),
            Kind.WEEKDAYS: _WORKDAYS,
            Kind.DAYS: s.weekdays,
            Kind.WEEKLY: s.weekdays,
        }.get(s.kind, ())
        counts = [self.weekday.get(w, (0, 0)) for w in weekdays]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)


def _count(cell: list[int], hit: bool) -> None:
    """One more expected day in `cell` ([expected, hits]), a hit if `hit`."""
    cell[0] += 1
    cell[1] += hit


def _candidates(span: Sequence[date], observed: frozenset[date]) -> Iterable[Schedule]:
    """The rhythms worth scoring: the weekday pattern, then monthly ones."""
    weekly = _weekday_candidate(span, observed)
    if weekly is not None:
        yield weekly
    for month_day in sorted({d.day for d in observed} | {31}):
        yield Schedule(Kind.MONTHLY_DAY, start=time(0), month_day=month_day)
    nths = {(n, d.weekday()) for d in observed for n in nth_of(d) if n in _NTHS}
    for n, weekday in sorted(nths):
        yield Schedule(Kind.MONTHLY_NTH, start=time(0), weekdays=frozenset({weekday}), nth=n)


def _weekday_candidate(span: Sequence[date], observed: frozenset[date]) -> Schedule | None:
    """Daily / weekdays / days / weekly: the weekdays that had a run at least half the time."""
    seen: dict[int, int] = defaultdict(int)
    hit: dict[int, int] = defaultdict(int)
    for d in span:
        seen[d.weekday()] += 1
        hit[d.weekday()] += d in observed
    chosen = frozenset(w for w in seen if hit[w] / seen[w] >= _WEEKDAY_HIT_RATIO)
    if not chosen:
        return None
    return schedule_for_weekdays(chosen, time(0))


def schedule_for_weekdays(weekdays: frozenset[int], start: time) -> Schedule:
    """The simplest kind for a set of weekdays (all → daily, Mon–Fri → weekdays, one → weekly)."""
    if len(weekdays) == 7:
        return Schedule(Kind.DAILY, start=start)
    if weekdays == _WORKDAYS:
        return Schedule(Kind.WEEKDAYS, start=start)
    kind = Kind.WEEKLY if len(weekdays) == 1 else Kind.DAYS
    return Schedule(kind, start=start, weekdays=weekdays)


# --- the learning period and grace ----------------------------------------------------


def learning_ends(first_seen: datetime, real_run_moments: Sequence[datetime]) -> datetime | None:
    """When a job's learning period ends: LEARNING_DAYS after `first_seen` or its
    LEARNING_RUNS-th real run, whichever is later; None while it has fewer runs."""
    moments = sorted(real_run_moments)
    if len(moments) < LEARNING_RUNS:
        return None
    start = min(first_seen, moments[0])
    return max(start + timedelta(days=LEARNING_DAYS), moments[LEARNING_RUNS - 1])


def grace(grace_minutes: int | None) -> timedelta:
    """A job's grace period: its own, else DEFAULT_GRACE_MINUTES."""
    return timedelta(minutes=DEFAULT_GRACE_MINUTES if grace_minutes is None else grace_minutes)


# --- reading and storing --------------------------------------------------------------


@dataclass(frozen=True)
class JobSchedule:
    """A job's schedule settings, for the job history screen and the edit dialog."""

    job_id: int
    schedule: Schedule | None
    manual: bool
    paused: bool
    grace_minutes: int | None

    @property
    def grace(self) -> timedelta:
        """The grace period in force (the job's own or the default)."""
        return grace(self.grace_minutes)


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
        .where(col(JobRun.reported_status) != MISSED, col(JobRun.run_day) >= since)
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
