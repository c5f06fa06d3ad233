"""Helpers for Pilot tests: a workspace on a throw-away database filled through ingest."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from backupchecks_tui.config import Config
from backupchecks_tui.database import open_database
from backupchecks_tui.ingest.pipeline import Origin, Pipeline
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.workspace import Workspace
from parsers import Registry
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
