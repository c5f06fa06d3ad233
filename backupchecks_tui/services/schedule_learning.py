"""Learning a job's schedule from its run history (pure), and when its learning period ends.

Storing what is learned is `services.schedules.learn_all`; the `Schedule` model itself is
in `views.daily`.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta, tzinfo

from backupchecks_tui.views.daily import (
    LAST,
    NTHS,
    WORKDAYS,
    Kind,
    Schedule,
    month_length,
    nth_of,
    schedule_for_weekdays,
    slot_day,
)

LEARNING_DAYS = 7
"""A new job can go missed only after this many days since it was first seen…"""
LEARNING_RUNS = 5
"""…and after this many real runs, whichever comes later."""
_MINUTES_PER_DAY = 24 * 60
_MIN_LEARN_DAYS = 3
_MIN_SPAN_DAYS = 7
_SHORT_SPAN_CONFIDENCE = 0.5
_FULL_EVIDENCE_HITS = 4
_IRREGULAR_BELOW = 0.5
_WEEKDAY_HIT_RATIO = 0.5


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
            length = month_length(d)
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
            Kind.WEEKDAYS: WORKDAYS,
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
    nths = {(n, d.weekday()) for d in observed for n in nth_of(d) if n in NTHS}
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


def learning_ends(first_seen: datetime, real_run_moments: Sequence[datetime]) -> datetime | None:
    """When a job's learning period ends: LEARNING_DAYS after `first_seen` or its
    LEARNING_RUNS-th real run, whichever is later; None while it has fewer runs."""
    moments = sorted(real_run_moments)
    if len(moments) < LEARNING_RUNS:
        return None
    start = min(first_seen, moments[0])
    return max(start + timedelta(days=LEARNING_DAYS), moments[LEARNING_RUNS - 1])
