"""The daily part of the facade (see `backupchecks_tui.api.daily`)."""

from __future__ import annotations

from backupchecks_tui.facade.base import Bound


class DailyFacade(Bound):
    """The daily services, bound to the workspace."""
