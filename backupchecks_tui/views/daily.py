"""Daily Jobs and a job's history as the screens see them: schedules, grid rows, history.

The `Schedule` model lives here (it is pure: days, a local start time, a confidence) so
the screens can show and parse one; learning it and storing it is the services' job
(`services.schedules`, `services.schedule_learning`).

A schedule says on which days a job runs and at what local time (wall clock in the
operator's zone, so a 22:00 job stays 22:00 across DST changes). A run belongs to the
*slot* of the day whose expected time is nearest (within 12 hours): a 23:55 job's report
started at 00:07 is that day's run, late, not the next day's.
"""

from __future__ import annotations

import calendar
import enum
import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal

from backupchecks_tui.domain import ItemKind, RunStatus

DEFAULT_GRACE_MINUTES = 120
"""Minutes after the expected time before a run counts as missed (per job: grace_minutes)."""
MIN_CONFIDENCE = 0.6
"""Schedules less confident than this never produce missed runs."""
LAST = -1
"""`Schedule.nth` for "the last <weekday> of the month"."""
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WORKDAYS = frozenset(range(5))
NTHS = (1, 2, 3, 4, LAST)
_HALF_DAY = timedelta(hours=12)


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
    if s.kind is Kind.MONTHLY_NTH and s.nth not in NTHS:
        return "the week of the month is 1 to 4, or last"
    return ""


def _occurs(s: Schedule, day: date) -> bool:
    """Whether schedule `s` expects a run on `day`."""
    weekday = day.weekday()
    if s.kind is Kind.DAILY:
        return True
    if s.kind is Kind.WEEKDAYS:
        return weekday in WORKDAYS
    if s.kind in (Kind.DAYS, Kind.WEEKLY):
        return weekday in s.weekdays
    if s.kind is Kind.MONTHLY_DAY:
        return day.day == min(s.month_day, month_length(day))
    if s.kind is Kind.MONTHLY_NTH:
        return weekday in s.weekdays and s.nth in nth_of(day)
    return False


def month_length(day: date) -> int:
    """Days in the month of `day`."""
    return _days_in_month(day.year, day.month)


@functools.cache
def _days_in_month(year: int, month: int) -> int:
    """Days in `month` of `year` (cached: learning asks for every day of its window)."""
    return calendar.monthrange(year, month)[1]


def nth_of(day: date) -> tuple[int, ...]:
    """Which occurrence of its weekday `day` is in its month: (n,) or (n, LAST)."""
    n = (day.day - 1) // 7 + 1
    last = day.day + 7 > month_length(day)
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


def schedule_for_weekdays(weekdays: frozenset[int], start: time) -> Schedule:
    """The simplest kind for a set of weekdays (all → daily, Mon–Fri → weekdays, one → weekly)."""
    if len(weekdays) == 7:
        return Schedule(Kind.DAILY, start=start)
    if weekdays == WORKDAYS:
        return Schedule(Kind.WEEKDAYS, start=start)
    kind = Kind.WEEKLY if len(weekdays) == 1 else Kind.DAYS
    return Schedule(kind, start=start, weekdays=weekdays)


def grace(grace_minutes: int | None) -> timedelta:
    """A job's grace period: its own, else DEFAULT_GRACE_MINUTES."""
    return timedelta(minutes=DEFAULT_GRACE_MINUTES if grace_minutes is None else grace_minutes)


@dataclass(frozen=True)
class JobSchedule:
    """A job's schedule settings, for the job history screen and the edit prompts."""

    job_id: int
    schedule: Schedule | None
    manual: bool
    paused: bool
    grace_minutes: int | None

    @property
    def grace(self) -> timedelta:
        """The grace period in force (the job's own or the default)."""
        return grace(self.grace_minutes)


# --- Daily Jobs -----------------------------------------------------------------------

RollUp = Literal["worst", "last", "warning_if_mixed"]
"""How a day with several runs gets its status: the worst run, the last, or warning when
successes and problems mix."""
ROLL_UPS: tuple[RollUp, ...] = ("worst", "last", "warning_if_mixed")


class NoRun(enum.StrEnum):
    """The status of a day on which a job had no run (and was not missed)."""

    EXPECTED = "expected"
    """Not yet due."""
    NOT_SCHEDULED = "not_scheduled"
    NONE = "none"
    """A day without runs in a job's status strip."""


DayStatus = RunStatus | NoRun
"""A job's status on one day: how its runs went, or why there are none."""
DAY_STATUSES: tuple[DayStatus, ...] = (*RunStatus, NoRun.EXPECTED, NoRun.NOT_SCHEDULED)
"""The statuses of the grid, in the order the header counts them."""


@dataclass(frozen=True, slots=True)
class DayRow:
    """One job on one day: who, what, when expected, and how the day went."""

    job_id: int
    customer: str
    job_name: str
    product: str
    schedule: str
    schedule_manual: bool
    paused: bool
    expected_at: datetime | None
    status: DayStatus
    runs: int
    overridden: bool
    ticket: bool = False
    """An active ticket covers the job."""
    remark: bool = False
    """An active remark covers the job."""

    @property
    def title(self) -> str:
        """ "Customer · Job" (or the job alone)."""
        return f"{self.customer} · {self.job_name}" if self.customer else self.job_name


@dataclass(frozen=True)
class GridQuery:
    """What the Daily Jobs screen asks for: a day, a roll-up, a text and status filter."""

    day: date
    roll_up: RollUp = "worst"
    text: str = ""
    statuses: frozenset[DayStatus] = frozenset()
    """Keep only rows with these statuses (none: every row)."""


@dataclass(frozen=True)
class DayGrid:
    """The grid of one day as loaded for `query`: the shown rows and the day's counts."""

    query: GridQuery
    rows: tuple[DayRow, ...]
    total: int
    """Jobs on the day before the status filter."""
    counts: dict[DayStatus, int] = field(default_factory=dict)
    """Jobs per status on the day (before the status filter)."""


# --- a job's history ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One run in a job's history."""

    run_id: int
    run_day: date
    status: RunStatus
    reported_status: str
    started_at: datetime | None
    ended_at: datetime | None
    expected_at: datetime | None
    size_bytes: int | None
    transferred_bytes: int | None
    object_count: int
    problem_count: int
    message: str
    overridden: bool
    reviewed_at: datetime | None
    reviewed_by: str
    resolved_by_run_id: int | None

    @property
    def missed(self) -> bool:
        """Whether this is a synthetic missed run."""
        return self.reported_status == RunStatus.MISSED


@dataclass(frozen=True)
class RunsPage:
    """One page of a job's runs, newest first."""

    job_id: int
    page: int
    """The page shown (0 is the newest), clipped to the pages there are."""
    pages: int
    total: int
    rows: tuple[HistoryRow, ...]


@dataclass(frozen=True)
class CoverLine:
    """An active ticket or remark covering a job, as the history names it."""

    kind: ItemKind
    id: int
    label: str
    """`#N` for a ticket, `R<id>` for a remark."""
    title: str
    state: str


@dataclass(frozen=True)
class OverrideLine:
    """An active override that applies to a job."""

    id: int
    text: str
    """Scope and match in words: "job NAME: warning, any object"."""


@dataclass(frozen=True)
class JobOverview:
    """The head of a job's history: its settings, the status strip and what covers it."""

    job_id: int
    settings: JobSchedule
    strip: tuple[tuple[date, DayStatus], ...]
    """Day statuses, oldest first; NoRun.NONE for a day without runs."""
    covering: tuple[CoverLine, ...] = ()
    overrides: tuple[OverrideLine, ...] = ()
