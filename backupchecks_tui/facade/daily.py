"""The daily part of the facade (see `backupchecks_tui.api.daily`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from backupchecks_tui.domain import ItemKind, OverrideScope
from backupchecks_tui.facade.base import Bound
from backupchecks_tui.services import coverage, daily, schedules
from backupchecks_tui.services import overrides as override_service
from backupchecks_tui.views.daily import (
    DAY_STATUSES,
    CoverLine,
    DayGrid,
    DayStatus,
    GridQuery,
    JobOverview,
    JobSchedule,
    OverrideLine,
    RunsPage,
    Schedule,
)


class DailyFacade(Bound):
    """The daily services, bound to the workspace."""

    def day_grid(self, query: GridQuery) -> DayGrid:
        """The day's grid, filtered, with markers and counts."""
        ws = self.workspace
        grid = daily.day_grid(
            self.engine, query.day, ws.config.ui.zone, ws.now(), roll_up=query.roll_up,
            text=query.text,
        )  # fmt: skip
        counts: dict[DayStatus, int] = dict.fromkeys(DAY_STATUSES, 0)
        for row in grid:
            counts[row.status] = counts.get(row.status, 0) + 1
        shown = [r for r in grid if not query.statuses or r.status in query.statuses]
        marks = coverage.markers(self.engine, [r.job_id for r in shown]) if shown else {}
        rows = tuple(
            replace(r, ticket=marks[r.job_id][0], remark=marks[r.job_id][1])
            if r.job_id in marks
            else r
            for r in shown
        )
        return DayGrid(query=query, rows=rows, total=len(grid), counts=counts)

    def job_overview(self, job_id: int, end_day: date, days: int = 30) -> JobOverview:
        """Settings, strip, covering tickets and remarks, overrides."""
        engine = self.engine
        items = coverage.covering_job(engine, job_id, now=self.workspace.now())
        rules = [
            r
            for r in override_service.list_overrides(engine, "active")
            if r.scope == OverrideScope.ALL or r.job_id == job_id
        ]
        return JobOverview(
            job_id=job_id,
            settings=schedules.job_schedule(engine, job_id),
            strip=tuple(daily.status_strip(engine, job_id, end_day, days)),
            covering=tuple(
                CoverLine(
                    kind=ItemKind(i.kind), id=i.id, label=i.label, title=i.title, state=i.state
                )
                for i in items
            ),
            overrides=tuple(OverrideLine(r.id, f"{r.scope_text}: {r.match}") for r in rules),
        )

    def job_runs(self, job_id: int, page: int, size: int = 50) -> RunsPage:
        """One page of the job's runs, the page clipped to those there are."""
        total = daily.history_count(self.engine, job_id)
        pages = max(1, -(-total // size))
        page = max(0, min(page, pages - 1))
        rows = daily.job_history(self.engine, job_id, size, page * size)
        return RunsPage(job_id=job_id, page=page, pages=pages, total=total, rows=tuple(rows))

    def job_schedule(self, job_id: int) -> JobSchedule:
        """The job's schedule settings."""
        return schedules.job_schedule(self.engine, job_id)

    def set_job_paused(self, job_id: int, paused: bool) -> None:
        """Pause or resume the job, as the acting operator."""
        schedules.set_paused(self.engine, self.actor, job_id, paused)

    def set_job_grace(self, job_id: int, minutes: int | None) -> None:
        """Set the job's grace period, as the acting operator."""
        schedules.set_grace(self.engine, self.actor, job_id, minutes)

    def set_job_schedule(self, job_id: int, schedule: Schedule | None) -> None:
        """Set the schedule by hand; "auto" (None) relearns this job's schedule at once."""
        schedules.set_schedule(self.engine, self.actor, job_id, schedule)
        if schedule is None:
            ws = self.workspace
            schedules.learn_all(self.engine, ws.config.ui.zone, ws.now(), job_ids=[job_id])
