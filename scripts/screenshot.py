"""Save the README screenshot: Run Checks on the demo data, 160×48, as SVG.

uv run python scripts/screenshot.py [docs/run-checks.svg]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402
from textual.widgets import DataTable  # noqa: E402

from backupchecks_tui.config import Config  # noqa: E402
from backupchecks_tui.database import open_database  # noqa: E402
from backupchecks_tui.demo import build_demo  # noqa: E402
from backupchecks_tui.demo.scenario import MORNING  # noqa: E402
from backupchecks_tui.facade import bind  # noqa: E402
from backupchecks_tui.roles import Actor, Role  # noqa: E402
from backupchecks_tui.services import missed  # noqa: E402
from backupchecks_tui.workspace import Workspace  # noqa: E402
from screens.app import BackupChecksApp  # noqa: E402
from screens.widgets.tables import KeyedTable  # noqa: E402

MONDAY = datetime.combine(date(2026, 11, 23), MORNING, UTC)
"""The demo's Monday morning, fixed so the picture only changes when the app does."""


async def _settle(pilot: Pilot[None]) -> None:
    """Wait until the app has done what was asked: no load or service call out, the
    message queue drained twice in a row, and the tables laid out."""
    app = pilot.app
    assert isinstance(app, BackupChecksApp)
    quiet = 0
    while quiet < 2:
        await pilot.pause()
        if app.busy:
            quiet = 0
            await app.workers.wait_for_complete()
        else:
            quiet += 1
    for _ in range(100):
        if not any(t._require_update_dimensions for t in app.screen.query(DataTable)):
            break
        await pilot.pause()
    await pilot.pause()


async def shoot(url: str, target: Path) -> None:
    """Open the app, move to a failing job with a ticket on it, save the screen."""
    config = Config.model_validate({"ui": {"timezone": "UTC"}})
    engine = open_database(url)
    missed.detect(engine, UTC, MONDAY)  # as `--demo` does: the runs that never came
    workspace = Workspace(
        engine, Actor("alice", Role.ADMIN), config, "demo database", demo=True, frozen_now=MONDAY
    )
    app = BackupChecksApp(bind(workspace))
    async with app.run_test(size=(160, 48)) as pilot:
        await _settle(pilot)
        app.clear_notifications()
        # Riverside's failing NAS copy: objects, a ticket on it (🎫) and the covering list
        screen = app.screen
        jobs = screen.query_one("#jobs", KeyedTable)
        for _ in range(jobs.row_count):
            key = jobs.current_key
            if key is not None and screen.rows[key].job_name == "Backup Copy NAS":  # type: ignore[attr-defined]
                break
            await pilot.press("j")
        await _settle(pilot)
        target.write_text(app.export_screenshot(title="backupchecks-tui — Run Checks"))


def main() -> None:
    """Build the demo for a fixed Monday and take the screenshot."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "run-checks.svg"
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        build_demo(url, today=MONDAY.date())
        asyncio.run(shoot(url, target))
    sys.stdout.write(f"wrote {target}\n")


if __name__ == "__main__":
    main()
