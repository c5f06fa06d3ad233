"""Save the README screenshot: Run Checks on the demo data, 160×48, as SVG.

uv run python scripts/screenshot.py [docs/run-checks.svg]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backupchecks_tui.config import Config  # noqa: E402
from backupchecks_tui.database import open_database  # noqa: E402
from backupchecks_tui.demo import build_demo  # noqa: E402
from backupchecks_tui.roles import Actor, Role  # noqa: E402
from backupchecks_tui.workspace import Workspace  # noqa: E402
from screens.app import BackupChecksApp  # noqa: E402


async def shoot(url: str, target: Path) -> None:
    """Open the app, move to a failing job with objects, save the screen."""
    config = Config.model_validate({"ui": {"timezone": "UTC"}})
    workspace = Workspace(open_database(url), Actor("alice", Role.ADMIN), config, "demo database")
    app = BackupChecksApp(workspace)
    async with app.run_test(size=(160, 48)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.clear_notifications()
        await pilot.press("j", "j")
        await pilot.pause(0.3)
        target.write_text(app.export_screenshot(title="backupchecks-tui — Run Checks"))


def main() -> None:
    """Build the demo for a fixed Monday and take the screenshot."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "run-checks.svg"
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        build_demo(url, today=date(2026, 11, 23))
        asyncio.run(shoot(url, target))
    sys.stdout.write(f"wrote {target}\n")


if __name__ == "__main__":
    main()
