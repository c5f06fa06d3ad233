"""Daily Jobs and a job's history and schedule."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from backupchecks_tui.views.daily import (
    DayGrid,
    GridQuery,
    JobOverview,
    JobSchedule,
    RunsPage,
    Schedule,
)


class DailyApi(Protocol):
    """The daily part of the facade."""

    def day_grid(self, query: GridQuery) -> DayGrid:
        """Every active job on `query.day` with its day status (Missed included), its
        ticket / remark markers and the day's counts per status."""
        ...

    def job_overview(self, job_id: int, end_day: date, days: int = 30) -> JobOverview:
        """A job's schedule settings, its status strip of `days` days up to `end_day` and
        the active tickets, remarks and overrides that cover it."""
        ...

    def job_runs(self, job_id: int, page: int, size: int = 50) -> RunsPage:
        """Page `page` (0 = newest; clipped to the last page) of a job's runs."""
        ...

    def job_schedule(self, job_id: int) -> JobSchedule:
        """A job's schedule, pause and grace settings."""
        ...

    def set_job_paused(self, job_id: int, paused: bool) -> None:
        """Pause a job (it never goes missed) or resume it; refused to Viewers."""
        ...

    def set_job_grace(self, job_id: int, minutes: int | None) -> None:
        """A job's grace period in minutes (None: the default); refused when out of range."""
        ...

    def set_job_schedule(self, job_id: int, schedule: Schedule | None) -> None:
        """Set a job's schedule by hand; None goes back to the learned one, learned now."""
        ...
