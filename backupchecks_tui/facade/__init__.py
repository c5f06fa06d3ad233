"""The services facade the CLI builds and hands to the app.

`BoundServices(workspace)` satisfies `backupchecks_tui.api.Services`: each area's part
calls the service modules with the workspace's engine and acting operator, and turns what
they return into the view dataclasses of `backupchecks_tui.views`. Screens never see the
engine, an ORM row or a session.
"""

from __future__ import annotations

from backupchecks_tui.facade.admin import AdminFacade
from backupchecks_tui.facade.app import AppFacade
from backupchecks_tui.facade.checks import ChecksFacade
from backupchecks_tui.facade.daily import DailyFacade
from backupchecks_tui.facade.items import ItemsFacade
from backupchecks_tui.workspace import Workspace


class BoundServices(AppFacade, ChecksFacade, DailyFacade, ItemsFacade, AdminFacade):
    """Every service, bound to one workspace."""


def bind(workspace: Workspace) -> BoundServices:
    """The facade for `workspace`."""
    return BoundServices(workspace)


__all__ = ["BoundServices", "bind"]
