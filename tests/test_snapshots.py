"""Snapshot tests: how Run Checks looks on the demo data at 80×24 and 160×48.

The demo is built for a pinned Monday and the clock is frozen, so the pictures only
change when the look does. Update after a deliberate change with
`uv run pytest tests/test_snapshots.py --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from backupchecks_tui.config import Config
from backupchecks_tui.database import open_database
from backupchecks_tui.demo import build_demo
from backupchecks_tui.facade import bind
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import missed
from backupchecks_tui.workspace import Workspace
from screens.app import BackupChecksApp
from tests.uihelpers import settle

MONDAY = date(2026, 11, 23)
SnapCompare = Callable[..., bool]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo database, built once for these tests."""
    path: Path = tmp_path_factory.mktemp("snap") / "demo.db"
    url = f"sqlite:///{path}"
    build_demo(url, today=MONDAY)
    engine = open_database(url)
    missed.detect(engine, UTC, datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
    engine.dispose()
    return url


@pytest.fixture
def frozen() -> Iterator[None]:
    """Monday 08:00 UTC, not ticking."""
    with time_machine.travel(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), tick=False):
        yield


async def quiet(pilot: Pilot[None]) -> None:
    """Let start-up workers (missed detection) and loads finish; drop their toasts; stop
    the cursor of every text box from blinking, so the picture does not depend on when
    it is taken."""
    await settle(pilot)
    pilot.app.clear_notifications()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False
    await settle(pilot)
    # a table filled by the last message lays its columns out when it is next idle
    for _ in range(100):
        tables = pilot.app.screen.query(DataTable)
        if not any(t._require_update_dimensions for t in tables):
            break
        await pilot.pause()
    await pilot.pause()  # and paints them


def demo_app(url: str, *, ascii_only: bool = False) -> BackupChecksApp:
    """The app on the demo database as Admin 'alice' in UTC."""
    config = Config.model_validate({"ui": {"timezone": "UTC", "ascii_only": ascii_only}})
    engine = open_database(url)
    workspace = Workspace(engine, Actor("alice", Role.ADMIN), config, "demo database", demo=True)
    return BackupChecksApp(bind(workspace))


@pytest.mark.usefixtures("frozen")
def test_run_checks_160x48(snap_compare: SnapCompare, demo_url: str) -> None:
    """The three panes side by side on a wide terminal."""
    assert snap_compare(demo_app(demo_url), terminal_size=(160, 48), run_before=quiet)


@pytest.mark.usefixtures("frozen")
def test_run_checks_80x24(snap_compare: SnapCompare, demo_url: str) -> None:
    """Stacked panes on a classic 80×24 SSH terminal."""
    assert snap_compare(demo_app(demo_url), terminal_size=(80, 24), run_before=quiet)


@pytest.mark.usefixtures("frozen")
def test_run_checks_ascii_after_moving(snap_compare: SnapCompare, demo_url: str) -> None:
    """ASCII markers, cursor on the third job after j j."""
    app = demo_app(demo_url, ascii_only=True)
    assert snap_compare(app, terminal_size=(120, 36), press=["j", "j", "_", "_"], run_before=quiet)


@pytest.mark.usefixtures("frozen")
def test_help_screen(snap_compare: SnapCompare, demo_url: str) -> None:
    """The help lists every key of Run Checks."""
    assert snap_compare(
        demo_app(demo_url), terminal_size=(100, 40), press=["question_mark", "_"], run_before=quiet
    )


async def on_the_nas_copy(pilot: Pilot[None]) -> None:
    """Settle, then filter the queue to Riverside's failing NAS copy (it has a ticket)."""
    await quiet(pilot)
    await pilot.press("slash", *"Backup Copy NAS", "enter")
    await quiet(pilot)


@pytest.mark.usefixtures("frozen")
def test_run_covered_by_a_ticket_160x48(snap_compare: SnapCompare, demo_url: str) -> None:
    """🎫 on the job and the covering ticket listed above the run's detail."""
    assert snap_compare(demo_app(demo_url), terminal_size=(160, 48), run_before=on_the_nas_copy)


@pytest.mark.usefixtures("frozen")
def test_new_ticket_form_80x24(snap_compare: SnapCompare, demo_url: str) -> None:
    """t: the prefilled ticket form fits a classic 80×24 terminal."""

    async def open_form(pilot: Pilot[None]) -> None:
        await on_the_nas_copy(pilot)
        await pilot.press("t")
        await quiet(pilot)

    assert snap_compare(demo_app(demo_url), terminal_size=(80, 24), run_before=open_form)


@pytest.mark.usefixtures("frozen")
def test_link_picker_100x30(snap_compare: SnapCompare, demo_url: str) -> None:
    """l: the fuzzy picker lists this job's ticket first."""

    async def open_picker(pilot: Pilot[None]) -> None:
        await on_the_nas_copy(pilot)
        await pilot.press("l")
        await quiet(pilot)

    assert snap_compare(demo_app(demo_url), terminal_size=(100, 30), run_before=open_picker)
