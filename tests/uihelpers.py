"""Helpers for Pilot tests: a workspace on a throw-away database filled through ingest."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from textual.pilot import Pilot

from backupchecks_tui.config import Config
from backupchecks_tui.database import open_database
from backupchecks_tui.ingest.pipeline import Origin, Pipeline
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.workspace import Workspace
from parsers import Registry
from screens.app import BackupChecksApp
from tests.mailfactory import SyntheticParser


def workspace(
    tmp_path: Path, mails: list[bytes], role: Role = Role.OPERATOR, login: str = "olga"
) -> Workspace:
    """A workspace whose database holds `mails` ingested by the synthetic parser."""
    engine = open_database(f"sqlite:///{tmp_path / 'ui.db'}")
    pipeline = Pipeline(engine, Registry([SyntheticParser()]), ZoneInfo("UTC"))
    for n, raw in enumerate(mails):
        pipeline.ingest(raw, Origin(path=f"mail-{n}.eml"))
    config = Config.model_validate({"ui": {"timezone": "UTC"}})
    return Workspace(engine, Actor(login, role), config, "sqlite:///ui.db")


async def settle(pilot: Pilot[Any], timeout: float = 30.0) -> None:
    """Wait until the app has done what the last keys asked: no thread worker running,
    no service call out, and the message queue drained (twice in a row, as a handler may
    start the next load). Waits on the app's state, never for a fixed time."""
    app = pilot.app
    assert isinstance(app, BackupChecksApp)
    deadline = asyncio.get_running_loop().time() + timeout
    quiet = 0
    while quiet < 2:
        await pilot.pause()
        if app.busy:
            quiet = 0
            threads = [w for w in app.workers if w.is_running and w._thread_worker]
            if threads:
                await app.workers.wait_for_complete(threads)
            else:  # an async worker's service call, in asyncio's thread pool
                await asyncio.sleep(0.002)
        else:
            quiet += 1
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the app did not settle: a worker or a service call hangs")
