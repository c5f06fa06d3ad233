"""Daily Jobs (2) and a job's history on the demo data: keys, roles, and snapshots.

The demo is built once for Monday 2026-11-23 with missed detection at 07:30 UTC; the
clock is frozen at 08:00 UTC. Tests that change a job work on their own copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import time_machine
from textual.pilot import Pilot
from textual.widgets import Input, Static

from backupchecks_tui.config import Config
from backupchecks_tui.database import open_database
from backupchecks_tui.demo import build_demo
from backupchecks_tui.domain import Changed
from backupchecks_tui.errors import BackupChecksError
from backupchecks_tui.facade import bind
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import missed, schedules
from backupchecks_tui.views.daily import DayGrid, GridQuery, Kind, Schedule
from backupchecks_tui.views.items import ScopeSpec
from backupchecks_tui.views.overrides import OverrideSpec
from backupchecks_tui.workspace import Workspace
from screens.app import BackupChecksApp
from screens.daily_jobs import DailyJobsScreen, DailyTable
from screens.dialogs import PromptDialog
from screens.job_history import JobHistoryScreen, parse_schedule
from screens.widgets.tables import KeyedTable
from tests.uihelpers import settle

MONDAY = date(2026, 11, 23)
MIXED_DAY = date(2026, 11, 21)
"""A day on which demo job 123 had a warning, then a success."""
MIXED_JOB = 123
MISSED_JOB = 18
BUSY_JOB = 71
"""The demo job with the most runs (more than one page)."""
SnapCompare = Callable[..., bool]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, built once for these tests."""
    path: Path = tmp_path_factory.mktemp("daily") / "demo.db"
    url = f"sqlite:///{path}"
    build_demo(url, today=MONDAY)
    engine = open_database(url)
    missed.detect(engine, UTC, datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
    engine.dispose()
    return path


@pytest.fixture
def frozen() -> Iterator[None]:
    """Monday 08:00 UTC, not ticking."""
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), tick=False):
        yield


def demo_workspace(path: Path, role: Role = Role.ADMIN, *, ascii_only: bool = False) -> Workspace:
    """A workspace on the demo database file `path` in UTC."""
    config = Config.model_validate({"ui": {"timezone": "UTC", "ascii_only": ascii_only}})
    engine = open_database(f"sqlite:///{path}")
    return Workspace(engine, Actor("alice", role), config, "demo database", demo=True)


def demo_app(path: Path, role: Role = Role.ADMIN, *, ascii_only: bool = False) -> BackupChecksApp:
    """The app on the demo database file `path` in UTC."""
    return BackupChecksApp(bind(demo_workspace(path, role, ascii_only=ascii_only)))


def own_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A copy of the demo database a test may change."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    return copy


async def started(pilot: Pilot[None]) -> None:
    """Let start-up workers finish; drop their toasts."""
    await settle(pilot)
    pilot.app.clear_notifications()
    await settle(pilot)


async def open_daily(pilot: Pilot[None]) -> None:
    """Start, then switch to Daily Jobs and wait for its grid."""
    await started(pilot)
    await pilot.press("2")
    await settle(pilot)


def daily_screen(app: BackupChecksApp) -> DailyJobsScreen:
    """The Daily Jobs screen on top."""
    assert isinstance(app.screen, DailyJobsScreen)
    return app.screen


def status_of(screen: DailyJobsScreen, job_id: int) -> str:
    """The status cell of job `job_id`, as plain text."""
    table = screen.query_one(KeyedTable)
    return str(table.get_row(str(job_id))[1])


def header(screen: DailyJobsScreen) -> str:
    """The header line(s), as plain text."""
    return str(screen.query_one("#daily-header", Static).render())


# --- parsing a schedule typed by hand ---------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("daily 22:00", Schedule(Kind.DAILY, start=time(22))),
        ("Weekdays 21:30", Schedule(Kind.WEEKDAYS, start=time(21, 30))),
        ("weekly mon 23:00", Schedule(Kind.WEEKLY, start=time(23), weekdays=frozenset({0}))),
        ("monthly 1 02:00", Schedule(Kind.MONTHLY_DAY, start=time(2), month_day=1)),
        ("monthly last 2:00", Schedule(Kind.MONTHLY_DAY, start=time(2), month_day=31)),
        ("mon,wed fri 22:00", Schedule(Kind.DAYS, start=time(22), weekdays=frozenset({0, 2, 4}))),
        ("auto", None),
    ],
)
def test_parse_schedule(typed: str, expected: Schedule | None) -> None:
    """The forms the prompt accepts."""
    assert parse_schedule(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "rhythm and a time"),
        ("daily", "rhythm and a time"),
        ("daily 25:00", "not a time"),
        ("weekly xyz 22:00", "not a weekday"),
        ("monthly 32 02:00", "day of the month"),
        ("hourly 22:00", "not a schedule"),
    ],
)
def test_parse_schedule_refuses(typed: str, message: str) -> None:
    """Bad input gives a readable message."""
    with pytest.raises(ValueError, match=message):
        parse_schedule(typed)


# --- Pilot ------------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen")
async def test_day_navigation(demo_db: Path) -> None:
    """[ and ] move a day, . comes back to today, g goes to a typed date (and refuses junk)."""
    app = demo_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_daily(pilot)
        screen = daily_screen(app)
        assert screen.shown_day == MONDAY
        assert "(today)" in header(screen)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert screen.shown_day == date(2026, 11, 21)
        assert "Saturday 2026-11-21" in header(screen)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.shown_day == date(2026, 11, 22)
        await pilot.press("full_stop")
        await settle(pilot)
        assert screen.shown_day == MONDAY
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = "2026-11-10"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.shown_day == date(2026, 11, 10)
        await pilot.press("g")
        await settle(pilot)
        app.screen.query_one(Input).value = "yesterday"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.shown_day == date(2026, 11, 10)
        assert any("YYYY-MM-DD" in n.message for n in app._notifications)


@pytest.mark.usefixtures("frozen")
async def test_missed_and_filters(demo_db: Path) -> None:
    """The demo's missed run is on today's grid; F keeps problems only; / filters by text."""
    app = demo_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_daily(pilot)
        screen = daily_screen(app)
        table = screen.query_one(KeyedTable)
        everything = table.row_count
        assert "Missed" in status_of(screen, MISSED_JOB)
        await pilot.press("F")
        await settle(pilot)
        problems = table.row_count
        assert 0 < problems < everything
        assert all(r.status in {"warning", "failed", "missed"} for r in screen.rows.values())
        await pilot.press("F", "F", "F", "F", "F")  # back to all
        await settle(pilot)
        assert table.row_count == everything
        name = screen.rows[MISSED_JOB].job_name
        await pilot.press("slash", "g")  # g types into the box, it does not open "go to"
        assert isinstance(app.screen, DailyJobsScreen)
        assert screen.query_one("#daily-filter", Input).value == "g"
        screen.query_one("#daily-filter", Input).value = ""
        await pilot.press(*name)
        await pilot.press("enter")
        await settle(pilot)
        assert MISSED_JOB in screen.rows
        assert table.row_count < everything
        assert "filter:" in header(screen)


@pytest.mark.usefixtures("frozen")
async def test_roll_up_changes_a_mixed_day(demo_db: Path) -> None:
    """u cycles worst → last → warning if mixed; a warning-then-success day follows it."""
    app = demo_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_daily(pilot)
        screen = daily_screen(app)
        screen.go_to(MIXED_DAY)
        await settle(pilot)
        seen = [(screen.roll_up, status_of(screen, MIXED_JOB))]
        for _ in range(3):
            await pilot.press("u")
            await settle(pilot)
            seen.append((screen.roll_up, status_of(screen, MIXED_JOB)))
            if screen.roll_up == "last":
                assert "last run" in header(screen)
        assert [(mode, status.split()[-1]) for mode, status in seen] == [
            ("worst", "Warning"),
            ("last", "Success"),
            ("warning_if_mixed", "Warning"),
            ("worst", "Warning"),
        ]


@pytest.mark.usefixtures("frozen")
async def test_cursor_stays_on_the_job_across_reloads(demo_db: Path) -> None:
    """Another day, a roll-up or a "data changed" signal reload the grid in a worker; the
    cursor stays on the same job, and the stale result of an older load is dropped."""
    app = demo_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_daily(pilot)
        screen = daily_screen(app)
        table = screen.query_one(KeyedTable)
        table.move_cursor(row=table.get_row_index(str(MISSED_JOB)))
        await pilot.press("left_square_bracket", "u")
        await settle(pilot)
        assert table.current_key == MISSED_JOB
        grid = screen.query_one(DailyTable).grid
        assert grid is not None
        assert grid.query == screen.grid_query()
        app.changed(Changed.RUNS)
        await settle(pilot)
        assert table.current_key == MISSED_JOB
        assert screen.table.grid is not grid
        grid = screen.table.grid
        app.changed(Changed.MAIL)  # not shown here: no reload
        await settle(pilot)
        assert screen.table.grid is grid


@pytest.mark.usefixtures("frozen")
async def test_a_failed_load_is_one_notice(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A grid load that fails shows the error once, leaves no loading indicator, and the
    screen goes on: the next load works."""
    app = demo_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_daily(pilot)
        screen = daily_screen(app)

        def down(_query: GridQuery) -> DayGrid:
            raise BackupChecksError("The database does not answer.")

        with monkeypatch.context() as patch:
            patch.setattr(app.services, "day_grid", down)
            await pilot.press("left_square_bracket")
            await settle(pilot)
        assert [n.message for n in app._notifications] == ["The database does not answer."]
        assert not screen.table.loading
        assert screen.table.grid is not None and screen.table.grid.query.day == MONDAY
        await pilot.press("right_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert screen.table.grid.query.day == date(2026, 11, 22)


@pytest.mark.usefixtures("frozen")
async def test_enter_opens_history_and_pause(demo_db: Path, tmp_path: Path) -> None:
    """enter opens the job's history; P pauses it (and again resumes); escape goes back."""
    path = own_copy(demo_db, tmp_path)
    ws = demo_workspace(path)
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await open_daily(pilot)
        screen = daily_screen(app)
        table = screen.query_one(KeyedTable)
        table.move_cursor(row=table.get_row_index(str(MISSED_JOB)))
        await pilot.press("enter")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, JobHistoryScreen)
        assert history.job_id == MISSED_JOB
        assert history.query_one(KeyedTable).row_count > 0
        assert "last 30 days" in str(history.query_one("#history-header", Static).render())
        await pilot.press("P")
        await settle(pilot)
        assert schedules.job_schedule(ws.engine, MISSED_JOB).paused
        assert "PAUSED" in str(history.query_one("#history-header", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        assert "paused" in str(table.get_row(str(MISSED_JOB))[7])  # the Schedule column


@pytest.mark.usefixtures("frozen")
async def test_history_pages(demo_db: Path) -> None:
    """n and p page through a job's runs, 50 a page, in a worker; the header follows."""
    app = demo_app(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_daily(pilot)
        table = daily_screen(app).query_one(KeyedTable)
        table.move_cursor(row=table.get_row_index(str(BUSY_JOB)))
        await pilot.press("enter")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, JobHistoryScreen)
        runs = history.query_one(KeyedTable)
        head = history.query_one("#history-header", Static)
        assert runs.row_count == 50
        assert "page 1/2" in str(head.render())
        await pilot.press("n")
        await settle(pilot)
        assert (history.page, runs.row_count) == (1, history.total - 50)
        assert "page 2/2" in str(head.render())
        await pilot.press("n")  # no page 3
        await settle(pilot)
        assert history.page == 1
        await pilot.press("p")
        await settle(pilot)
        assert (history.page, runs.row_count) == (0, 50)


@pytest.mark.usefixtures("frozen")
async def test_set_schedule_and_grace(demo_db: Path, tmp_path: Path) -> None:
    """S sets a schedule by hand (and "auto" relearns it), G the grace period; each
    through a prompt, the write in a worker, the header and the grid reloaded after."""
    ws = demo_workspace(own_copy(demo_db, tmp_path))
    app = BackupChecksApp(bind(ws))

    async def answer(key: str, typed: str) -> None:
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = typed
        await pilot.press("enter")
        await settle(pilot)

    async with app.run_test(size=(160, 48)) as pilot:
        await open_daily(pilot)
        screen = daily_screen(app)
        table = screen.query_one(KeyedTable)
        table.move_cursor(row=table.get_row_index(str(MISSED_JOB)))
        await pilot.press("enter")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, JobHistoryScreen)
        head = history.query_one("#history-header", Static)
        await answer("S", "weekly sun 23:00")
        settings = schedules.job_schedule(ws.engine, MISSED_JOB)
        assert settings.manual
        assert settings.schedule == Schedule(
            Kind.WEEKLY, start=time(23), weekdays=frozenset({6}), confidence=1.0
        )
        assert "(set by hand)" in str(head.render())
        await answer("G", "soon")
        assert any("not a number" in n.message for n in app._notifications)
        await answer("G", "30")
        assert schedules.job_schedule(ws.engine, MISSED_JOB).grace_minutes == 30
        assert "grace: 30 min" in str(head.render())
        await answer("G", "99999")  # refused by the service: a notice, no change
        assert schedules.job_schedule(ws.engine, MISSED_JOB).grace_minutes == 30
        assert any("out of range" in n.message for n in app._notifications)
        await answer("S", "auto")
        settings = schedules.job_schedule(ws.engine, MISSED_JOB)
        assert not settings.manual
        assert settings.schedule is not None  # learned again at once
        assert "learned" in str(head.render())
        await pilot.press("escape")
        await settle(pilot)
        assert "✎" not in str(table.get_row(str(MISSED_JOB))[7])


@pytest.mark.usefixtures("frozen")
async def test_viewer_cannot_pause(demo_db: Path, tmp_path: Path) -> None:
    """A Viewer sees the history but P, G and S are hidden and do nothing."""
    path = own_copy(demo_db, tmp_path)
    ws = demo_workspace(path, role=Role.VIEWER)
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await open_daily(pilot)
        await pilot.press("enter")
        await settle(pilot)
        history = app.screen
        assert isinstance(history, JobHistoryScreen)
        for action in ("toggle_paused", "set_grace", "set_schedule"):
            assert history.check_action(action, ()) is False
        await pilot.press("P")
        await settle(pilot)
        assert not schedules.job_schedule(ws.engine, history.job_id).paused


# --- snapshots --------------------------------------------------------------------------


@pytest.mark.usefixtures("frozen")
def test_daily_jobs_snapshot(snap_compare: SnapCompare, demo_db: Path) -> None:
    """Daily Jobs on the demo's Monday morning, with the missed run on the grid."""
    assert snap_compare(
        demo_app(demo_db), terminal_size=(140, 40), press=["_"], run_before=open_daily
    )


@pytest.mark.usefixtures("frozen")
def test_job_history_snapshot(snap_compare: SnapCompare, demo_db: Path) -> None:
    """The history of the demo's job with missed runs, strip in ASCII."""

    async def open_missed_job(pilot: Pilot[None]) -> None:
        await open_daily(pilot)
        table = pilot.app.screen.query_one(KeyedTable)
        table.move_cursor(row=table.get_row_index(str(MISSED_JOB)))
        await pilot.press("enter")
        await settle(pilot)

    app = demo_app(demo_db, ascii_only=True)
    assert snap_compare(app, terminal_size=(140, 40), run_before=open_missed_job)


@pytest.mark.usefixtures("frozen")
async def test_history_lists_the_jobs_tickets_remarks_and_overrides(
    demo_db: Path, tmp_path: Path
) -> None:
    """The job history names the active tickets, remarks and overrides of the job."""
    from backupchecks_tui.roles import Actor
    from backupchecks_tui.services import overrides, remarks, tickets

    path = own_copy(demo_db, tmp_path)
    ws = demo_workspace(path)
    app = BackupChecksApp(bind(ws))
    engine = ws.engine
    admin = Actor("alice", Role.ADMIN)
    scope = [ScopeSpec.job(MISSED_JOB)]
    ticket = tickets.open_ticket(engine, admin, "Offsite target unreachable", scopes=scope)
    remarks.add_remark(engine, admin, "NAS moved to the new rack", scope)
    overrides.create_override(
        engine,
        admin,
        OverrideSpec(scope="job", job_id=MISSED_JOB, match_status="warning"),
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await open_daily(pilot)
        table = daily_screen(app).query_one(KeyedTable)
        table.move_cursor(row=table.get_row_index(str(MISSED_JOB)))
        await pilot.press("enter")
        await settle(pilot)
        shown = str(app.screen.query_one("#history-header", Static).render())
    assert f"#{ticket.number} Offsite target unreachable" in shown
    assert "NAS moved to the new rack" in shown
    assert "overrides: #1" in shown
